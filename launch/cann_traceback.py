"""A root cause found on a line of CANN's account of an error also quotes the later line of that account the same
rule knows: the call under its ``TraceBack`` that says why.

CANN's error manager prints a code and its message (``EZ9999: Parse dynamic kernel config fail.``, ``EL0004:
Failed to allocate memory.``), then ``TraceBack (most recent call last):`` and the failing calls, innermost
first (``Op Cast does not has any binary.``, ``rtMalloc execute failed, reason=[driver error:out of memory]``),
indented under it; the runtime's report of a device fault is indented the same way (``The error from device(0)
... there is a sdma error`` above ``rtDeviceSynchronizeWithTimeout execute failed, reason=[sdma copy error]``).
The first line names the kind of failure; the call that failed says what failed, and users grep for either.
When the rule that names the cause matched both, the finding keeps its line and quotes the call too
(``call_line``, ``call_text``).
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from mindpilot.launch.failures import MAX_TEXT
from mindpilot.launch.unsure_root import lines_around
from mindpilot.validators.kb.keyline import code_at_head, key_text

CANN_TRACEBACK = "TraceBack (most recent call last)"
"""CANN's header for the calls under an error code (a capital B, unlike Python's)."""
_INDENT = re.compile(r"(?:\s{2,}|\t)$")
"""What ends the text before a line's message when CANN indented it (after any launcher or logger prefix)."""


def quote_the_failed_call(report: Any, pasted: Optional[bytes] = None) -> None:
    """Give the root finding the later line of CANN's account that the same rule matched (see the module's
    docstring); anything else is left as it is."""
    root = report.root_cause
    if root is None or root.rule.startswith("diagnose.") or root.line is None or not report.findings:
        return
    finding = report.findings[0]
    text = str(getattr(finding, "text", None) or "")
    if finding.rule != root.rule or finding.line != root.line or (getattr(finding, "count", 1) or 1) < 2:
        return
    if code_at_head(key_text(text)) is None and not indented(text):
        return  # not a line of CANN's account of an error
    last = getattr(finding, "last_line", None) or root.line
    _, following = lines_around(report, pasted, root.file, root.line)
    call = _matched_call(root.rule, [(number, raw) for number, raw in following if number <= last])
    if call is not None:
        setattr(finding, "call_line", call[0])
        setattr(finding, "call_text", call[1].strip()[:MAX_TEXT])


def indented(raw: str) -> bool:
    """Whether a line's message is indented (two spaces or a tab), after any launcher or logger prefix."""
    key = key_text(raw)
    at = raw.rfind(key) if key else -1
    return at > 0 and _INDENT.search(raw[:at]) is not None


def _matched_call(rule: str, following: List[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The first of the indented lines right after the root's line (CANN's account of the same error) that
    ``rule`` matches; an empty or unindented line or a new code ends the account."""
    from mindpilot.validators.kb import load_kb

    matcher = load_kb().matcher("log")
    for number, raw in following:
        key = key_text(raw)
        if not key or not indented(raw) or code_at_head(key) is not None:
            return None
        if key.startswith(CANN_TRACEBACK):
            continue
        if any(hit.rule == rule for hit in matcher.match_line(raw)):
            return number, raw
    return None
