"""stacks.yaml agrees with what the releases declare themselves (METADATA and VERSION_MAP.json kept in tests/data).

When a row is edited by hand, or a new release's files are added to tests/data/versions, a disagreement
fails here: the table must never contradict the frameworks' own word.
"""

from __future__ import annotations

import json
from email.parser import Parser
from pathlib import Path

import pytest

from mindpilot.validators.declarations import VersionMap, parse_requires
from mindpilot.validators.stacks import get_stack, load_stacks
from mindpilot.validators.versions import AscendVersion, satisfies

VERSIONS = Path(__file__).parent / "data" / "versions"
MINDFORMERS = sorted(p.name.split("-", 1)[1] for p in VERSIONS.glob("mindformers-*"))


def metadata(directory: str) -> tuple[dict[str, str], str]:
    """(``{dependency: specifier}``, Requires-Python) of a copied METADATA file."""
    message = Parser().parsestr((VERSIONS / directory / "METADATA").read_text(encoding="utf-8"))
    requires = parse_requires(message.get_all("Requires-Dist") or [], "3.10")
    return dict(requires), message.get("Requires-Python") or ""


def newest_map() -> VersionMap:
    newest = MINDFORMERS[-1]
    path = VERSIONS / f"mindformers-{newest}" / "VERSION_MAP.json"
    return VersionMap(json.loads(path.read_text(encoding="utf-8")), str(path))


def test_the_copied_releases_are_there():
    assert MINDFORMERS == ["1.8.0", "1.9.0", "2.0.0", "2.1.0"]


@pytest.mark.parametrize("version", MINDFORMERS)
def test_mindformers_row_matches_its_metadata(version):
    row = get_stack(f"mindformers-{version}")
    requires, requires_python = metadata(f"mindformers-{version}")
    for name in ("mindspore", "transformers"):
        pin = row.requirement(name)
        assert pin is not None, f"row mindformers-{version} lacks {name}"
        declared = requires[name]
        assert pin.accepted.replace(" ", "") == declared, (name, pin.accepted, declared)
        assert satisfies(pin.version, declared), (name, pin.version, declared)
    lowest_python = {">=3.7": "3.7", ">=3.10": "3.10"}[requires_python]
    assert not satisfies(f"{lowest_python}.0", ">=3.10") or row.python.startswith(">=3.10"), row.python
    for minor in range(6, 14):
        if satisfies(f"3.{minor}.0", row.python):
            assert satisfies(f"3.{minor}.0", requires_python), f"row allows Python 3.{minor}, the wheel does not"


@pytest.mark.parametrize("version", MINDFORMERS)
def test_each_wheels_version_map_is_a_prefix_of_the_newest(version):
    own = json.loads((VERSIONS / f"mindformers-{version}" / "VERSION_MAP.json").read_text(encoding="utf-8"))
    newest = newest_map().document
    for level in ("mf", "ms", "cann"):
        for key, entry in own[level].items():
            assert newest[level][key] == entry, (version, level, key)


def test_every_mindformers_row_the_version_map_names_agrees_with_it():
    version_map = newest_map()
    checked = 0
    for row in load_stacks():
        if row.framework != "mindformers" or row.anchor != "mindformers":
            continue
        release = row.requirement("mindformers").version
        prefer, support = version_map.mindspore_for(release)
        if prefer is None:
            continue
        checked += 1
        mindspore = row.requirement("mindspore")
        assert mindspore.version == prefer, (row.id, mindspore.version, prefer)
        assert all(satisfies(v, mindspore.accepted) for v in support), (row.id, support)
        cann = version_map.cann_for(prefer)[0]
        assert [AscendVersion(c) for c in row.cann] == [AscendVersion(cann)], (row.id, row.cann, cann)
        driver = version_map.driver_for(cann)[0]
        assert row.driver and AscendVersion(row.driver) == AscendVersion(driver), (row.id, row.driver, driver)
    assert checked >= 9


def test_vllm_mindspore_row_matches_its_metadata():
    requires, requires_python = metadata("vllm-mindspore-0.5.1")
    row = get_stack("vllm-mindspore-0.5")
    assert satisfies("0.5.1", row.requirement("vllm-mindspore").accepted)
    assert row.requirement("transformers").accepted == requires["transformers"]
    assert requires_python == ">=3.9" and satisfies("3.9.0", row.python)
