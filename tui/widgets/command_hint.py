"""The line that shows the CLI command equivalent to what the current step does, for CI.

Shown whole however long (wrapped, scrolled past four rows); ``y`` copies the command itself.
"""

from __future__ import annotations

import shlex
from typing import Sequence

from rich.text import Text

from mindpilot.tui.labels import label
from mindpilot.terminal_text import visible
from mindpilot.tui.widgets.command_block import CommandBlock


class CommandHint(CommandBlock):
    """``CLI $ mindpilot doctor --demo``: select it with the mouse or press ``y``, and paste it into a CI script."""

    DEFAULT_CSS = """
    CommandHint {
        max-height: 4;
        background: $boost;
        padding: 0 1;
    }
    """

    def __init__(self, argv: Sequence[str], lang: str, **kwargs) -> None:
        self.argv = list(argv)
        super().__init__(self._text(argv, lang), lang, **kwargs)

    def show(self, argv: Sequence[str]) -> None:  # type: ignore[override]
        """Show a new command."""
        self.argv = list(argv)
        super().show(self._text(argv, self.lang))

    def copy_text(self) -> str:
        return shlex.join(self.argv)

    @staticmethod
    def _text(argv: Sequence[str], lang: str) -> Text:
        text = Text(f"{label('cli_label', lang)} $ ", style="bold")
        text.append(visible(shlex.join(argv)), style="green")
        return text
