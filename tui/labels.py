"""The TUI's own words in Chinese and English, read from ``labels.yaml`` beside this module.

Findings arrive already in the user's language from the core; this module only covers the chrome:
step names, column headers, key names, status words.
"""

from __future__ import annotations

from functools import lru_cache

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, package_path, read_text, validate

LABELS_FILE = package_path("tui", "labels.yaml")


@lru_cache(maxsize=1)
def _labels() -> dict[str, Bilingual]:
    # needed for the first frame: validated once, then read as built (no YAML parser, no pydantic)
    return compiled.built(LABELS_FILE, "labels", _read_labels)


def _read_labels() -> dict[str, Bilingual]:
    # PyYAML's C loader: the round-trip parser (kept for files a user edits, where line numbers matter)
    # takes ten times longer on them.
    import yaml

    path = LABELS_FILE
    try:
        document = yaml.load(read_text(path), Loader=_loader(yaml))
    except yaml.YAMLError as exc:
        raise DataFileError(str(path), None, None, f"invalid YAML: {exc}") from exc
    return validate(dict[str, Bilingual], document, str(path), None)


def _loader(yaml):
    """A safe loader (C when available) that keeps ``yes:`` and ``no:`` label ids as strings (YAML 1.1 bools)."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:bool"]
                 for first, entries in base.yaml_implicit_resolvers.items()}
    return type("LabelLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def label(key: str, lang: str, **params: object) -> str:
    """The label ``key`` in ``lang`` with ``{placeholders}`` filled; the key itself if it is unknown."""
    text = _labels().get(key)
    if text is None:
        return key
    return text.format(lang, **params) if params else text.get(lang)


def label_keys() -> list[str]:
    """Every label id (for tests that check both languages are filled)."""
    return list(_labels())
