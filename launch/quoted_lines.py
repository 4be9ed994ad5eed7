"""The root finding quotes the rest of its message when the rule matched only its first line: the words a
terminal wrapped onto the next line, or the later line of the same error the same rule knows.

* A message wrapped by the terminal or the paste (``... must be less than or equal to the number`` / ``of
  visible devices (0).``) is quoted whole (see :func:`~mindpilot.validators.kb.keyline.continuation`).
* CANN's error manager prints a code and its message (``EZ9999: Parse dynamic kernel config fail.``, ``EL0004:
  Failed to allocate memory.``), then ``TraceBack (most recent call last):`` and the failing calls, innermost
  first (``Op Cast does not has any binary.``, ``rtMalloc execute failed, reason=[driver error:out of
  memory]``), indented under it; the runtime's report of a device fault is indented the same way (``The error
  from device(0) ... there is a sdma error`` above ``rtDeviceSynchronizeWithTimeout execute failed,
  reason=[sdma copy error]``). The first line names the kind of failure, the call that failed says what failed.
* A rule that knows a call under the TraceBack quotes the message heading the account too (``... data type
  DT_BFLOAT16 of input [x] is not supported`` above ``No supported Ops kernel and engine are found for
  [Conv3D1]``), unless it says nothing of its own (``EE9999: Inner Error!``).
* A catch-all says less than the lines around it: on the runtime's ``rtX execute failed, reason=...`` pasted
  without its indentation it quotes the code line heading the account (``EE9999  get device msg feature can not
  support offline mode.``); on a compiler's summary, the C assertion that failed just above it; on a code line,
  the first call under its ``TraceBack`` (where the failure began).
* Other tools say one error over consecutive lines too (pip's ``Could not find a version that satisfies the
  requirement X`` / ``No matching distribution found for X``, HCCP's and HCCL's lines for one failed init).

Users grep for any of these lines: when the rule that names the cause matched a later one too, the finding keeps
its line and quotes that one as well (``also_line``, ``also_text``).
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from mindpilot.launch.failures import MAX_TEXT
from mindpilot.launch.unsure_root import lines_around
from mindpilot.validators.kb.keyline import (CANN_CODE, TRACEBACK_BODY, code_at_head, continuation,
                                             first_traceback_call, key_text, runtime_reason, says_nothing_code)
from mindpilot.validators.kb.report import CONFIDENT

CANN_TRACEBACK = "TraceBack (most recent call last)"
"""CANN's header for the calls under an error code (a capital B, unlike Python's)."""
_INDENT = re.compile(r"(?:\s{2,}|\t)$")
"""What ends the text before a line's message when CANN indented it (after any launcher or logger prefix)."""
NEXT_REACH = 2
"""Lines below the finding's line (none of them empty) in which the same rule's hit is the same error's."""


def quote_the_rest(report: Any, pasted: Optional[bytes] = None) -> None:
    """Give the root finding the rest of its message (see the module's docstring); anything else is left as
    it is."""
    root = report.root_cause
    if root is None or root.rule.startswith("diagnose.") or root.line is None or not report.findings:
        return
    finding = report.findings[0]
    text = str(getattr(finding, "text", None) or "")
    if finding.rule != root.rule or finding.line != root.line or not text or hasattr(finding, "also_line"):
        return
    above, following = lines_around(report, pasted, root.file, root.line)
    head = _account_head(above, root.line) if indented(text) else \
        (_reported_above(text, above, root.line) or _wrapping_exception(text, above, root.line)
         or _code_line_above_a_reason(text, above, root.line))
    if head is None and root.confidence != CONFIDENT:
        head = _first_of_the_run(text, above, root.line) or _failed_assertion_above(above, root.line) \
            or first_traceback_call(following)
    if head is not None:  # a call under CANN's TraceBack: the message heading the account says what failed
        setattr(finding, "also_line", head[0])
        setattr(finding, "also_text", head[1].strip()[:MAX_TEXT])
        return
    if not following:
        return
    rest = continuation(text, [following[0][1]])
    if rest:
        setattr(finding, "text", f"{text.strip()} {rest}"[:MAX_TEXT])
        setattr(finding, "also_line", following[0][0])
        return
    if (getattr(finding, "count", 1) or 1) < 2:
        return
    last = getattr(finding, "last_line", None) or root.line
    window = [(number, raw) for number, raw in following if number <= last]
    before = above + [text]  # for rules that read the lines before their own
    if code_at_head(key_text(text)) is not None or indented(text):
        found = _in_account(root.rule, window, before)  # CANN's account of one error
    else:
        found = _next_lines(root.rule, window[:NEXT_REACH], before)
    if found is not None:
        setattr(finding, "also_line", found[0])
        setattr(finding, "also_text", found[1].strip()[:MAX_TEXT])


def indented(raw: str) -> bool:
    """Whether a line's message is indented (two spaces or a tab), after any launcher or logger prefix."""
    key = key_text(raw)
    at = raw.rfind(key) if key else -1
    return at > 0 and _INDENT.search(raw[:at]) is not None


_AS_ABOVE = re.compile(r"(?i)\b(?:reported|printed|shown|logged) (?:as |just )?above\b")
"""An error that says its account is the line above it (torch_npu: ``RuntimeError: The Inner error is reported as
above. The process exits for this inner error, ...``)."""
ABOVE_REACH = 3
"""Lines above such an error searched for the account it points at (empty lines may sit between)."""


