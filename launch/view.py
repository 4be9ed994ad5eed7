"""The headless live view: one line per event for plain terminals, one JSON line per event for CI.

Shared by ``launch`` and ``attach``. Eight ranks print the same step eight times; the human view
shows the progress of one rank (the lowest that reports) and every finding, while ``--json`` keeps
every rank's metrics. The TUI does not use this module: it renders the same events itself.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Optional, TextIO

from mindpilot.commands.columns import wrap
from mindpilot.launch.events import (ExitEvent, FileEvent, FindingEvent, HangEvent, LineEvent, MetricEvent,
                                     StartedEvent, StatusEvent, TailEvent)
from mindpilot.launch.failures import hang_finding
from mindpilot.launch.parse import log_message
from mindpilot.validators.findings import Finding

SHOWN_STATUS = ("cluster_ready", "worker_failed", "killing_workers", "job_failed", "workers_done")
"""Status changes worth a line in the human view."""

_TEXT = {
    "zh": {"started": "已启动任务 {job}（pid {pid}），日志目录 {log_dir}",
           "hint": "Ctrl-C 停止任务；关闭终端不会停止它：mindpilot attach {job} 继续查看",
           "detach_hint": "任务在后台运行：查看用 mindpilot attach {job}，停止用 mindpilot stop {job}",
           "attached": "已连接任务 {job}（pid {pid}），日志目录 {log_dir}", "attach_hint": "Ctrl-C 只断开查看，任务继续运行",
           "ok": "任务 {job} 成功结束（退出码 {code}）", "bad": "任务 {job} {status}（退出码 {code}）",
           "first": "第一个失败的 rank：{rank}：{text}", "where": "    位置：{file}:{line}",
           "consequence": "（后果，不是根因）", "first_mark": "（第一个失败）",
           "status": {"failed": "失败", "stopped": "已停止", "lost": "失去联系", "blocked": "未启动"}},
    "en": {"started": "started job {job} (pid {pid}), logs in {log_dir}",
           "hint": "Ctrl-C stops the job; closing the terminal does not: mindpilot attach {job}",
           "detach_hint": "the job runs in the background: mindpilot attach {job} to watch it, "
                          "mindpilot stop {job} to stop it",
           "attached": "attached to job {job} (pid {pid}), logs in {log_dir}",
           "attach_hint": "Ctrl-C detaches; the job goes on",
           "ok": "job {job} succeeded (exit {code})", "bad": "job {job} {status} (exit {code})",
           "first": "first failing rank: {rank}: {text}", "where": "    at {file}:{line}",
           "consequence": " (consequence, not the cause)", "first_mark": " (first failure)",
           "status": {}},
}


def _t(lang: str, key: str) -> Any:
    return _TEXT["zh" if lang == "zh" else "en"][key]


def format_metric(event: MetricEvent) -> str:
    """``step 12/30  loss 3.456789  45 ms/step  lr 0.01  [rank 0]``."""
    parts = [f"step {event.step}" + (f"/{event.total_steps}" if event.total_steps else "")]
    if event.loss is not None:
        parts.append(f"loss {event.loss:.6g}")
    if event.per_step_time_ms is not None:
        parts.append(f"{event.per_step_time_ms:.0f} ms/step")
    if event.lr is not None:
        parts.append(f"lr {event.lr:.3g}")
    if event.overflow:
        parts.append("OVERFLOW")
    if event.rank is not None:
        parts.append(f"[rank {event.rank}]" if event.node is None else f"[node {event.node} rank {event.rank}]")
    return "  ".join(parts)


class HeadlessView:
    """Prints events as text or JSON lines; remembers which rank's progress it shows."""

    def __init__(self, lang: str = "en", as_json: bool = False, lines: bool = False,
                 stream: Optional[TextIO] = None, job: str = "", attach: bool = False,
                 detach: bool = False) -> None:
        self.attach = attach
        self.detach = detach  # launch --detach returns at once: Ctrl-C is not how that job stops
        self.lang = lang
        self.as_json = as_json
        self.lines = lines
        self.stream = stream or sys.stdout
        self.job = job
        self.shown_ranks: dict[Optional[int], Optional[int]] = {}
        """The rank whose progress is shown, per node (None: one node)."""

    def emit(self, event: TailEvent) -> None:
        if isinstance(event, FileEvent) or (isinstance(event, LineEvent) and not self.lines):
            return
        if self.as_json:
            self._write(json.dumps(self._json(event), ensure_ascii=False, default=str))
            return
        text = self._text(event)
        if text:
            self._write(text)

    def emit_dict(self, document: dict[str, Any], text: str) -> None:
        """An event that is not a :class:`TailEvent` (``command``, ``preflight``)."""
        self._write(json.dumps(document, ensure_ascii=False, default=str) if self.as_json else text)

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _json(self, event: TailEvent) -> dict[str, Any]:
        document = event.to_dict()
        if isinstance(event, HangEvent):
            document["finding"] = hang_finding(event, self.lang).to_dict()
        return document

    def _text(self, event: TailEvent) -> Optional[str]:
        lang = self.lang
        if isinstance(event, LineEvent):
            tag = f"w{event.rank}" if event.rank is not None else event.source[:5]
            return f"[{tag}] {event.text}" if event.node is None else f"[n{event.node} {tag}] {event.text}"
        if isinstance(event, MetricEvent):
            # One rank's progress per node (the lowest that reports): eight ranks print the same step.
            shown = self.shown_ranks.get(event.node)
            if shown is None or (event.rank is not None and event.rank < shown):
                self.shown_ranks[event.node] = shown = event.rank
            return format_metric(event) if event.rank == shown else None
        if isinstance(event, StatusEvent):
            if event.what not in SHOWN_STATUS or (event.what == "cluster_ready" and event.source == "worker"):
                return None
            return f"{event.source}: {log_message(event.text)[:200]}"
        if isinstance(event, FindingEvent):
            mark = _t(lang, "first_mark") if event.first_failure else (_t(lang, "consequence")
                                                                        if event.consequence else "")
            return finding_text(event.finding, lang, mark)
        if isinstance(event, HangEvent):
            return finding_text(hang_finding(event, lang), lang, "")
        if isinstance(event, StartedEvent):
            self.job = event.job
            head, hint = ("attached", "attach_hint") if self.attach else \
                ("started", "detach_hint" if self.detach else "hint")
            text = [_t(lang, head).format(job=event.job, pid=event.pid, log_dir=event.log_dir),
                    _t(lang, hint).format(job=event.job)]
            return "\n".join(row for line in text for row in wrap(line, "  "))
        if isinstance(event, ExitEvent):
            return self._exit_text(event)
        return None

    def _exit_text(self, event: ExitEvent) -> str:
        lang = self.lang
        if event.status == "succeeded":
            return _t(lang, "ok").format(job=self.job, code=event.code)
        status = _t(lang, "status").get(event.status, event.status)
        lines = [_t(lang, "bad").format(job=self.job, status=status, code=event.code)]
        first = event.first_failure
        if first:
            lines.append(_t(lang, "first").format(rank=first.get("rank"), text=first.get("text")))
            if first.get("file"):
                lines.append(_t(lang, "where").format(file=first["file"], line=first.get("line") or "?"))
        return "\n".join(lines)


def finding_text(finding: Finding, lang: str, mark: str) -> str:
    """A finding in the compact form of ``commands.output.format_finding`` plus a mark."""
    from mindpilot.commands.output import format_finding

    # The mark belongs to the title, which may wrap over several lines: add it before formatting.
    marked = finding.model_copy(update={"title": finding.title + mark}) if mark else finding
    return format_finding(marked, lang)
