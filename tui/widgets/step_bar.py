"""The top line: which of the steps you are on, so nobody gets lost in an 80x24 terminal.

Eight step names do not fit 80 columns; when they do not, the other steps show only their number.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from mindpilot.tui import steps
from mindpilot.tui.labels import label


class StepBar(Static):
    """``mindpilot  1 Environment  2 Model ...`` with the current step highlighted."""

    DEFAULT_CSS = """
    StepBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str, lang: str, demo: bool) -> None:
        self.steps_text = self.render_steps(current, lang, demo)
        """The bar as shown (tests read it)."""
        super().__init__(self.steps_text)

    @staticmethod
    def render_steps(current: str, lang: str, demo: bool, width: int = 80) -> Text:
        """The bar as styled text (static so tests and the help screen can reuse it)."""
        text = Text(" mindpilot ", style="bold")
        if demo:
            text.append(f"[{label('demo_badge', lang)}] ", style="bold yellow")
        modes = [step.mode for step in steps.STEPS]
        names = [f" {number} {step.title(lang)}" for number, step in enumerate(steps.STEPS, start=1)]
        if cell_len(text.plain) + sum(cell_len(name) for name in names) + 2 > width:
            names = [name if mode == current else f" {number}" for number, (mode, name)
                     in enumerate(zip(modes, names), start=1)]
        names = [name + " " if mode == current else name for mode, name in zip(modes, names)]
        for mode, name in zip(modes, names):
            text.append(name, style="bold reverse" if mode == current else "")
        return text
