"""The install is quiet: pyproject.toml lists every folder of the package (setuptools warns once per folder it
finds but was not told of, ~15 warnings a build) and uses no field setuptools has deprecated."""

from __future__ import annotations

import os
import re

from support import REPO

NOT_SHIPPED = {"tests", "bench", "docs", "build", "dist", "__pycache__"}


def listed_packages() -> set[str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)^\]", text, re.S | re.M)
    assert block, "pyproject.toml has no [tool.setuptools] packages list"
    return set(re.findall(r'"([^"]+)"', block.group(1)))


def folders_in_tree() -> set[str]:
    """Every folder below the repository root that setuptools would see as an importable package."""
    found = set()
    for folder, subfolders, _files in os.walk(REPO):
        subfolders[:] = [
            name
            for name in subfolders
            if name not in NOT_SHIPPED and not name.startswith(".") and not name.endswith(".egg-info")
        ]
        parts = [] if folder == str(REPO) else os.path.relpath(folder, REPO).split(os.sep)
        if all(part.isidentifier() for part in parts):
            found.add(".".join(["mindpilot", *parts]))
    return found


def test_every_folder_of_the_package_is_listed():
    listed, tree = listed_packages(), folders_in_tree()
    assert tree - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - tree == set(), "these listed packages have no folder"


def test_no_deprecated_license_table():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "[^"]+"$', text, re.M), "project.license must be an SPDX string"
    assert "license = {" not in text
