"""The top line: which of the five steps you are on, so nobody gets lost in an 80x24 terminal."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mindpilot.tui.labels import label

STEPS: tuple[str, ...] = ("environment", "plan", "check", "launch", "diagnose")
"""Mode names of the steps, in order; step N (1-based) is ``STEPS[N - 1]``."""


class StepBar(Static):
    """``mindpilot  1 Environment  2 Model & Plan ...`` with the current step highlighted."""

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
    def render_steps(current: str, lang: str, demo: bool) -> Text:
        """The bar as styled text (static so tests and the help screen can reuse it)."""
        text = Text(" mindpilot ", style="bold")
        if demo:
            text.append(f"[{label('demo_badge', lang)}] ", style="bold yellow")
        for number, mode in enumerate(STEPS, start=1):
            name = f" {number} {label('step_' + mode, lang)} "
            text.append(name, style="bold reverse" if mode == current else "")
        return text
