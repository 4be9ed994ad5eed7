"""A yes/no question in a box (``s`` on Launch asks before stopping a job)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from mindpilot.tui.labels import label


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True on ``y``, False on ``n`` or Esc."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str, lang: str) -> None:
        super().__init__()
        self.question = question
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body") as body:
            body.border_subtitle = label("confirm_keys", self.lang)
            yield Static(self.question, markup=False, id="confirm-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
