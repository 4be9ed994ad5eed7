"""What ``diagnose`` (and ``check``, through the router) reports: findings, the root cause, the
consequences grouped, and what was read. Kept apart from the scan so that a command which only checks
configs builds the same report without loading the knowledge base's matcher.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field

from mindpilot.validators.findings import Finding


class RootCause(BaseModel):
    """The first failing rank's first error that is not a consequence of another failure."""

    rank: Optional[int] = None
    """Rank of the failing process (from ``worker_N.log`` or the log's rank id); None if unknown."""
    rule: str
    """Knowledge-base rule id."""
    file: str
    """File holding the error."""
    line: int
    """1-based line of the error."""
    title: str = ""
    """The rule's title in the report's language."""
    time: Optional[str] = None
    """Time stamp of the error (``YYYY-MM-DD HH:MM:SS.ffffff``) when the log has one."""


class ConsequenceGroup(BaseModel):
    """One follow-on error (timeouts, job exited) summed over every file it appears in."""

    rule: str
    """Knowledge-base rule id."""
    title: str
    """The rule's title."""
    ranks: List[int] = Field(default_factory=list)
    """Ranks that reported it."""
    files: int = 0
    """Number of files it appears in."""
    count: int = 0
    """Total matching lines."""


class ScannedFile(BaseModel):
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


class DiagnoseReport(BaseModel):
    """Everything ``mindpilot diagnose`` says about some logs."""

    findings: List[Finding] = Field(default_factory=list)
    """One finding per (file, rule), first occurrence, with ``count``, ``rank``, ``time``, ``matched``."""
    root_cause: Optional[RootCause] = None
    """The first failing rank's first real error, when there is one."""
    consequences: List[ConsequenceGroup] = Field(default_factory=list)
    """Follow-on errors grouped by rule."""
    files: List[ScannedFile] = Field(default_factory=list)
    """What was read."""
    notes: List[Finding] = Field(default_factory=list)
    """Problems reading the input (a vanished file, an unreadable path)."""
    inputs: List[Dict[str, Any]] = Field(default_factory=list)
    """Each input as given and what it was taken for (``log``, ``log_dir``, ``job``, ``paste``, ``script``
    or a config kind such as ``mindformers``), from :mod:`mindpilot.launch.router`."""

    def to_dict(self) -> Dict[str, Any]:
        """The JSON document of ``diagnose --json``."""
        return {
            "findings": [finding.to_dict() for finding in self.findings],
            "root_cause": self.root_cause.model_dump(mode="json") if self.root_cause else None,
            "consequences": [group.model_dump(mode="json") for group in self.consequences],
            "files": [scanned.model_dump(mode="json") for scanned in self.files],
            "notes": [note.to_dict() for note in self.notes],
            "inputs": self.inputs,
        }
