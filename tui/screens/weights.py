"""The Weights step: the conversion the stack needs (or the YAML key to set when none is needed), run as a job.

MindFormers 1.x converts to a ``.ckpt`` file, MindFormers 2.x and MindRLHF GRPO load the Hugging Face
safetensors directly, MindSpeed-LLM converts with the TP/PP of the Plan step (see ``acquire.weights``).
"""

from __future__ import annotations

from typing import Any, Optional

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from mindpilot.tui import acquiring
from mindpilot.tui.screens.tool_step import ToolStepScreen
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.terminal_text import visible


class WeightsScreen(ToolStepScreen):
    """The output field, the conversion command and the tracked job's console."""

    CSS_PATH = ["tool_step.tcss", "weights.tcss"]
    MODE = "weights"
    KIND = "weights"

    def compose_fields(self) -> ComposeResult:
        with Horizontal(id="weights-form"):
            yield Labeled(self.t("prep_output"), Input(visible(self.session.weights_output or ""), compact=True,
                                                       id="weights-output",
                                                       placeholder=self.t("prep_output_placeholder")),
                          id="weights-output-row")

    def _output(self) -> Optional[str]:
        fields = self.query("#weights-output")
        return (fields.first(Input).value.strip() or None) if fields else None

    def build_command(self) -> Any:
        return acquiring.weights_command(self.session, self._output())

    def cli_argv(self) -> list[str]:
        return acquiring.weights_argv(self.session, self._output())

    def remember_output(self, output: Optional[str]) -> None:
        self.session.weights_output = output
