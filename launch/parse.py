"""Read progress and state out of single log lines: loss-monitor metrics, msrun status, timestamps.

Formats (verbatim sources):

* MindFormers ``MFLossMonitor`` (mindformers/core/callback/callback.py, MF 1.7 L544-556)::

    { Epoch:[  1/  2], step:[    1/ 1000], loss: 2.345000, per_step_time: 7123ms, lr: 1e-06,
    overflow cond: False, loss_scale: 4096.0, global_norm: [1.23]

  (``loss:[2.3/2.2]`` when not in sink mode; ``lr`` may be missing or printed as ``[1.e-06]``.)
* MindSpeed-LLM / Megatron ``training_log``: `` iteration   10/ 1000 | ... | elapsed time per
  iteration (ms): 1234.5 | learning rate: 1.0E-06 | ... | lm loss: 2.3E+00 | loss scale: 1.0 | grad norm: 1.2 |``
* msrun ``process_entity/_api.py`` (MindSpore 2.7) and the scheduler's ``meta_server_node.cc`` lines.

Each parser first tests a cheap substring so that the common, uninteresting line costs almost nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Optional

from mindpilot.launch.events import MetricEvent, StatusEvent

_NUM = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))"


@lru_cache(maxsize=1)
def _mindformers_patterns() -> tuple:
    """MindFormers' loss-monitor regexes, compiled on first use: a command that reads no loss line does not pay
    for them."""
    head = re.compile(r"Epoch:\[\s*(\d+)/\s*(\d+)\],\s*step:\[\s*(\d+)/\s*(\d+)\],\s*loss:\s*\[?\s*" + _NUM)
    fields = {
        "per_step_time_ms": re.compile(r"per_step_time:\s*" + _NUM + r"\s*ms"),
        "lr": re.compile(r"\blr:\s*\[?\s*" + _NUM),
        "loss_scale": re.compile(r"loss_scale:\s*\[?\s*" + _NUM),
        "global_norm": re.compile(r"global_norm:\s*\[?\s*" + _NUM),
    }
    return head, fields, re.compile(r"overflow cond:\s*\[?\s*(True|False)")


@lru_cache(maxsize=1)
def _megatron_patterns() -> tuple:
    """Megatron's (MindSpeed's) iteration-line regexes, compiled on first use."""
    head = re.compile(r"\biteration\s+(\d+)/\s*(\d+)\s*\|")
    fields = {
        "per_step_time_ms": re.compile(r"elapsed time per iteration \(ms\):\s*" + _NUM),
        "lr": re.compile(r"learning rate:\s*" + _NUM),
        "loss": re.compile(r"\blm loss:\s*" + _NUM),
        "loss_scale": re.compile(r"loss scale:\s*" + _NUM),
        "global_norm": re.compile(r"grad norm:\s*" + _NUM),
    }
    return head, fields

_STATUS = [
    # (cheap substring, regex, what, rank group or None)
    ("Start worker process", re.compile(r"Start worker process with rank id:\s*(\d+)"), "worker_started", 1),
    ("exit with exception. Error code",
     re.compile(r"Worker process (\d+) exit with exception\. Error code: (-?\d+)"), "worker_failed", None),
    ("kill all other workers", re.compile(r"kill all other workers"), "killing_workers", None),
    ("All workers successfully exit", re.compile(r"All workers successfully exit"), "workers_done", None),
    ("Distributed job exited with exception",
     re.compile(r"RuntimeError: Distributed job exited with exception"), "job_failed", None),
    ("is registered successfully",
     re.compile(r"rank id: (\d+),.*is registered successfully"), "node_registered", 1),
    ("Cluster is successfully initialized", re.compile(r"Cluster is successfully initialized"),
     "cluster_ready", None),
    ("has unregistered", re.compile(r"Node (\d+) has unregistered"), "node_exited", 1),
    ("Global rank id", re.compile(r"Global rank id[^\d]*(\d+)"), "rank_assigned", 1),
]

PARSER_LITERALS: tuple[str, ...] = ("step:[", "iteration") + tuple(needle for needle, *_ in _STATUS)
"""Every line :func:`parse_metric` or :func:`parse_status` can use contains one of these."""

_TS_MS = re.compile(r"(\d{4})-(\d\d)-(\d\d)-(\d\d):(\d\d):(\d\d)\.(\d{3})")
"""MindSpore / CANN: ``2026-11-25-10:58:45.921.957``."""
_TS_PY = re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)[,.](\d{3})")
"""MindFormers / Python logging: ``2026-11-25 10:58:45,922``."""


def _float(text: Optional[str]) -> Optional[float]:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def parse_metric(text: str, rank: Optional[int]) -> Optional[MetricEvent]:
    """A :class:`MetricEvent` when ``text`` is a loss-monitor line, else None."""
    if "step:[" in text:
        mf_head, mf_fields, mf_overflow = _mindformers_patterns()
        head = mf_head.search(text)
        if head is None:
            return None
        event = MetricEvent(rank=rank, step=int(head.group(3)), total_steps=int(head.group(4)),
                            epoch=int(head.group(1)), total_epochs=int(head.group(2)),
                            loss=_float(head.group(5)))
        for name, pattern in mf_fields.items():
            found = pattern.search(text, head.end())
            if found:
                setattr(event, name, _float(found.group(1)))
        overflow = mf_overflow.search(text, head.end())
        if overflow:
            event.overflow = overflow.group(1) == "True"
        return event
    if "iteration" in text and "|" in text:
        meg_head, meg_fields = _megatron_patterns()
        head = meg_head.search(text)
        if head is None:
            return None
        event = MetricEvent(rank=rank, step=int(head.group(1)), total_steps=int(head.group(2)))
        for name, pattern in meg_fields.items():
            found = pattern.search(text, head.end())
            if found:
                setattr(event, name, _float(found.group(1)))
        return event
    return None


def parse_status(text: str, source: str, rank: Optional[int] = None) -> Optional[StatusEvent]:
    """A :class:`StatusEvent` for msrun / scheduler lines that tell the job's state, else None."""
    for needle, pattern, what, group in _STATUS:
        if needle in text:
            found = pattern.search(text)
            if found:
                status_rank = int(found.group(group)) if group else rank
                return StatusEvent(source=source, what=what, text=text.strip(), rank=status_rank)
    return None


def line_timestamp(text: str) -> Optional[float]:
    """The POSIX time a log line carries (MindSpore, CANN or Python logging format), else None."""
    if len(text) < 19 or "-" not in text[:60]:
        return None
    head = text[:80]
    found = _TS_MS.search(head) or _TS_PY.search(head)
    if not found:
        return None
    try:
        year, month, day, hour, minute, second, milli = (int(part) for part in found.groups())
        return datetime(year, month, day, hour, minute, second, milli * 1000).timestamp()
    except ValueError:
        return None


_PREFIX = re.compile(r"^\[[A-Z]+\] [A-Z_]+\([^)]*\):\S+ \[[^\]]*\] (?:\w+\] )?")
"""MindSpore/CANN prefix ``[LEVEL] MODULE(pid,tid,proc):time [file:line] Func] ``."""


def log_message(text: str) -> str:
    """The message of a MindSpore/CANN log line without its prefix (other lines unchanged)."""
    if text.startswith("["):
        found = _PREFIX.match(text)
        if found:
            return text[found.end():]
    return text
