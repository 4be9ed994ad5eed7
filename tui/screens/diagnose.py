"""The Diagnose step: point at an msrun log dir, get the first failing rank's error and the fix.

Runs the CLI's router (``launch.router.analyse``) in a thread worker. The root cause (first failing
rank, by time) is shown above the findings; the other ranks' timeouts are summed up as its consequences.
"""

from __future__ import annotations

import shlex
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from mindpilot.tui import core
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.labeled import Labeled
from mindpilot.terminal_text import visible
from mindpilot.validators.kb.report import CONFIDENT
from mindpilot.validators.text.report import root_heading, whole_line


class DiagnoseScreen(StepScreen):
    """A path field, the root cause, and the findings with their fixes."""

    CSS_PATH = "diagnose.tcss"
    MODE = "diagnose"
    AUTO_FOCUS = "#findings-table"
    BINDINGS = [
        Binding("g", "diagnose", "key_diagnose"),
        Binding("c", "copy_fix", "key_copy"),
    ]

    diagnosed_log_dir: Optional[str] = None
    """The job log dir last diagnosed automatically (a new job's logs are diagnosed when shown)."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="diag-form"):
            yield Labeled(self.t("diag_paths"), Input(visible(self.session.log_dir or ""), compact=True,
                                                      placeholder=self.t("diag_placeholder"), id="diag-path"),
                          id="diag-path-row")
        yield Static(self.t("diag_hint"), id="diag-root", markup=False)
        yield FindingsPanel(self.session.lang, id="diag-findings")

    def on_mount(self) -> None:
        if self.session.diagnosis is not None:
            self.show_report(self.session.diagnosis)
        elif self.session.log_dir:
            self.action_diagnose()

    def after_relabel(self) -> None:
        if self.session.diagnosis is not None:
            self.action_diagnose()

    def on_screen_resume(self) -> None:
        # A job launched since this screen was built: offer its log dir.
        field = self.query("#diag-path")
        if field and field.first(Input).value != self.session.log_dir and self.session.log_dir \
                and self.session.log_dir != self.diagnosed_log_dir:
            field.first(Input).value = visible(self.session.log_dir)
            self.action_diagnose()

    def _paths(self) -> list[str]:
        fields = self.query("#diag-path")
        if not fields:
            return []
        try:
            return shlex.split(fields.first(Input).value)
        except ValueError:  # an unfinished quote while typing
            return []

    def cli_argv(self) -> list[str]:
        return core.diagnose_argv(self.session, self._paths())

    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_cli_hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_diagnose()

    def action_diagnose(self) -> None:
        """Diagnose the paths in the field."""
        paths = self._paths()
        if not paths:
            last = self.session.log_dir or _last_job_log_dir()
            if not last:
                self.query_one("#diag-root", Static).update(self.t("diag_no_job"))
                return
            paths = [last]
            self.query_one("#diag-path", Input).value = last
        self.query_one("#diag-root", Static).update(self.t("diag_running"))
        if self.session.log_dir in paths:
            self.diagnosed_log_dir = self.session.log_dir
        self.run_diagnose(paths)

    @work(thread=True, exclusive=True, group="diagnose")
    def run_diagnose(self, paths: list[str]) -> None:
        """The knowledge-base scan in a thread; the report goes back to the UI thread."""
        try:
            report = core.diagnose(paths, self.session.lang)
        except Exception as exc:  # no such path: a clear message, not a traceback
            self.from_thread(self._root, self.t("failed", error=exc))
            return
        self.from_thread(self.show_report, report)

    def _root(self, text: str) -> None:
        self.query_one("#diag-root", Static).update(visible(text))

    def show_report(self, report: Any) -> None:
        """Root cause, consequences and findings; the report is kept in the session."""
        self.session.diagnosis = report
        root = report.root_cause
        lines = []
        if root is not None:
            title = root.title or root.rule
            if root.confidence != CONFIDENT:  # said as likely or unsure, as the CLI says it
                lines.append(root_heading(root, self.session.lang).title)
            else:
                lines.append(self.t("diag_root_cause", rank=root.rank if root.rank is not None else "?", title=title))
            lines.append(self.t("diag_root_where", file=root.file, line=root.line, rule=root.rule))
            first = report.findings[0] if report.findings and report.findings[0].rule == root.rule else None
            key = whole_line(first) if first is not None else ""
            if key and key != title.strip():
                lines.append("> " + key)  # the whole log line, as the CLI quotes it
            also = str(getattr(first, "also_text", None) or "").strip() if first is not None else ""
            if also:
                lines.append("> " + also)  # a later line of the same error, as the CLI quotes it too
        elif not report.findings and not getattr(report, "files", None) and getattr(report, "inputs", None):
            lines.append(self.t("diag_inputs_clean", inputs=_inputs(report.inputs, self.session.lang)))
        else:
            lines.append(self.t("diag_no_root"))
        groups = getattr(report, "consequences", None) or []
        if groups:
            text = "; ".join(f"{g.title or g.rule} ×{g.count} (ranks {','.join(map(str, g.ranks))})"
                             for g in groups[:2])
            lines.append(core.short(self.t("diag_consequences", groups=text), 160))
        else:
            lines.append(self.t("diag_counts", files=len(getattr(report, "files", []) or []),
                                findings=len(report.findings)))
        self._root("\n".join(lines))
        panel = self.query_one(FindingsPanel)
        panel.show(list(report.findings) + list(getattr(report, "notes", []) or []))
        panel.query_one("#findings-table").focus()


def _inputs(inputs: list[dict[str, Any]], lang: str) -> str:
    """``demo (preset)``: what was read when it was no log (a preset, a config, a script), as the CLI names it."""
    from mindpilot.launch.router import input_label

    return ", ".join(f"{entry['file']} ({input_label(entry['kind'], lang)})" for entry in inputs)


def _last_job_log_dir() -> Optional[str]:
    """The log folder of the newest job on record (launched here, earlier, or from another terminal)."""
    from pathlib import Path

    try:
        from mindpilot.launch.jobs import list_jobs

        return next((job.log_dir for job in list_jobs() if job.log_dir and Path(job.log_dir).exists()), None)
    except Exception:  # an unreadable state dir: the user can still type a path
        return None
