"""The one result type every check returns: doctor, check, diagnose and launch preflight alike.

The JSON shape is part of the CLI contract::

    {"rule", "severity", "title", "detail", "fix", "file", "line", "source"}

Commands may add keys of their own (``diagnose`` adds ``rank``, ``count``, ``matched``, ``time``);
the eight keys above are always present.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable, Optional

from pydantic import BaseModel, ConfigDict

from mindpilot.exit_codes import ExitCode


class Severity(str, Enum):
    """How bad a finding is; only ``error`` makes a command exit with :attr:`ExitCode.FINDINGS`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info: sort key, worst first."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(BaseModel):
    """One thing a check found, with its cause and the fix, in the user's language."""

    model_config = ConfigDict(extra="allow")

    rule: str
    """Stable id, namespaced by family (``doctor.*``, ``parallel.*``, ``recompute.*``, ``kb.*`` ...)."""
    severity: Severity
    """error, warning or info."""
    title: str
    """One line that says what is wrong."""
    detail: str = ""
    """Why it is wrong: the cause, and the error the real framework would raise."""
    fix: str = ""
    """What to do, ideally an exact command or the exact line to change."""
    file: Optional[str] = None
    """The file the finding is about, when there is one."""
    line: Optional[int] = None
    """1-based line in ``file``."""
    source: Optional[str] = None
    """Where the rule comes from: a source file and line in the real framework, a document, an issue."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of the CLI contract (extra keys included)."""
        return self.model_dump(mode="json")


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by file and line, keeping the original order otherwise."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.file or "", f.line or 0))


def exit_code_for(findings: Iterable[Finding]) -> ExitCode:
    """:attr:`ExitCode.FINDINGS` when any finding is an error, else :attr:`ExitCode.OK`."""
    return ExitCode.FINDINGS if any(f.severity is Severity.ERROR for f in findings) else ExitCode.OK
