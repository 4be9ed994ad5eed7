"""Short user-facing texts in both languages, kept as data: the TUI's chrome (``tui/labels.yaml``) and the CLI's
messages (``commands/messages.yaml``), each a flat YAML file of ``key: {zh: ..., en: ...}``.

Findings carry their own texts (``validators/data/rules/``); these books hold only what a front end says around
them. Each book is validated once (both languages, nothing else) and shipped compiled (:mod:`mindpilot.compiled`),
so that a warm start parses no YAML and imports no pydantic.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, package_path, read_text, validate

WORDBOOKS = {"labels": ("tui", "labels.yaml"), "messages": ("commands", "messages.yaml")}
"""Every book by name, with its path in the package."""


def wordbook_path(name: str) -> Path:
    return package_path(*WORDBOOKS[name])


@lru_cache(maxsize=None)
def wordbook(name: str) -> dict[str, Bilingual]:
    """The book ``name``: every key with its text in both languages."""
    path = wordbook_path(name)
    return compiled.built(path, name, lambda: read_wordbook(path))


def read_wordbook(path: Path) -> dict[str, Bilingual]:
    """Parse and validate one book (``DataFileError`` naming the file when it is not one)."""
    # PyYAML's C loader: the round-trip parser (kept for files a user edits, where line numbers matter)
    # takes ten times longer on them.
    import yaml

    try:
        document = yaml.load(read_text(path), Loader=_loader(yaml))
    except yaml.YAMLError as exc:
        raise DataFileError(str(path), None, None, f"invalid YAML: {exc}") from exc
    return validate(dict[str, Bilingual], document, str(path), None)


def _loader(yaml):
    """A safe loader (C when available) that keeps ``yes:`` and ``no:`` keys as strings (YAML 1.1 bools)."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:bool"]
                 for first, entries in base.yaml_implicit_resolvers.items()}
    return type("WordbookLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def load_all() -> None:
    """Read every book (what ``python -m mindpilot.compiled`` compiles)."""
    for name in WORDBOOKS:
        wordbook(name)


def text(book: str, key: str, lang: str, /, **params: object) -> str:
    """Entry ``key`` of ``book`` in ``lang`` with ``{placeholders}`` filled; the key itself if it is unknown."""
    entry = wordbook(book).get(key)
    if entry is None:
        return key
    return entry.format(lang, **params) if params else entry.get(lang)
