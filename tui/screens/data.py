"""The Data step: the preprocessing for the framework, checked before it runs, run as a tracked job.

The sequence length is the YAML's (``seq_length``), so data and model cannot differ; a dataset that is
really a web page, or a MindSpeed output prefix that is a folder, stops the run (see ``acquire.data_check``).
"""

from __future__ import annotations

from typing import Any, Optional

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from mindpilot.tui import acquiring, core
from mindpilot.tui.screens.tool_step import ToolStepScreen
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.terminal_text import visible


class DataScreen(ToolStepScreen):
    """Dataset and output fields, the preprocessing command and the tracked job's console."""

    CSS_PATH = ["tool_step.tcss", "data.tcss"]
    MODE = "data"
    KIND = "data"

    def compose_fields(self) -> ComposeResult:
        session = self.session
        if session.demo:
            if not session.dataset:
                session.dataset = _quiet(acquiring.demo_dataset)
            if not session.config_path:
                session.config_path = _quiet(core.demo_config)
        with Horizontal(id="data-form"):
            yield Labeled(self.t("prep_dataset"), Input(visible(session.dataset or ""), compact=True,
                                                        id="data-dataset",
                                                        placeholder=self.t("prep_dataset_placeholder")),
                          id="data-dataset-row")
        with Horizontal(id="data-form2"):
            yield Labeled(self.t("prep_output"), Input(visible(session.data_output or ""), compact=True,
                                                       id="data-output",
                                                       placeholder=self.t("prep_output_placeholder")),
                          id="data-output-row")

    def _field(self, selector: str) -> str:
        fields = self.query(selector)
        return fields.first(Input).value.strip() if fields else ""

    def build_command(self) -> Any:
        self.session.dataset = self._field("#data-dataset") or self.session.dataset
        return acquiring.data_command(self.session, self.session.dataset or "", self._field("#data-output") or None)

    def missing_input(self) -> Optional[str]:
        if not (self._field("#data-dataset") or self.session.dataset):
            return self.t("prep_no_dataset")
        return super().missing_input()

    def before(self) -> list[Any]:
        return acquiring.before_findings("data", self.command, self.session, self.session.dataset or "")

    def cli_argv(self) -> list[str]:
        return acquiring.data_argv(self.session, self._field("#data-dataset") or self.session.dataset or "",
                                 self._field("#data-output") or None)

    def remember_output(self, output: Optional[str]) -> None:
        self.session.data_output = output


def _quiet(function) -> Optional[str]:
    try:
        return function()
    except OSError:  # no writable temp dir: the field stays empty, the step still works
        return None
