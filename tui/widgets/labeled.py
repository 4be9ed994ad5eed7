"""A one-line ``Label [field]`` pair, so that forms fit the 80x24 budget."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


class Labeled(Horizontal):
    """A label followed by a compact input widget on one line."""

    DEFAULT_CSS = """
    Labeled {
        height: 1;
        width: auto;
        margin-right: 1;
        & > Label { padding-right: 1; color: $text-muted; }
    }
    """

    def __init__(self, text: str, field: Widget, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.field = field

    def compose(self) -> ComposeResult:
        yield Label(self.text)
        yield self.field
