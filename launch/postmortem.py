"""After a job: the first failing rank's first error, even when no known rule explains it.

The live view (``launch`` / ``attach``) names a rank's first Python exception or ``[ERROR]`` line when
the knowledge base does not know it, and tells the user to run ``mindpilot diagnose``. The knowledge-base
scan alone answered "no known error found" (exit 0) for those same logs; this fills the gap with the live
view's own recognition (:class:`~mindpilot.launch.failures.FailureTracker`), so both agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from mindpilot.launch.failures import FailureTracker, failure_literals
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.diagnose import RootCause

FALLBACK_MAX_BYTES = 256 << 20
"""Logs larger than this are not re-read for an unknown error (the knowledge-base scan reads them all)."""


def add_unknown_first_error(report: Any, lang: str) -> None:
    """No known error, but a rank failed: name its first error line as the live view does.

    The live view (``launch``/``attach``) reports a rank's first Python exception or ``[ERROR]`` line even
    when the knowledge base does not know it, and tells the user to run ``mindpilot diagnose``; without
    this, diagnose answered "no known error found" with exit 0 for the same logs.
    """
    if report.root_cause is not None or any(f.severity == Severity.ERROR for f in report.findings):
        return
    literals = failure_literals()
    tracker = FailureTracker(lang=lang, use_kb=False)
    found: dict = {}
    for scanned in report.files:
        path = Path(scanned.file)
        if scanned.kind != "log" or not path.is_file() or path.stat().st_size > FALLBACK_MAX_BYTES:
            continue
        source = "scheduler" if path.name == "scheduler.log" else "worker"
        stamp: Optional[str] = None
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if text[:1].isdigit() or text.startswith("["):
                    stamp = text[:64]
                if not any(literal in text for literal in literals):
                    continue
                for event in tracker.feed(text.rstrip("\r\n"), scanned.rank, source, scanned.file, stamp,
                                          line=number):
                    found.setdefault((event.rank, event.finding.rule), event.finding)
    first = tracker.first_failure()
    if first is None or first.line is None or (first.rank, first.rule) not in found:
        return
    finding = found[(first.rank, first.rule)]
    finding.matched = first.text
    report.findings.insert(0, finding)
    report.root_cause = RootCause(rank=first.rank, rule=first.rule, file=first.file, line=first.line,
                                  title=finding.title)
