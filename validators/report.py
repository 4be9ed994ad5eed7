"""The doctor's verdict on one environment: components found vs expected, and findings with fixes.

Shared by the CLI (``doctor --json``), the TUI's Environment screen and ``diagnose``'s
environment rules, so it lives apart from the probe that fills it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any, Optional

from mindpilot.validators.findings import Finding


class ComponentStatus(str, Enum):
    """How one component compares with the chosen stack."""

    OK = "ok"
    """Found, and the version fits the stack."""
    MISMATCH = "mismatch"
    """Found at a version (or commit) the stack does not name."""
    MISSING = "missing"
    """The stack needs it and it is not there."""
    NOT_NEEDED = "not-needed"
    """Present or absent, the stack does not care."""
    UNKNOWN = "unknown"
    """Could not be determined (probe failed, file unreadable)."""


@dataclass
class ComponentRow:
    """One row of the components table."""

    name: str
    """Component name as users know it: ``CANN``, ``mindspore``, ``mindformers`` ..."""
    found: Optional[str] = None
    """Version (or ``commit abc1234``) found; None when absent."""
    expected: Optional[str] = None
    """What the stack asks for (a version, a specifier, or a commit)."""
    status: ComponentStatus = ComponentStatus.UNKNOWN
    """Verdict for this row."""
    where: Optional[str] = None
    """Where it was found: a site-packages path, a checkout path, an install-info file."""

    def __post_init__(self) -> None:
        self.status = ComponentStatus(self.status)


@dataclass
class DoctorReport:
    """Everything ``mindpilot doctor`` says about an environment (dataclasses, like the facts: showing a
    report needs no pydantic)."""

    stack: Optional[str] = None
    """Id of the known-good stack the environment was judged against."""
    stack_reason: str = ""
    """Why that stack: chosen with ``--stack``, or the best fit to what is installed."""
    components: list[ComponentRow] = field(default_factory=list)
    """Found / expected / status per component."""
    findings: list[Finding] = field(default_factory=list)
    """What is wrong and how to fix it, worst first."""
    environment: dict[str, Any] = field(default_factory=dict)
    """Raw probe facts (python, packages, checkouts, ascend, npu, host), secrets redacted."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``doctor --json``."""
        data = {spec.name: getattr(self, spec.name) for spec in fields(self)}
        data["components"] = [{**asdict(row), "status": row.status.value} for row in self.components]
        data["findings"] = [finding.to_dict() for finding in self.findings]
        return data
