"""What the last steps of ``diagnose`` share (:mod:`mindpilot.launch.defect`, :mod:`mindpilot.launch.chip_support`,
:mod:`mindpilot.launch.version_pairs`): the failing file read again, and where a finding that explains the whole
failure goes: just after a root cause a rule names, or in place of an unsure or likely one, as the likely root cause.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from mindpilot.launch.failure_lines import read_region
from mindpilot.validators.kb.report import CONFIDENT, LIKELY, RootCause


def root_region(report: Any, pasted: Optional[bytes] = None) -> Optional[Tuple[bytes, int]]:
    """The root cause's file as the scan kept it (a big log's tail) and its first line's number, or ``None``."""
    root = report.root_cause
    if root is None or root.file is None:
        return None
    scanned = next((entry for entry in report.files if entry.file == root.file), None)
    return read_region(scanned, pasted) if scanned is not None else None


def place_over_the_root(report: Any, finding: Any) -> None:
    """Under a root cause a rule names, ``finding`` comes just after it; over an unsure or likely one it becomes
    the root cause, said as likely (the root cause's own finding stays, as one finding among others)."""
    root = report.root_cause
    if root.confidence == CONFIDENT:
        report.findings.insert(1, finding)
        return
    for earlier in report.findings:
        if getattr(earlier, "root_cause", False):
            earlier.root_cause = False
        earlier.__dict__.pop("confidence", None)
    finding.__dict__.update({"root_cause": True, "confidence": LIKELY})
    report.findings.insert(0, finding)
    report.root_cause = RootCause(rank=root.rank, rule=finding.rule, file=root.file, line=root.line,
                                  title=finding.title, time=root.time, confidence=LIKELY)
