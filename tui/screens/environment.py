"""The Environment step: the doctor's verdict as a components table and findings with fixes.

Runs ``mindpilot doctor`` (the demo environment in demo mode) in a thread worker, unless the
session already holds a report; ``r`` runs it again. ``d`` runs the installed framework's own self-test
(``doctor --deep``) as a tracked job, its console below the table, its stages as findings.
"""

from __future__ import annotations

from typing import Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from mindpilot.tui import core
from mindpilot.tui.core import short
from mindpilot.tui.screens.step import StepScreen
from mindpilot.terminal_text import visible_line
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.wrapped_log import WrappedLog
from mindpilot.validators.findings import Severity
from mindpilot.validators.report import DoctorReport
from mindpilot.terminal_text import visible


class EnvironmentScreen(StepScreen):
    """Components found / expected / status, and what to fix, worst first."""

    CSS_PATH = "environment.tcss"
    MODE = "environment"
    BINDINGS = [
        Binding("r", "refresh", "key_refresh"),
        Binding("c", "copy_fix", "key_copy"),
        Binding("d", "deep", "key_deep"),
    ]
    selftest_python: Optional[str] = None
    """The interpreter the self-test runs in (None: the one running mindpilot, as the doctor probes)."""

    def compose_body(self) -> ComposeResult:
        yield Static(self.t("probing"), id="env-summary")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="components")
        table.add_column(self.t("col_component"), key="name", width=15)
        table.add_column(self.t("col_found"), key="found", width=20)
        table.add_column(self.t("col_expected"), key="expected", width=20)
        table.add_column(self.t("col_status"), key="status", width=12)
        yield table
        yield WrappedLog(max_lines=300, id="env-deep-log")
        yield FindingsPanel(self.session.lang, id="env-findings")

    def on_mount(self) -> None:
        if self.session.env_report is None:
            # After the first frame: the probe's thread would otherwise compete with drawing it.
            self.call_after_refresh(self.run_doctor)
        else:
            self.show_report(self.session.env_report)

    def after_relabel(self) -> None:
        # Findings texts come from the core in one language: ask again in the new one.
        self.run_doctor()

    def action_refresh(self) -> None:
        """Probe the environment again."""
        self.query_one("#env-summary", Static).update(self.t("probing"))
        self.run_doctor()

    @work(thread=True, exclusive=True, group="doctor")
    def run_doctor(self) -> None:
        """Blocking probe in a thread; the result goes back to the UI thread."""
        try:
            report = core.doctor(self.session.demo, self.session.lang)
        except Exception as exc:  # the probe must never take the UI down with it
            self.from_thread(self.show_problem, self.t("failed", error=exc))
            return
        self.from_thread(self.show_report, report)

    def action_deep(self) -> None:
        """Run the framework's own self-test (not on the demo machine: there is nothing real to test)."""
        if self.session.demo:
            self.show_problem(self.t("deep_demo"))
            return
        log = self.query_one("#env-deep-log", WrappedLog)
        log.clear()
        log.display = True
        self.run_selftest()

    @work(thread=True, exclusive=True, group="selftest")
    def run_selftest(self) -> None:
        """Start the self-test job, follow its console, then show its stages as findings."""
        from mindpilot.launch.tool_jobs import console_chunks
        from mindpilot.launch.selftest import read_selftest, start_selftest

        worker = get_current_worker()
        try:
            record = start_selftest(self.selftest_python)
        except Exception as exc:  # no interpreter, the job could not start: say so, keep the UI
            self.from_thread(self.show_problem, self.t("failed", error=exc))
            return
        self.from_thread(self.show_problem, self.t("deep_started", job=record.id))
        for record, text in console_chunks(record.id, poll=0.5, stop=lambda: worker.is_cancelled):
            if text:
                self.from_thread(self.query_one("#env-deep-log", WrappedLog).add_lines,
                                 [visible_line(line) for line in text.splitlines()])
        _, findings = read_selftest(record, self.session.lang)
        self.from_thread(self.show_selftest, record.id, findings)

    def show_selftest(self, job: str, findings: list) -> None:
        errors = sum(f.severity is Severity.ERROR for f in findings)
        self.show_problem(self.t("deep_done", job=job, errors=errors))
        self.query_one(FindingsPanel).show(findings)

    def show_problem(self, text: str) -> None:
        """Say why there is no report."""
        self.query_one("#env-summary", Static).update(visible(text))

    def show_report(self, report: DoctorReport) -> None:
        """Fill the table and the findings from ``report`` and keep it in the session."""
        self.session.env_report = report
        self.query_one("#env-summary", Static).update(visible(self.summary(report)))
        table = self.query_one("#components", DataTable)
        table.clear()
        for row in report.components:
            table.add_row(short(visible(row.name), 15), short(visible(row.found or "—"), 20),
                          short(visible(row.expected or "—"), 20),
                          self.t(f"status_{row.status.value}"), key=row.name)
        self.query_one(FindingsPanel).show(report.findings)

    def summary(self, report: DoctorReport) -> str:
        """The hardware and the error/warning counts, then the stack and why (whole, wrapped)."""
        errors = sum(f.severity is Severity.ERROR for f in report.findings)
        warnings = sum(f.severity is Severity.WARNING for f in report.findings)
        if report.stack and report.stack in report.stack_reason:
            stack = report.stack_reason  # the doctor's reason already names the stack
        else:
            stack = self.t("env_summary", stack=report.stack or "—", reason=report.stack_reason or "")
        counts = self.t("env_counts", errors=errors, warnings=warnings)
        return f"{self.hardware(report)} · {counts}\n{stack}"

    def hardware(self, report: DoctorReport) -> str:
        """``8× 910B, 64 GB HBM per card, CANN 8.2.RC1`` from the probe facts."""
        cards = self.session.env_cards()
        facts = report.environment
        cann = _find(facts, "cann_version") or "—"
        if not cards:
            return f"{self.t('env_no_npu')}, CANN {cann}"
        npus = _find(facts, "npus") or []
        chip = _chip_name(npus[0]) if npus and isinstance(npus[0], dict) else "NPU"
        hbm = self.session.env_hbm_gb()
        return self.t("env_hardware", cards=cards, chip=chip, hbm=f"{hbm:g}" if hbm else "?", cann=cann)


def _chip_name(npu: dict) -> str:
    """``910B3``: npu-smi's chip name (``name``), not its chip index."""
    for key in ("name", "chip"):
        if isinstance(npu.get(key), str) and npu[key]:
            return npu[key]
    return "NPU"


def _find(facts: dict, key: str) -> Optional[object]:
    """A probe fact at the top level or one section down (the report's layout is the doctor's)."""
    if key in facts:
        return facts[key]
    for value in facts.values():
        if isinstance(value, dict) and key in value:
            return value[key]
    return None
