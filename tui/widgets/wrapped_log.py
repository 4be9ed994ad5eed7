"""A log that wraps long lines without losing characters, and wraps them again when its width changes.

Textual's ``RichLog`` wraps each line once, at the width it has when the line arrives (never narrower
than ``min_width``, 78 by default). Its vertical scrollbar appears only once the log is full, taking a
column from lines already wrapped, and 80-column terminals lost 2-3 characters at every wrap
("per_step_tim"). Here the scrollbar is always there, lines wrap at the width actually shown, and the
plain lines are kept so that a resize wraps them again.
"""

from __future__ import annotations

from collections import deque
from typing import Optional

from textual import events
from textual.widgets import RichLog

from mindpilot.terminal_text import visible


class WrappedLog(RichLog):
    """``RichLog`` for plain text lines: ``add_line`` / ``clear``; every character stays visible."""

    DEFAULT_CSS = """
    WrappedLog {
        overflow-y: scroll;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, max_lines: int = 1000, **kwargs) -> None:
        super().__init__(max_lines=max_lines, min_width=1, wrap=True, markup=False, highlight=False, **kwargs)
        self.plain_lines: deque[str] = deque(maxlen=max_lines)
        """The lines as written, for wrapping again at a new width (and for tests)."""
        self._wrapped_at: Optional[int] = None

    def add_line(self, text: str) -> None:
        """Append one line (wrapped at the width shown; control characters shown, not obeyed)."""
        text = visible(text)
        self.plain_lines.append(text)
        self.write(text, shrink=True)

    def add_lines(self, lines: list[str]) -> None:
        """Append several lines."""
        for line in lines:
            self.add_line(line)

    def clear(self) -> "WrappedLog":
        self.plain_lines.clear()
        super().clear()
        return self

    def on_resize(self, event: events.Resize) -> None:
        width = self.scrollable_content_region.width
        if self._wrapped_at is not None and width != self._wrapped_at and self.plain_lines:
            lines = list(self.plain_lines)
            super().clear()
            for line in lines:
                self.write(line, shrink=True)
        self._wrapped_at = width
