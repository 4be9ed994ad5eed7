"""A block of commands or messages shown whole: wrapped at spaces, scrolled when taller than its box, copied with ``y``.

Steps used to cut long commands to fit 80x24 ("--output_file …"); a command the user cannot read in
full cannot be checked or pasted. The block keeps every character: it wraps at word boundaries, scrolls
(mouse, or arrows once focused), and ``y`` copies the whole text to the clipboard (OSC 52).
"""

from __future__ import annotations

from typing import Union

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mindpilot.terminal_text import visible
from mindpilot.tui.keys import localize_bindings
from mindpilot.tui.labels import label
from mindpilot.validators.text.columns import short


class CommandBlock(VerticalScroll, can_focus=True):
    """Scrollable, copyable text; ``show`` replaces it."""

    DEFAULT_CSS = """
    CommandBlock {
        height: auto;
        scrollbar-size-vertical: 1;
        & > Static { width: 1fr; height: auto; }
    }
    """
    BINDINGS = [Binding("y", "copy_text", "key_copy_text")]

    def __init__(self, text: Union[str, Text] = "", lang: str = "en", **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.text = _visible(text)
        localize_bindings(self, lang)

    def compose(self) -> ComposeResult:
        yield Static(self.text, markup=False)

    def show(self, text: Union[str, Text]) -> None:
        """Show new text (scrolled back to its start); control characters are shown, never sent to the terminal."""
        self.text = _visible(text)
        for body in self.query(Static).results(Static):
            body.update(self.text)
        self.scroll_home(animate=False)

    @property
    def plain(self) -> str:
        """The text as shown, without styles (what ``y`` copies)."""
        return self.text.plain if isinstance(self.text, Text) else self.text

    def action_copy_text(self) -> None:
        """Copy the whole text (every line, however long) to the clipboard."""
        text = self.copy_text()
        if not text:
            self.notify(label("nothing_to_copy_text", self.lang), severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(label("copied", self.lang, text=short(text.replace("\n", " "), 60)))

    def copy_text(self) -> str:
        """What ``y`` puts on the clipboard (a subclass may copy less than it shows, e.g. without a prompt)."""
        return self.plain


def _visible(text: Union[str, Text]) -> Union[str, Text]:
    """Plain text through :func:`visible`; styled text was built from visible parts by its caller."""
    return visible(text) if isinstance(text, str) else text
