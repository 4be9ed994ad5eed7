"""A step whose screen is not built yet (temporary)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mindpilot.tui.screens.step import StepScreen


class PlaceholderScreen(StepScreen):
    """Shows the step name only."""

    @classmethod
    def for_step(cls, mode: str) -> type:
        return type(f"{mode.title()}Placeholder", (cls,), {"MODE": mode})

    def cli_argv(self) -> list[str]:
        return ["mindpilot", self.MODE]

    def compose_body(self) -> ComposeResult:
        yield Static(self.t("step_" + self.MODE))
