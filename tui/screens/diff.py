"""Confirm a change to the user's file: show the unified diff (and the CLI line that writes it), write only on ``y``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mindpilot.terminal_text import visible
from mindpilot.tui.labels import label


class DiffScreen(ModalScreen[bool]):
    """Dismisses with True (write) or False (cancel)."""

    CSS_PATH = "diff.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, diff: str, lang: str, command: str = "") -> None:
        super().__init__()
        self.diff = diff
        self.lang = lang
        self.command = command
        """The CLI command that makes the same write (shown above the diff), if any."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diff-body") as body:
            body.border_title = label("diff_title", self.lang)
            body.border_subtitle = label("diff_keys", self.lang)
            if self.command:
                yield Static(f"{label('cli_label', self.lang)} $ {visible(self.command)}", markup=False,
                             id="diff-command")
            yield Static(self.diff, markup=False, id="diff-text")

    def action_answer(self, write: bool) -> None:
        self.dismiss(write)
