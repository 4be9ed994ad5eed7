"""What ``diagnose`` (and ``check``, through the router) reports: findings, the root cause, the
consequences grouped, and what was read. Kept apart from the scan so that a command which only checks
configs builds the same report without loading the knowledge base's matcher.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from mindpilot.validators.findings import Finding

CONFIDENT, LIKELY, UNSURE = "confident", "likely", "unsure"
"""How sure the root cause is (``root_cause.confidence``, and ``confidence`` on its finding): a rule that names
the cause (``confident``); a catch-all rule, an error code's general meaning from CANN's catalogue, or a known
error logged only as a warning (``likely``: it fits the line, but the lines around it may name a more specific
cause); the line that most looks like the failure when no rule knows it (``unsure``)."""
CONFIDENCE_LEVELS = (CONFIDENT, LIKELY, UNSURE)


@dataclass
class RootCause:
    """The first failing rank's first error that is not a consequence of another failure."""

    rule: str
    """Knowledge-base rule id."""
    file: str
    """File holding the error."""
    line: int
    """1-based line of the error."""
    rank: Optional[int] = None
    """Rank of the failing process (from ``worker_N.log`` or the log's rank id); None if unknown."""
    title: str = ""
    """The rule's title in the report's language."""
    time: Optional[str] = None
    """Time stamp of the error (``YYYY-MM-DD HH:MM:SS.ffffff``) when the log has one."""
    confidence: str = CONFIDENT
    """:data:`CONFIDENT`, :data:`LIKELY` or :data:`UNSURE`: whether the rule names this cause or only fits it."""


@dataclass
class ConsequenceGroup:
    """One follow-on error (timeouts, job exited) summed over every file it appears in."""

    rule: str
    """Knowledge-base rule id."""
    title: str
    """The rule's title."""
    ranks: List[int] = field(default_factory=list)
    """Ranks that reported it."""
    files: int = 0
    """Number of files it appears in."""
    count: int = 0
    """Total matching lines."""


@dataclass
class ScannedFile:
    """What was read: for the report's footer and the JSON document."""

    file: str
    """Path as given (or ``-`` for standard input)."""
    kind: str = "log"
    """``log``, ``script`` or ``stdin``."""
    rank: Optional[int] = None
    """Rank of the file, when known."""
    bytes: int = 0
    """Bytes read."""
    lines: int = 0
    """Lines read."""
    truncated: bool = False
    """The file ends in the middle of a line (still being written, or cut)."""
    error: Optional[str] = None
    """Why reading stopped early, if it did."""


@dataclass
class DiagnoseReport:
    """Everything ``mindpilot diagnose`` says about some logs (dataclasses: ``check`` builds this report
    too, and a quick check must not pay pydantic's import)."""

    findings: List[Finding] = field(default_factory=list)
    """One finding per (file, rule), first occurrence, with ``count``, ``rank``, ``time``, ``matched``."""
    root_cause: Optional[RootCause] = None
    """The first failing rank's first real error, when there is one."""
    consequences: List[ConsequenceGroup] = field(default_factory=list)
    """Follow-on errors grouped by rule."""
    files: List[ScannedFile] = field(default_factory=list)
    """What was read."""
    notes: List[Finding] = field(default_factory=list)
    """Problems reading the input (a vanished file, an unreadable path)."""
    inputs: List[Dict[str, Any]] = field(default_factory=list)
    """Each input as given and what it was taken for (``log``, ``log_dir``, ``job``, ``paste``, ``script``
    or a config kind such as ``mindformers``), from :mod:`mindpilot.launch.router`."""

    def to_dict(self) -> Dict[str, Any]:
        """The JSON document of ``diagnose --json``."""
        return {
            "findings": [finding.to_dict() for finding in self.findings],
            "root_cause": _ordered(asdict(self.root_cause), _ROOT_CAUSE_KEYS) if self.root_cause else None,
            "consequences": [asdict(group) for group in self.consequences],
            "files": [asdict(scanned) for scanned in self.files],
            "notes": [note.to_dict() for note in self.notes],
            "inputs": self.inputs,
        }


_ROOT_CAUSE_KEYS = ("rank", "rule", "file", "line", "title", "time", "confidence")
"""The JSON key order of ``root_cause`` (the rank first, as users read it)."""


def _ordered(data: Dict[str, Any], keys: tuple) -> Dict[str, Any]:
    return {key: data[key] for key in keys}
