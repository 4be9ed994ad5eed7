"""What the Launch step knows about the job on display, built from the launch core's events.

Plain state, no widgets: per-rank log buffers, one loss per step of the lowest reporting rank, the
status line, and the error panel's lines (first failure, hangs; timeouts of other ranks counted as
consequences). The screen feeds it event batches and draws from it, so that a rebuilt screen
(language switch) can draw everything again.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any, Callable, Optional

from mindpilot.launch.parse import log_message
from mindpilot.terminal_text import visible, visible_line
from mindpilot.validators.findings import Severity

BUFFER_LINES = 2000
"""Lines kept per view (all ranks, and each rank)."""
PANEL_LINES = 50
"""Problems of the running job kept in the error panel (the newest; the count of consequences comes on top)."""
SHOWN_LINE = 1000
"""Characters of one log line kept for display (the tail core already cuts at 64 KiB)."""
_PYTHON_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d+ - [\w.]+(?:\[[^\]]*\])? - ([A-Z]+) - ")
"""``asctime - name[file:line] - LEVEL - `` of MindFormers' logger."""


class JobView:
    """The job's log views, loss series, status and problems."""

    def __init__(self, t: Callable[..., str]) -> None:
        self.t = t
        """Label lookup in the UI language (``StepScreen.t``)."""
        self.job_id: Optional[str] = None
        self._status: tuple[str, Optional[dict[str, Any]]] = ("", None)
        """The status line as a label key and its parameters, drawn in the language of the moment (parameters
        None: a text as it is)."""
        self.buffers: dict[Optional[int], deque] = {None: deque(maxlen=BUFFER_LINES)}
        """Log lines per view: None is all ranks (tagged ``[rank]``), an int is one rank."""
        self.view: Optional[int] = None
        """The view on display."""
        self.loss_by_rank: dict[Optional[int], dict[tuple[int, int], float]] = {}
        """Loss per (epoch, step) of each rank (None: a log without a rank, e.g. msrun's own)."""
        self.problems: list[str] = []
        self.preflight: list[str] = []
        """The preflight's findings on the job about to start, in the UI language (replaced after ``l``)."""
        self.first_failure_ranks: set = set()
        """Ranks whose first failure is already in the panel (the exit must not repeat it)."""
        self.consequences = 0
        self.ended = False

    def add(self, events: list[Any]) -> list[str]:
        """Take a batch of events; return the new lines of the current view."""
        shown: list[str] = []
        for event in events:
            kind = getattr(event, "type", "")
            if kind == "line":
                self._line(event.rank, event.text, shown)
            elif kind == "metric":
                self._metric(event)
            elif kind == "finding":
                self._finding(event)
            elif kind == "hang":
                ranks = ", ".join(str(r) for r in event.silent_ranks) or "?"
                self.problem(self.t("launch_hang", seconds=event.seconds, ranks=ranks))
            elif kind == "exit":
                self._exit(event)
            elif kind == "note":
                self.problem(event.text)
        return shown

    def _line(self, rank: Optional[int], text: str, shown: list[str]) -> None:
        text = _short_prefix(visible_line(text))[:SHOWN_LINE]
        tagged = f"[{rank}] {text}" if rank is not None else text
        self.buffers[None].append(tagged)
        if rank is not None:
            self.buffers.setdefault(rank, deque(maxlen=BUFFER_LINES)).append(text)
        if self.view is None:
            shown.append(tagged)
        elif self.view == rank:
            shown.append(text)

    @property
    def loss_rank(self) -> Optional[int]:
        """The rank whose losses are charted: the lowest that reports (None only when no rank does)."""
        ranks = [rank for rank in self.loss_by_rank if rank is not None]
        return min(ranks) if ranks else None

    @property
    def losses(self) -> list[float]:
        """The charted series: one loss per step of :attr:`loss_rank`, in step order."""
        series = self.loss_by_rank.get(self.loss_rank, {})
        return [series[key] for key in sorted(series)]

    def _metric(self, metric: Any) -> None:
        if metric.loss is None:
            return
        # Ranks report the same step; charting them one after another would draw a sawtooth.
        key = (metric.epoch or 0, metric.step)
        self.loss_by_rank.setdefault(metric.rank, {})[key] = float(metric.loss)
        if metric.rank == self.loss_rank:
            total = f"/{metric.total_steps}" if metric.total_steps else ""
            speed = f"{metric.per_step_time_ms:.0f} ms/step" if metric.per_step_time_ms else ""
            self._status = ("launch_progress", dict(job=self.job_id or "-", step=metric.step, total=total,
                                                    loss=f"{metric.loss:.4f}", speed=speed))

    def _finding(self, event: Any) -> None:
        if event.consequence:
            self.consequences += 1
            return
        where = f"rank {event.rank}: " if event.rank is not None else ""
        mark = "▶ " if event.first_failure else "· "
        if event.first_failure:
            self.first_failure_ranks.add(event.rank)
        self.problem(f"{mark}{where}{event.finding.title}")

    def _exit(self, event: Any) -> None:
        job = self.job_id or "-"
        if event.status == "succeeded":
            self._status = ("launch_exit_ok", dict(job=job, code=event.code))
        else:
            self._status = ("launch_exit_bad", dict(job=job, status=event.status, code=event.code))
        first = event.first_failure
        if first and first.get("rank") not in self.first_failure_ranks:
            self.problem(self.t("launch_first_failure", rank=first.get("rank"), text=first.get("text", "")))
        self.ended = True

    @property
    def status_text(self) -> str:
        """The status line: progress and the exit in the current UI language, other texts as set."""
        key, params = self._status
        return self.t(key, **params) if params is not None else key

    @status_text.setter
    def status_text(self, text: str) -> None:
        self._status = (text, None)

    def say(self, key: str, **params: Any) -> None:
        """Set the status line to the label ``key``."""
        self._status = (key, params)

    def show_preflight(self, findings: list[Any]) -> None:
        """The preflight's findings (worst first) as panel lines, each whole: ``✗`` errors, ``!`` the rest."""
        self.preflight = [visible(f"{'✗' if finding.severity is Severity.ERROR else '!'} {finding.title}"
                                  + (f" — {finding.fix}" if finding.fix else "")) for finding in findings]

    def problem(self, text: str) -> None:
        """Add a line to the error panel (once)."""
        text = visible(text)
        if text not in self.problems:
            self.problems.append(text)

    def panel_lines(self) -> list[str]:
        """The error panel: the preflight's findings, the newest problems, then how many consequences were set
        aside (the panel scrolls)."""
        lines = self.preflight + self.problems[-PANEL_LINES:]
        if self.consequences:
            lines.append(self.t("launch_consequences", count=self.consequences))
        return lines

    def cycle_view(self) -> None:
        """All ranks -> rank 0 -> rank 1 -> ... -> all ranks."""
        views: list[Optional[int]] = [None, *sorted(k for k in self.buffers if k is not None)]
        self.view = views[(views.index(self.view) + 1) % len(views)] if self.view in views else None

    def view_lines(self) -> list[str]:
        """Every kept line of the current view."""
        return list(self.buffers.get(self.view, []))

    def view_title(self) -> str:
        """``Log: all ranks (v switches)`` or ``Log: rank 1 ...``."""
        return self.t("launch_view_all") if self.view is None else self.t("launch_view_rank", rank=self.view)

    def loss_range(self) -> str:
        """``6.670 → 0.176``: the charted rank's first and latest loss."""
        losses = self.losses
        return f"{losses[0]:.3f} → {losses[-1]:.3f}" if losses else ""


def _short_prefix(text: str) -> str:
    """``[INFO] DISTRIBUTED(2167,7f3b...,python):2026-11-25-12:05:50.454.293 [file:line] Func] msg`` -> ``INFO msg``.

    MindSpore's prefix fills an 80-column pane before the message starts; the level is what is left of it.
    MindFormers' Python logging prefix (``2026-11-25 12:39:18,462 - mindformers[train.py:75] - INFO - ``) too.
    """
    message = log_message(text)
    if message != text:
        return f"{text[1:text.index(']')]} {message}"
    found = _PYTHON_LOG_PREFIX.match(text)
    return f"{found.group(1)} {text[found.end():]}" if found else text
