"""Terminal columns for human text: users read mindpilot in 80-column SSH terminals, often in Chinese.

``len()`` is wrong for Chinese (each character takes two columns) and Chinese has no spaces to break at,
so padding and word-wrapping go through these helpers.
"""

from __future__ import annotations

import re
import unicodedata

WIDTH = 79
"""Lines are kept to this many columns (one spare for terminals that wrap at the last column)."""


def columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` columns."""
    return text + " " * max(0, width - columns(text))


def short(value: object, width: int) -> str:
    """``value`` as text cut to ``width`` columns with an ellipsis (a table cell, a status line)."""
    text = "" if value is None else str(value)
    if columns(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += columns(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    """Word-wrap ``text`` to ``width`` columns; continuation lines start with ``indent``.

    Lines break at spaces and between Chinese characters (never before closing punctuation such as
    ``，`` or ``）``). A run of ASCII (a path, a URL, a command word) is never cut, so it stays copyable;
    a run longer than the line overflows. Leading spaces of ``text`` are kept.
    """
    lead = text[: len(text) - len(text.lstrip(" "))]
    lines, line, used, filled = [], [lead], columns(lead), False  # the line's parts, its columns, any words
    for piece, spaced in _pieces(text):
        gap = 1 if spaced and filled else 0
        cost = columns(piece)
        if filled and used + gap + cost > width:
            lines.append("".join(line))
            line, used = [indent, piece], columns(indent) + cost
        else:
            line += [" ", piece] if gap else [piece]
            used += gap + cost
        filled = True
    lines.append("".join(line))
    return lines


_RUN = re.compile(r"[\x00-\x7f]+|.")
_CLOSING = set("，。、；：！？）》」』】”’…")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Unbreakable pieces of ``text`` and whether a space comes before each.

    Each piece is gathered as a list of runs and joined once: a line of 100,000 opening brackets is one
    piece built in one pass, not re-copied at every bracket."""
    pieces: list[tuple[list[str], bool]] = []
    for word in text.split():
        for index, run in enumerate(_RUN.findall(word)):
            if index and (run[0] in _CLOSING or pieces[-1][0][-1][-1] in "（《「『【“‘([{<"):
                pieces[-1][0].append(run)  # keep punctuation with its neighbour
            else:
                pieces.append(([run], index == 0))
    return [("".join(runs), spaced) for runs, spaced in pieces]
