"""The one output boundary: text from outside is shown, never obeyed, by the terminal.

Log lines, preset fields, a probed interpreter's stderr, wheel names and job records can hold control
characters. Written to a terminal as they are, ``ESC ] 0 ; ... BEL`` retitles the window, ``ESC [ 2 J`` wipes
the screen, ``ESC ] 52 ; c ; ...`` writes the clipboard, and a C1 ``U+009B`` is a CSI on some terminals.
Every string on its way to a terminal passes :func:`visible`: the CLI wraps its stdout and stderr in
:class:`VisibleStream` (``cli.main``), and the TUI passes what it shows through :func:`visible` or
:func:`visible_line`.

Visible forms: ESC is ``␛`` and every other C0 character its Unicode control picture (``␇``, ``␍`` ...);
DEL, C1 characters, bidirectional overrides and line separators become ``\\u009b``-style escapes, which
read the same in text and keep JSON valid (``json.dumps`` with ``ensure_ascii=False`` escapes C0 but
passes C1 through). Tab and newline are kept.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""Characters a terminal may obey rather than show (C0 but tab and newline, DEL, C1, bidi, separators)."""
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_COLOURS = re.compile("\x1b\\[[0-9;:]{0,64}m")
"""Select Graphic Rendition (colours, bold): dropped from log lines rather than shown as ``␛[31m``."""


def _shown(match: "re.Match[str]") -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+241B is ␛, U+2407 is ␇
    return f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character shown as a visible form; tab and newline kept."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_shown, text)


def visible_line(text: str) -> str:
    """One log line for display: colour codes and a line's trailing CR dropped, newline and every other
    control character shown visibly (tab kept, as spaces)."""
    if _UNSAFE_IN_LINE.search(text) is None:
        return text
    if "\x1b[" in text:
        text = _COLOURS.sub("", text)
    text = text.rstrip("\r\n").expandtabs(4)
    return _UNSAFE_IN_LINE.sub(_shown, text)


class VisibleStream:
    """A text stream whose writes pass :func:`visible`; everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(visible(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