def _reported_above(text: str, above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """The line an error that says it was ``reported as above`` points at: the nearest line above it with a
    message (an operator's ``X launch failed: because value 70218 for parameter coreDim is invalid``), or None."""
    if _AS_ABOVE.search(text) is None:
        return None
    for back, raw in enumerate(reversed(above[-ABOVE_REACH:]), 1):
        key = key_text(raw)
        if not key:
            continue
        return None if key.startswith(TRACEBACK_BODY) or _AS_ABOVE.search(key) else (line - back, raw)
    return None


_RETURN_CODE = re.compile(r"(?:NPU|ACL|OPS) function error: .{1,200}, error code is -?\d+\s*$")
"""torch_npu's exception for a call that returned a code (``NPU function error: aclrtX, error code is 507033``)."""


def _wrapping_exception(text: str, above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """The exception right above a CANN code line that only carries the code the line explains (torch_npu's
    ``RuntimeError: ... NPU function error: c10_npu::SetDevice(device), error code is 507033`` over
    ``Inner_Error_X(E39007): ...``): users grep for the call that failed, so it is quoted too; else None."""
    if not above or CANN_CODE.search(key_text(text)) is None:
        return None
    key = key_text(above[-1])
    return (line - 1, above[-1]) if _RETURN_CODE.search(key) and CANN_CODE.search(key) is None else None


_ERROR_TAG = re.compile(r"\s*\[(?:ERROR|CRITICAL|FATAL)\]")
"""A line logged as an error by a tool's own ``[ERROR] message`` tag (an installer's, a shell script's)."""
RUN_REACH = 5
"""Lines above a catch-all's line read for the first line of the run of error lines it ends."""


def _first_of_the_run(text: str, above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """For a catch-all read on a tagged error line that ends a run of them (an installer's ``[ERROR] /etc/x is
    soft link`` / ``[ERROR] /etc/x is invalid`` / ``[ERROR] install failed, not support this os``): the first line
    of the run, the check that failed first, quoted too; else None."""
    if _ERROR_TAG.match(text) is None:
        return None
    first = None
    for back, raw in enumerate(reversed(above[-RUN_REACH:]), 1):
        if _ERROR_TAG.match(raw) is None:
            break
        first = (line - back, raw)
    return first


REASON_REACH = 6
"""Lines above a runtime's ``execute failed, reason=`` line read for the code line heading its account."""


def _code_line_above_a_reason(text: str, above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """For a rule read on CANN runtime's ``rtX execute failed, reason=[...]`` line pasted without its indentation
    (or quoted with ``>`` inside another program's message, as OpenCV does): the code line heading the account
    above it when it says something of its own (``EE9999  get device msg feature can not support offline mode.``,
    ``EL0014: The operation is unsupported.``), quoted too; else None. Empty lines, ``TraceBack`` and other
    calls of the account may sit between."""
    if not runtime_reason(key_text(text)):
        return None
    for back, raw in enumerate(reversed(above[-REASON_REACH:]), 1):
        key = key_text(raw).lstrip("> ")
        if not key or key.startswith(CANN_TRACEBACK) or runtime_reason(key):
            continue
        if code_at_head(key) is None or says_nothing_code(key):
            return None
        return line - back, raw
    return None


_FAILED_ASSERTION = re.compile(r"Assertion [`'].{1,400}' failed\.?\s*$")
"""The C library's message for a failed ``assert`` (``x.h:198: T::~T(): Assertion `use_empty()' failed.``): the
check that stopped the program, under which a compiler or framework only says that it stopped."""
ASSERTION_REACH = 4


def _failed_assertion_above(above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """For a catch-all: a failed C assertion a few lines above it, the check that failed, quoted too; else None."""
    for back, raw in enumerate(reversed(above[-ASSERTION_REACH:]), 1):
        if _FAILED_ASSERTION.search(raw):
            return line - back, raw
    return None


def _matches(rule: str, raw: str, before: List[str]) -> bool:
    from mindpilot.validators.kb import load_kb

    return any(hit.rule == rule for hit in load_kb().matcher("log").match_line(raw, before))


def _account_head(above: List[str], line: int) -> Optional[Tuple[int, str]]:
    """The line heading CANN's account that the indented line ``line`` belongs to (the unindented line above its
    ``TraceBack``, ``Possible Cause`` and ``Solution`` lines), when it says something of its own; else None."""
    under_traceback = False
    for back, raw in enumerate(reversed(above), 1):
        key = key_text(raw)
        if not key:
            return None
        if indented(raw):
            under_traceback = under_traceback or key.startswith(CANN_TRACEBACK)
            continue
        return (line - back, raw) if under_traceback and not says_nothing_code(key) else None
    return None


def _in_account(rule: str, following: List[Tuple[int, str]], before: List[str]) -> Optional[Tuple[int, str]]:
    """The first of the indented lines right after the root's line (CANN's account of the same error) that
    ``rule`` matches; an empty or unindented line or a new code ends the account."""
    for number, raw in following:
        key = key_text(raw)
        if not key or not indented(raw) or code_at_head(key) is not None:
            return None
        if not key.startswith(CANN_TRACEBACK) and _matches(rule, raw, before):
            return number, raw
        before = before + [raw]
    return None


def _next_lines(rule: str, following: List[Tuple[int, str]], before: List[str]) -> Optional[Tuple[int, str]]:
    """The first of the next lines (no empty one before it) that ``rule`` matches."""
    for number, raw in following:
        if not key_text(raw):
            return None
        if _matches(rule, raw, before):
            return number, raw
        before = before + [raw]
    return None
