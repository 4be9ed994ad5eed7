"""A catch-all root cause (a ``generic`` rule, a code of CANN's catalogue) yields to what it only closes or
announces: the exception no rule knows just above it (the last exception of a traceback says more than the
trailer lines after it), or the line below that holds the details its own line refers to.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from mindpilot.launch.failure_lines import read_region
from mindpilot.launch.failures import MAX_TEXT, FailureTracker
from mindpilot.launch.unsure_root import lines_around, name_root
from mindpilot.validators.kb.keyline import ascend_section, detail_line, key_text, refers_to_details, wraps_a_code
from mindpilot.validators.kb.report import CONFIDENT
from mindpilot.validators.kb.scan import decode


CATCH_ALL_REACH = 30
"""Lines above a catch-all root cause (CANN's "EE9999: Inner error", say) searched for the exception it closes."""


def prefer_exception_to_catch_all(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """When the root cause is a catch-all rule (``generic``, or a code of CANN's catalogue) and an exception
    no rule knows (no finding on its line) sits just above it in the same file, the exception is the root cause (unsure) and the
    catch-all follows it: the last exception of a traceback says more than the trailer lines after it.
    Unless the exception only wraps a code whose message is the catch-all's own line (torch_npu's ``error
    code is 561103`` above CANN's message that the catch-all reads): then the catch-all says more."""
    root = report.root_cause
    if root is None or not is_catch_all(root.rule):
        return
    scanned = next((entry for entry in report.files if entry.file == root.file), None)
    region = read_region(scanned, pasted) if scanned is not None else None
    if region is None:
        return
    data, number = region
    tracker = FailureTracker(lang=lang, use_kb=False, weakest=3)  # exceptions only
    pos = 0
    while pos <= len(data) and number < root.line:
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        if number >= root.line - CATCH_ALL_REACH:
            tracker.feed(decode(data[pos:end]).rstrip("\r"), root.rank, "worker", root.file, None, line=number)
        number, pos = number + 1, end + 1
    # An exception a rule knows (a consequence such as MindSpore's "... call failed, please check!" summary above
    # CANN's own message) is not one "no rule knows": the catch-all's line says more than it.
    known = {finding.line for finding in report.findings if finding.file == root.file and finding.line is not None}
    exceptions = [cause for cause in tracker.causes.values()
                  if cause.line is not None and cause.strength >= 3 and cause.line not in known]
    if not exceptions:
        return
    last = max(exceptions, key=lambda cause: cause.line)
    _, following = lines_around(report, pasted, last.file, last.line)
    if _in_terminate_message(last.text, following, root.line):
        return  # C++'s terminate handler prints the exception's message under it: the catch-all reads it
    better = detail_line(last.text, following) if following else None
    if better is not None and better[0] == root.line:
        if wraps_a_code(last.text) or any(ascend_section(raw) for number, raw in following if number < root.line):
            return  # the exception only wraps a code whose message is the very line the catch-all reads
        following = []  # an exception with a message of its own: CANN's report under it only says it stopped
    name_root(report, lang, last, pasted, following=following)


def point_at_the_details(report: Any, pasted: Optional[bytes] = None) -> None:
    """When a rule names the root cause on a line that refers to a section of its message (MindSpore's ``The
    details refer to 'Ascend Error Message'``), or a catch-all does on a line whose message is below it (a return
    code ``... error code is 161002``, an exception over MindSpore's ``- Ascend Error Message:`` section, a
    line ending in a colon or a banner), the finding points at the line below that holds the details (CANN's
    ``EE1001: ... Reason: ...``, the message under ``AclNN_Parameter_Error(EZ1001):``; see
    :func:`~mindpilot.validators.kb.keyline.detail_line`), where the user reads on; the line the rule matched is
    kept as ``matched_line`` and quoted too (``also_line``, ``also_text``)."""
    root = report.root_cause
    if root is None or root.rule.startswith("diagnose.") or root.line is None or not report.findings:
        return
    finding = report.findings[0]
    text = str(getattr(finding, "text", None) or "")
    # A catch-all says less than the line below that its own line only announces (the runtime's message under a
    # return code, CANN's account in MindSpore's Ascend Error Message section, a compiler's message under its
    # banner); a rule that names the cause keeps its line.
    wrapped = root.confidence != CONFIDENT
    if finding.rule != root.rule or finding.line != root.line or not (refers_to_details(text) or wrapped):
        return
    _, following = lines_around(report, pasted, root.file, root.line)
    better = detail_line(key_text(text), following) if following else None
    if better is None:
        return
    setattr(finding, "matched_line", root.line)
    setattr(finding, "also_line", root.line)  # the line the rule matched stays quoted (users grep for it)
    setattr(finding, "also_text", text.strip()[:MAX_TEXT])
    finding.line, root.line = better[0], better[0]
    setattr(finding, "text", better[1].strip()[:MAX_TEXT])


_WHAT_LINE = re.compile(r"\s*what\(\):")
"""The line under ``terminate called after throwing an instance of 'c10::Error'`` with the exception's message."""
_TERMINATE_LINE = re.compile(r"terminate called after throwing an instance of")
_MESSAGE_GOES_ON = re.compile(r"\s*$|\s|>")
"""A line that goes on with a multi-line ``what():`` message: blank, indented, or quoted with ``>`` (OpenCV puts
CANN's own account of a failed call, code line and TraceBack, under its ``error: (-2:Unspecified error) in
function 'aclrtX'`` so)."""


def _in_terminate_message(exception: str, following: list, line: int) -> bool:
    """Whether ``line`` is part of the ``what():`` message C++'s terminate handler printed under ``exception``
    (``terminate called after throwing an instance of 'cv::Exception'``): its first line, or a line of the
    message going on under it with nothing else in between (blank lines allowed: a paste may double them)."""
    if _TERMINATE_LINE.search(exception) is None:
        return False
    in_message = False
    for number, raw in following:
        if not in_message:
            if not raw.strip():
                continue
            if _WHAT_LINE.match(raw) is None:
                return False
            in_message = True
        elif _MESSAGE_GOES_ON.match(raw) is None:
            return False
        if number == line:
            return True
    return False


_CATALOGUE_RULE = re.compile(r"kb\.\w+\.cann_[ew][0-9a-z]\d{4}")
"""The id of a rule built from CANN's catalogue (``kb.runtime.cann_ee9999``), not a hand rule named ``cann_*``."""


def is_catch_all(rule_id: str) -> bool:
    """Whether ``rule_id`` only gives a general meaning (``generic: true``, or a rule built from CANN's catalogue)."""
    if _CATALOGUE_RULE.fullmatch(rule_id):
        return True  # CANN's catalogue: generic by construction (validators/kb/cann_catalog.py)
    try:
        from mindpilot.validators.kb import load_kb

        rule = load_kb().rules.get(rule_id)
    except Exception:  # no knowledge base: nothing is known to be a catch-all
        return False
    return bool(rule is not None and rule.generic)
