"""Terminal columns for human text: users read mindpilot in 80-column SSH terminals, often in Chinese.

``len()`` is wrong for Chinese (each character takes two columns) and Chinese has no spaces to break at,
so padding and word-wrapping go through these helpers.
"""

from __future__ import annotations

import unicodedata

WIDTH = 79
"""Lines are kept to this many columns (one spare for terminals that wrap at the last column)."""


def columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` columns."""
    return text + " " * max(0, width - columns(text))


def fit(word: str, width: int) -> int:
    """How many leading characters of ``word`` fit in ``width`` columns."""
    used = 0
    for index, ch in enumerate(word):
        used += columns(ch)
        if used > width:
            return index
    return len(word)


def wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    """Word-wrap ``text`` to ``width`` columns; continuation lines start with ``indent``.

    Runs without spaces that hold Chinese are cut by columns; a long run of ASCII (a path, a URL, a
    command word) is never cut, so it stays copyable, and may overflow. Leading spaces are kept.
    """
    lead = text[: len(text) - len(text.lstrip(" "))]
    lines, line = [], lead
    for word in text.split():
        while columns(indent + word) > width and columns(word) > len(word):  # Chinese run: cut by columns
            room = width - columns(line) - 1 if line.strip() else width - columns(line)
            cut = fit(word, room)
            if cut == 0:
                lines.append(line)
                line = indent
                cut = fit(word, width - columns(indent))
            lines.append((f"{line} " if line.strip() else line) + word[:cut])
            line, word = indent, word[cut:]
        candidate = f"{line} {word}" if line.strip() else line + word
        if line.strip() and columns(candidate) > width:
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    lines.append(line)
    return lines
