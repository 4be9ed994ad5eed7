"""The TUI's own words in Chinese and English, read from ``labels.yaml`` beside this module.

Findings arrive already in the user's language from the core; this module only covers the chrome:
step names, column headers, key names, status words.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import RootModel

from mindpilot.i18n import Bilingual
from mindpilot.datafiles import load_model, package_path


class _Labels(RootModel[dict[str, Bilingual]]):
    """The whole labels file: label id -> {zh, en}."""


@lru_cache(maxsize=1)
def _labels() -> dict[str, Bilingual]:
    return load_model(_Labels, package_path("tui", "labels.yaml")).root


def label(key: str, lang: str, **params: object) -> str:
    """The label ``key`` in ``lang`` with ``{placeholders}`` filled; the key itself if it is unknown."""
    text = _labels().get(key)
    if text is None:
        return key
    return text.format(lang, **params) if params else text.get(lang)


def label_keys() -> list[str]:
    """Every label id (for tests that check both languages are filled)."""
    return list(_labels())
