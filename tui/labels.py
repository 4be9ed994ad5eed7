"""The TUI's own words in Chinese and English, read from ``labels.yaml`` beside this module (a book of
:mod:`mindpilot.wording`, the same form as the CLI's messages).

Findings arrive already in the user's language from the core; this module only covers the chrome:
step names, column headers, key names, status words.
"""

from __future__ import annotations

from pathlib import Path

from mindpilot import wording
from mindpilot.bilingual import Bilingual

LABELS_FILE = wording.wordbook_path("labels")


def _read_labels(path: Path = LABELS_FILE) -> dict[str, Bilingual]:
    return wording.read_wordbook(path)


def label(key: str, lang: str, /, **params: object) -> str:
    """The label ``key`` in ``lang`` with ``{placeholders}`` filled; the key itself if it is unknown."""
    return wording.text("labels", key, lang, **params)


def label_keys() -> list[str]:
    """Every label id (for tests that check both languages are filled)."""
    return list(wording.wordbook("labels"))
