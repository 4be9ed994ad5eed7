"""The events the live tail and the job watcher produce: plain dataclasses, easy to consume anywhere.

The headless CLI prints them (one line, or one JSON line with ``type``), the TUI's Launch screen
renders them; neither needs to know how logs are followed. ``to_dict()`` gives the JSON shape.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Optional

from mindpilot.validators.findings import Finding


@dataclass
class TailEvent:
    """Base of every event; ``type`` names the kind in JSON lines."""

    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ``type`` first."""
        result: dict[str, Any] = {"type": self.type}
        for item in fields(self):
            value = getattr(self, item.name)
            result[item.name] = value.to_dict() if isinstance(value, Finding) else value
        return result


@dataclass
class LineEvent(TailEvent):
    """One complete line of one log file."""

    type: ClassVar[str] = "line"
    source: str
    """``worker``, ``scheduler`` or ``msrun`` (msrun's own output)."""
    rank: Optional[int]
    """Worker rank from ``worker_{rank}.log``; None for scheduler and msrun."""
    text: str
    """The line without its newline (decoded from UTF-8, else GBK; cut when very long)."""
    file: str = ""
    """The file it came from."""
    node: Optional[int] = None
    """The node the file belongs to (multi-node jobs); None on one node."""


@dataclass
class FileEvent(TailEvent):
    """A log file appeared, was truncated or was rotated."""

    type: ClassVar[str] = "file"
    file: str
    what: str
    """``opened``, ``truncated`` or ``rotated``."""
    rank: Optional[int] = None


@dataclass
class MetricEvent(TailEvent):
    """One training step from MindFormers' loss monitor (``MFLossMonitor``, callback.py MF 1.7)."""

    type: ClassVar[str] = "metric"
    rank: Optional[int]
    step: int
    total_steps: Optional[int] = None
    epoch: Optional[int] = None
    total_epochs: Optional[int] = None
    loss: Optional[float] = None
    per_step_time_ms: Optional[float] = None
    lr: Optional[float] = None
    overflow: Optional[bool] = None
    loss_scale: Optional[float] = None
    global_norm: Optional[float] = None
    time: float = field(default_factory=time.time)
    """Wall clock when the line was read."""
    node: Optional[int] = None
    """The node of the rank (multi-node jobs); None on one node."""


@dataclass
class StatusEvent(TailEvent):
    """A line from msrun or its scheduler that tells the job's state."""

    type: ClassVar[str] = "status"
    source: str
    what: str
    """``worker_started``, ``node_registered``, ``cluster_ready``, ``worker_failed``, ``job_failed``, ``workers_done``."""
    text: str
    rank: Optional[int] = None


@dataclass
class FindingEvent(TailEvent):
    """A known error (knowledge base) or an error line matched in a log."""

    type: ClassVar[str] = "finding"
    finding: Finding
    rank: Optional[int]
    source: str
    consequence: bool = False
    """True for a timeout or abort that follows another rank's failure, not a cause of its own."""
    first_failure: bool = False
    """True on the event that names the first failing rank."""


@dataclass
class HangEvent(TailEvent):
    """No training step for a while: which ranks went silent first."""

    type: ClassVar[str] = "hang"
    seconds: float
    """Seconds since the last training step of any rank (or since the start)."""
    silent_ranks: list[int]
    """Ranks ordered by how long they have been silent, longest first."""
    last_step: Optional[int] = None


@dataclass
class StartedEvent(TailEvent):
    """The job was started (``launch`` and ``launch --detach``)."""

    type: ClassVar[str] = "started"
    job: str
    pid: Optional[int]
    log_dir: str
    pgid: Optional[int] = None


@dataclass
class ExitEvent(TailEvent):
    """The job ended: its exit code and, when it failed, the first failing rank and error."""

    type: ClassVar[str] = "exit"
    code: Optional[int]
    status: str
    first_failure: Optional[dict[str, Any]] = None
    """``{"rank", "rule", "text", "file"}`` of the first error; None when nothing failed."""
