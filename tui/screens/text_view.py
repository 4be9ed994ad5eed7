"""A read-only text in a box (the run.sh preview on Launch); Esc or q closes it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mindpilot.tui.labels import label


class TextScreen(ModalScreen[None]):
    """Shows ``text`` under ``title``, scrollable."""

    CSS_PATH = "text_view.tcss"
    BINDINGS = [
        Binding("escape", "close", show=False),
        Binding("q", "close", show=False),
        Binding("p", "close", show=False),
    ]

    def __init__(self, title: str, text: str, lang: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-body") as body:
            body.border_title = self.title_text
            body.border_subtitle = label("help_close", self.lang)
            yield Static(self.text, markup=False, id="text-content")

    def action_close(self) -> None:
        self.dismiss(None)
