"""The line that shows the CLI command equivalent to what the current step does, for CI."""

from __future__ import annotations

import shlex
from typing import Sequence

from rich.text import Text
from textual.widgets import Static

from mindpilot.tui.labels import label
from mindpilot.terminal_text import visible


class CommandHint(Static):
    """``CLI $ mindpilot doctor --demo``: select it with the mouse, or paste it into a CI script."""

    DEFAULT_CSS = """
    CommandHint {
        height: auto;
        max-height: 3;
        background: $boost;
        padding: 0 1;
    }
    """

    def __init__(self, argv: Sequence[str], lang: str, **kwargs) -> None:
        self.lang = lang
        super().__init__(self._text(argv), **kwargs)

    def show(self, argv: Sequence[str]) -> None:
        """Show a new command."""
        self.update(self._text(argv))

    def _text(self, argv: Sequence[str]) -> Text:
        text = Text(f"{label('cli_label', self.lang)} $ ", style="bold")
        text.append(visible(shlex.join(argv)), style="green")
        return text
