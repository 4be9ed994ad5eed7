"""A root cause found on CANN's error-code line also quotes the call under its ``TraceBack`` that says why, when
the same rule knows that line too.

CANN's error manager prints a code and its message (``EZ9999: Parse dynamic kernel config fail.``, ``EL0004:
Failed to allocate memory.``), then ``TraceBack (most recent call last):`` and the failing calls, innermost
first (``Op Cast does not has any binary.``, ``rtMalloc execute failed, reason=[driver error:out of memory]``).
The code line names the kind of failure; the call that failed says what failed. When the rule that names the
cause matched both, the finding keeps the code line and quotes the first call under the TraceBack it matched
too (``call_line``, ``call_text``): users grep for either.
"""

from __future__ import annotations

from typing import Any, Optional

from mindpilot.launch.failures import MAX_TEXT
from mindpilot.launch.unsure_root import lines_around
from mindpilot.validators.kb.keyline import CODE_HEAD_REACH, code_at_head, key_text

CANN_TRACEBACK = "TraceBack (most recent call last)"
"""CANN's header for the calls under an error code (a capital B, unlike Python's)."""
HEADER_REACH = 4
"""Lines between the code line and its TraceBack (``Possible Cause:``, ``Solution:``)."""


def quote_the_failed_call(report: Any, pasted: Optional[bytes] = None) -> None:
    """Give the root finding on CANN's code line the call under its TraceBack that the same rule matched (see
    the module's docstring); anything else is left as it is."""
    root = report.root_cause
    if root is None or root.rule.startswith("diagnose.") or root.line is None or not report.findings:
        return
    finding = report.findings[0]
    text = str(getattr(finding, "text", None) or "")
    if (finding.rule != root.rule or finding.line != root.line or (getattr(finding, "count", 1) or 1) < 2
            or code_at_head(key_text(text), CODE_HEAD_REACH) is None):
        return
    last = getattr(finding, "last_line", None) or root.line
    _, following = lines_around(report, pasted, root.file, root.line)
    call = _matched_call(root.rule, [(number, raw) for number, raw in following if number <= last])
    if call is None:
        return
    setattr(finding, "call_line", call[0])
    setattr(finding, "call_text", call[1].strip()[:MAX_TEXT])


def _matched_call(rule: str, following: list) -> Optional[tuple]:
    """The first line under CANN's TraceBack (within :data:`HEADER_REACH` lines of the code line) that ``rule``
    matches, before the next code line or unindented line; else None."""
    from mindpilot.validators.kb import load_kb

    matcher = load_kb().matcher("log")
    in_traceback = False
    for index, (number, raw) in enumerate(following):
        key = key_text(raw)
        if not in_traceback:
            if key.startswith(CANN_TRACEBACK):
                in_traceback = True
            elif index >= HEADER_REACH or code_at_head(key, CODE_HEAD_REACH) is not None:
                return None
            continue
        if not raw[:1].isspace() or code_at_head(key, CODE_HEAD_REACH) is not None:
            return None  # CANN indents its calls: an unindented line or a new code is another message
        if any(hit.rule == rule for hit in matcher.match_line(raw)):
            return number, raw
    return None
