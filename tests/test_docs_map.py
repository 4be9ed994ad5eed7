"""The written map stays true: every file or folder ``docs/architecture.md`` and ``CONTRIBUTING.md`` name exists,
every ``module.py:name`` they point at is defined there, and every subcommand is in the map's reach."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/architecture.md", "CONTRIBUTING.md")
PATH = re.compile(r"`([\w./-]+\.(?:py|yaml|tcss|md|toml|json)|[\w./-]+/)(?::(\w+))?")
"""A code span that names a path (``validators/check/kinds.py``, ``commands/``), maybe with ``:name``."""


def _named(doc: str) -> list[tuple[str, str]]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    return [(m.group(1), m.group(2) or "") for m in PATH.finditer(text) if "<" not in m.group(0)]


def _exists(path: str) -> bool:
    """A path from the repository root; a bare file name (``output.py`` in a list about ``commands/``) anywhere."""
    if (ROOT / path).exists():
        return True
    bare = path.rstrip("/")
    return "/" not in bare and any(".venv" not in found.parts for found in ROOT.rglob(bare))


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_the_docs_name_exists(doc):
    named = _named(doc)
    assert len(named) > 20
    assert [path for path, _ in named if not _exists(path)] == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_name_the_docs_point_at_is_defined(doc):
    undefined = []
    for path, name in _named(doc):
        if name and path.endswith(".py") and (ROOT / path).is_file():
            source = (ROOT / path).read_text(encoding="utf-8")
            if not re.search(rf"^\s*(?:def|class)\s+{name}\b|^{name}\b.*=", source, re.M):
                undefined.append(f"{path}:{name}")
    assert undefined == []
