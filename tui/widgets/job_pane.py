"""The Launch step's live job: status line, loss chart, error panel, log title and the log of the chosen view.

It draws a :class:`~mindpilot.tui.job_view.JobView` handed in on every call; the state stays in the view,
so that a screen rebuilt after a language switch draws the same job again. Its parts are styled by the
screen's ``launch.tcss``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from mindpilot.terminal_text import visible
from mindpilot.tui.job_view import BUFFER_LINES, JobView
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.loss_chart import LossChart
from mindpilot.tui.widgets.wrapped_log import WrappedLog


class JobPane(Vertical):
    """Status, loss chart and its range, error panel, log title and log of one job."""

    def __init__(self, job: JobView, lang: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.job = job
        """The job drawn when composed (later calls hand in the screen's current one)."""
        self.lang = lang

    def compose(self) -> ComposeResult:
        job = self.job
        yield Static(job.status_text or job.t("launch_ready"), id="launch-status", markup=False)
        with Horizontal(id="loss-row"):
            yield LossChart(job.t("loss_axis_step"), id="loss-chart")
            yield Label(job.loss_range(), id="loss-range")
        yield CommandBlock("", self.lang, id="launch-errors")
        yield Static(job.view_title(), id="log-title")
        yield WrappedLog(max_lines=BUFFER_LINES, id="log")

    def draw(self, job: JobView, new_lines: list[str]) -> None:
        """Status, chart and errors as ``job`` has them now; ``new_lines`` appended to the log."""
        self.draw_status(job)
        self.draw_chart(job)
        log = self.query_one("#log", WrappedLog)
        log.add_lines(new_lines)
        self.draw_errors(job)
        # The error panel may have grown and shrunk the log: stay at the newest line.
        self.call_after_refresh(log.scroll_end, animate=False)

    def draw_status(self, job: JobView) -> None:
        """The status line (also while the pane is still being built: a worker's message must not fail)."""
        for status in self.query("#launch-status").results(Static):
            status.update(visible(job.status_text))

    def draw_chart(self, job: JobView) -> None:
        self.query_one(LossChart).show(job.losses)
        self.query_one("#loss-range", Label).update(job.loss_range())

    def draw_errors(self, job: JobView) -> None:
        """The error panel, shown only with something in it."""
        lines = job.panel_lines()
        panel = self.query_one("#launch-errors", CommandBlock)
        panel.show("\n".join(lines))
        panel.display = bool(lines)
        # Before the job has a loss the chart is empty: its rows go to the findings and the CLI line (80x24).
        self.query_one("#loss-row").display = bool(job.losses) or not lines

    def draw_view(self, job: JobView) -> None:
        """The log again from the kept lines of ``job``'s current view (after ``v`` or a new job)."""
        log = self.query_one("#log", WrappedLog)
        log.clear()
        log.add_lines(job.view_lines())
        self.query_one("#log-title", Static).update(job.view_title())
