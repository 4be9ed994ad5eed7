"""What the Weights and Data steps share: the command for the framework, checks, and a tracked run.

A subclass says which fields it has and how to build its :class:`~mindpilot.presets.tool_command.ToolCommand`;
this class shows the command (or what to set instead when nothing needs to run), checks what can be
checked before running, starts it as a job under the launch supervisor (``r``), tails its console, and
checks the result when it ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import get_current_worker

from mindpilot.tui import acquiring, core
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.wrapped_log import WrappedLog
from mindpilot.validators.findings import Severity
from mindpilot.terminal_text import visible, visible_line

POLL_SECONDS = 0.2
"""How often the job's record and console are read while it runs."""


class ToolStepScreen(StepScreen):
    """Base of the Weights and Data steps."""

    KIND = ""
    """``weights`` or ``data``."""
    AUTO_FOCUS = "#prep-command"
    """Not a field: single-letter keys work at once (Tab reaches the fields)."""
    BINDINGS = [
        Binding("r", "run", "key_run_step"),
        Binding("f", "next_framework", "key_framework"),
    ]

    def __init__(self, session) -> None:
        super().__init__(session)
        self.command: Any = None
        self.findings: list[Any] = []
        self.job_id: Optional[str] = None

    def compose_fields(self) -> ComposeResult:
        """The step's input fields."""
        yield from ()

    def build_command(self) -> Any:
        """The step's ToolCommand from the fields and the session."""
        raise NotImplementedError

    def before(self) -> list[Any]:
        """Findings visible before running."""
        return acquiring.before_findings(self.KIND, self.command, self.session)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="prep-context", markup=False)
        yield from self.compose_fields()
        yield CommandBlock("", self.session.lang, id="prep-command")
        yield Static("", id="prep-findings", markup=False)
        yield Static("", id="prep-status", markup=False)
        yield WrappedLog(max_lines=500, id="prep-log")

    def on_mount(self) -> None:
        self.refresh_command()

    def on_screen_resume(self) -> None:
        self.refresh_command()  # the model, framework or plan may have changed on another step

    def after_relabel(self) -> None:
        self.refresh_command()

    def refresh_command(self) -> None:
        """Rebuild the command and its pre-run findings from the fields and the session."""
        session = self.session
        self.query_one("#prep-context", Static).update(visible(
            self.t("prep_framework", framework=session.framework, model=session.model_dir or "—")))
        self.command = self.build_command()
        self.query_one("#prep-command", CommandBlock).show("\n".join([*self.command.display(), *self.command.notes]))
        self.findings = self.before()
        self._show_findings(self.findings)
        if not self.job_id:
            self._status(self.t("prep_no_model") if not session.model_dir else
                         self.t("prep_hint_run") if self.command.argv else self.t("prep_hint_nothing"))
        self.update_cli_hint()

    def _show_findings(self, findings: list[Any]) -> None:
        lines = [f"{'✗' if f.severity is Severity.ERROR else '!'} {f.title}" + (f" — {f.fix}" if f.fix else "")
                 for f in findings]
        panel = self.query_one("#prep-findings", Static)
        panel.update(visible("\n".join(lines)))
        panel.display = bool(lines)

    def _status(self, text: str) -> None:
        self.query_one("#prep-status", Static).update(visible(text))

    def on_input_changed(self, event) -> None:
        self.refresh_command()

    def action_next_framework(self) -> None:
        """MindFormers -> GRPO -> MindSpeed-LLM (shared with the Plan step)."""
        frameworks = core.FRAMEWORKS
        current = self.session.framework if self.session.framework in frameworks else frameworks[-1]
        self.session.framework = frameworks[(frameworks.index(current) + 1) % len(frameworks)]
        self.session.candidates = []  # Plan plans again for the new framework
        self.refresh_command()

    def missing_input(self) -> Optional[str]:
        """The status text when the command still has a placeholder for something not given yet."""
        return None if self.session.model_dir else self.t("prep_no_model")

    def action_run(self) -> None:
        """Start the command as a tracked job, unless an input is missing or a pre-run check found an error."""
        if not self.command or not self.command.argv:
            self._status(self.t("prep_hint_nothing"))
            return
        missing = self.missing_input()
        if missing:
            self._status(missing)
            return
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        if errors:
            self._status(self.t("prep_blocked", count=len(errors)))
            return
        if self.session.demo and not Path(self.command.cwd).expanduser().is_dir():
            # the demo machine's checkout is not on this computer: say so rather than report a failed job
            self._status(self.t("prep_demo_not_run", checkout=self.command.cwd))
            return
        self.query_one("#prep-log", WrappedLog).clear()
        self.query_one("#prep-log").display = True
        self.run_job(self.command)

    @work(thread=True, exclusive=True, group="tool-job")
    def run_job(self, command: Any) -> None:
        """Start, tail the console, and check the result when the job ends."""
        from mindpilot.launch.tool_jobs import console_chunks, start_tool_job

        worker = get_current_worker()
        try:
            record = start_tool_job(command)
        except Exception as exc:  # LaunchError: no checkout, script cannot start
            self.from_thread(self._status, self.t("failed", error=exc))
            return
        self.job_id = record.id
        self.from_thread(self._status, self.t("prep_started", job=record.id))
        for record, text in console_chunks(record.id, poll=POLL_SECONDS, stop=lambda: worker.is_cancelled):
            if text:
                self.from_thread(self._write, text.splitlines())
        results = acquiring.result_findings(self.KIND, command, self.session.lang, record.log_dir)
        self.from_thread(self.finished, record, results)

    def _write(self, lines: list[str]) -> None:
        self.query_one("#prep-log", WrappedLog).add_lines([visible_line(line) for line in lines])

    def finished(self, record: Any, results: list[Any]) -> None:
        """Show the result check and remember the output for the next steps."""
        self.job_id = None
        self._show_findings(results)
        if record.exit_code == 0 and not results:
            self.remember_output(self.command.output)
            self._status(self.t("prep_done_ok", job=record.id, output=self.command.output))
        else:
            self._status(self.t("prep_done_bad", job=record.id, status=record.status, code=record.exit_code,
                                count=len(results)))

    def remember_output(self, output: Optional[str]) -> None:
        """Keep the step's result in the session (the subclass says where)."""
