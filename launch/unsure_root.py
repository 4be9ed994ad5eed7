"""The unsure root cause written from a line no rule knows: the line that says what the error means
rather than the one that only announces it (the exception a quoted ``raise`` printed, CANN's message under a
wrapping return code, the statement a cut traceback failed in), with the general meaning of the error codes on
and around it. Used by :mod:`mindpilot.launch.postmortem` (the first failure no rule explains) and by
:mod:`mindpilot.launch.catch_alls` (an exception above a catch-all).
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any, List, Optional, Tuple

from mindpilot.launch.failure_lines import read_region
from mindpilot.launch.failures import MAX_TEXT, Failure
from mindpilot.launch.parse import log_message
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.kb.exception_lines import (failed_statement, logged_exception, raise_naming_a_bare_message,
                                                     raised_exception, terminate_message)
from mindpilot.validators.kb.keyline import (MAX_CONTINUATION, announces, continuation, detail_line, first_traceback_call,
                                             key_text)
from mindpilot.validators.kb.report import UNSURE, RootCause
from mindpilot.validators.kb.scan import decode


def name_root(report: Any, lang: str, first: Any, pasted: Optional[bytes] = None, consequence: bool = False,
               said: Any = None, following: Optional[List[Tuple[int, str]]] = None) -> None:
    """Make ``first`` (a :class:`~mindpilot.launch.failures.Failure`) the report's root cause, said as unsure.

    The line that says what the error means is preferred to the one that only announces it: CANN's code
    line after a wrapping exception, the message on the line after ``...(message):`` (see
    :func:`~mindpilot.validators.kb.keyline.detail_line`). Error codes on the key line, or just above it,
    are explained by their general meaning (:mod:`~mindpilot.validators.kb.codes`). ``said``: a finding whose
    detail and fix say what this kind of key line means (a traceback cut before its exception line);
    ``following``: the lines after it that may say more, when not all of them may (default: all)."""
    announced = first.text
    above, after = lines_around(report, pasted, first.file, first.line)
    following = after if following is None else following
    statement = failed_statement(first.text, above)
    if statement is not None:
        back, raw = statement
        text = f"{first.text.strip()}: {key_text(raw)}"[:MAX_TEXT]
        first = Failure(first.rank, first.rule, text, first.file, first.line - back, first.time, first.seq,
                        first.strength)
        above, following = above[:-back], []
    better = _better_line(first.text, following)
    if better is None and following is after and after and len(after) == DETAIL_REACH:
        # A logged error's traceback may run past the lines read for details: read on to its exception line.
        better = logged_exception(first.text, lines_around(report, pasted, first.file, first.line,
                                                           LOGGED_TRACEBACK_REACH)[1])
    wrapped_onto: Optional[int] = None
    """The other line of the error's message, quoted with it (users grep for either)."""
    opened_by: Optional[str] = None
    if better is None:
        better = _wrapped_detail(first.text, following)
    if better is not None:
        if first.line is not None and better[0] != first.line:
            # The line that announced the error stays quoted: users grep for it as much as for its detail.
            wrapped_onto, opened_by = first.line, first.text.strip()[:MAX_TEXT]
        first, above = _at_the_detail(first, better, above, following)
    else:
        rest = continuation(first.text, [raw for _, raw in following[:1]]) or _failure_continued(following)
        if rest:
            first = Failure(first.rank, first.rule, f"{first.text} {rest}"[:MAX_TEXT], first.file, first.line,
                            first.time, first.seq, first.strength)
            wrapped_onto = following[0][0]
    # Standard input has no name a user could open: the fix names "the pasted text" instead of "-".
    where = make_finding("diagnose.pasted_text", lang).title if first.file == "-" else \
        (f" {first.file} " if lang == "zh" else first.file)
    finding = make_finding("diagnose.unknown_error", lang, file=first.file, line=first.line, text=first.text,
                           where=where, extra={"rank": first.rank, "matched": first.text,
                                                        "confidence": UNSURE})
    if wrapped_onto is None:  # CANN's account under it: its first call is quoted
        wrapped_onto, opened_by = _first_call_below(first.line, following)
    _quote_also(finding, wrapped_onto, opened_by)
    if consequence:
        finding.detail = make_finding("diagnose.unknown_consequence", lang).detail
    if said is not None:  # what this kind of key line means, and what to do, in place of the generic words
        finding.detail, finding.fix = said.detail, said.fix
    below = _code_lines_below(first.line, following)
    meanings = _code_meanings(" ".join([first.text, *below]), announced, above, lang)
    if meanings:
        finding.detail += "\n" + make_finding("diagnose.code_meaning", lang,
                                              codes=("；" if lang == "zh" else "; ").join(meanings)).detail
    if not consequence:  # the first error is named now: "only follow-on errors were found" no longer holds
        report.notes[:] = [note for note in report.notes if note.rule != "diagnose.only_consequences"]
    for earlier in report.findings:  # the finding that was the root cause stays, as one finding among others
        if getattr(earlier, "root_cause", False):
            earlier.root_cause = False
            earlier.__dict__.pop("confidence", None)
    report.findings.insert(0, finding)
    report.root_cause = RootCause(rank=first.rank, rule=finding.rule, file=first.file, line=first.line,
                                  title=first.text, confidence=UNSURE)


def _at_the_detail(first: Failure, better: Tuple[int, str], above: List[str], following: List[Tuple[int, str]]
                   ) -> Tuple[Failure, List[str]]:
    """``first`` moved to the line that says what it means (``better``), its wrapped rest joined; with the lines
    above that line. A detail that is only a name is said with the class the ``raise`` a few lines up names."""
    text = log_message(key_text(better[1]))
    rest = continuation(better[1], [raw for number, raw in following if number == better[0] + 1])
    text = f"{text} {rest}"[:MAX_TEXT] if rest else text[:MAX_TEXT]
    between = [raw for number, raw in following if number < better[0]]
    raised = raise_naming_a_bare_message(text, above + [first.text] + between)
    line = better[0]
    if raised is not None:  # the exception's class, raised a few lines up, says what the bare name does not
        back, kind = raised
        text, line = f"{kind}: {text}"[:MAX_TEXT], better[0] - back
    return Failure(first.rank, first.rule, text, first.file, line, first.time, first.seq, first.strength), \
        above + between


def _quote_also(finding: Any, line: Optional[int], text: Optional[str]) -> None:
    """The other line the finding quotes (``also_line``) and its text (``also_text``), when there is one."""
    if line is not None:
        setattr(finding, "also_line", line)
    if text is not None:
        setattr(finding, "also_text", text)


def _first_call_below(line: Optional[int], following: List[Tuple[int, str]]) -> Tuple[Optional[int], Optional[str]]:
    """The first call under the TraceBack of CANN's account right below ``line`` (its number and text), or
    (None, None)."""
    if line is None:
        return None, None
    call = first_traceback_call([(number, raw) for number, raw in following if number > line])
    return (call[0], call[1].strip()[:MAX_TEXT]) if call is not None else (None, None)


_FAILURE_WORDS = re.compile(r"(?i)\b(?:failed|failure|error|cannot|unable|not found|denied|invalid)\b")


def _failure_continued(following: List[Tuple[int, str]]) -> str:
    """The next line when it goes on with the same error's account (a tool's stderr quoted in another's error:
    Docker's ``Error response from daemon: ... OCI runtime create failed: ... stderr: ...`` / ``failed to mount
    src: /usr/local/bin/x.failed to setup container.: unknown``): it starts in lower case with no wrapping of
    its own (a new message starts with a capital or a prefix) and says what failed; else ""."""
    if not following:
        return ""
    nxt = following[0][1]
    if not nxt[:1].islower() or not nxt[:1].isascii() or key_text(nxt) != nxt.strip() \
            or _FAILURE_WORDS.search(nxt) is None:
        return ""
    return nxt.strip()[:MAX_CONTINUATION]


def _wrapped_detail(text: str, following: List[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """When an error's message was wrapped onto the next line and that part only announces the rest (Go's and
    gRPC's chain of wrapped errors: ``Allocate failed due to rpc error: ... desc = apply X for pod`` / ``ns/pod-0:``
    / ``run tool: tool not found in [...]``, the innermost cause last): the line after it, which says what
    failed; else None."""
    rest = continuation(text, [raw for _, raw in following[:1]])
    if not rest or not announces(rest) or len(following) < 2:
        return None
    number, raw = following[1]
    key = key_text(raw)
    if not key or key.startswith(("Traceback (most recent call last)", "File \"")):
        return None
    return number, raw


def _better_line(text: str, following: List[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The line after an unknown error's that says more: the exception a quoted ``raise`` printed, the exception
    ending the traceback logged under it, C++'s ``what():`` under ``terminate called ...``, else the line that
    says what the error means (:func:`~mindpilot.validators.kb.keyline.detail_line`)."""
    if not following:
        return None
    return (raised_exception(text, following) or logged_exception(text, following)
            or terminate_message(text, following) or detail_line(text, following))


_CODE_LINE = re.compile(r"[EW][0-9A-Z]\d{4}\b")
CODE_LINES_BELOW = 3
"""CANN code lines right below a key line whose codes are explained with it (``EZ3002: ...`` under the
``[ERROR]`` line that reported the same failure)."""


def _code_lines_below(line: Optional[int], following: List[Tuple[int, str]]) -> List[str]:
    """The CANN error-manager lines (``EZ9999: ...``) that directly follow ``line`` (at most
    :data:`CODE_LINES_BELOW`): CANN prints the code of an error under the line that reports it."""
    below: List[str] = []
    for number, raw in following:
        if line is None or number <= line:
            continue
        if len(below) == CODE_LINES_BELOW or not _CODE_LINE.match(key_text(raw)):
            break
        below.append(key_text(raw))
    return below


def _code_meanings(key: str, announced: str, above: List[str], lang: str) -> List[str]:
    """What the error codes of the key line mean in general: its own codes, then those of the line that
    announced the error, then of the lines above it (torch_npu's ERR summary codes last)."""
    from mindpilot.validators.kb.cann_catalog import host_catalog
    from mindpilot.validators.kb.codes import MAX_CODES, codes_near, explain_codes

    codes = codes_near(key, above + [announced], limit=None)
    codes.sort(key=lambda code: code.startswith("ERR"))
    if not codes:
        return []
    try:
        catalog = host_catalog()
    except Exception:  # a broken CANN install must not stop the diagnosis; the code book still answers
        catalog = {}
    return explain_codes(codes, lang, catalog)[:MAX_CODES]


DETAIL_REACH = 15
"""Lines after an unknown error searched for the line that says what it means."""
LINES_ABOVE = 10
"""Lines above an unknown error whose error codes are explained with it (a traceback's CANN block)."""
MAX_LINE = 4096
"""Bytes of each of those lines read (a megabyte-long line is not decoded whole for a look at its start)."""


LOGGED_TRACEBACK_REACH = 200
"""Lines after a logged error read for the exception line that ends the traceback logged under it."""


def lines_around(report: Any, pasted: Optional[bytes], file: str, line: int,
                 reach: int = DETAIL_REACH) -> Tuple[List[str], List[Tuple[int, str]]]:
    """The :data:`LINES_ABOVE` lines before ``file:line`` and the ``reach`` lines after it (numbered), read
    again from the log or the paste."""
    scanned = next((entry for entry in report.files if entry.file == file), None)
    region = read_region(scanned, pasted) if scanned is not None else None
    if region is None:
        return [], []
    data, number = region
    pos, starts = 0, deque(maxlen=LINES_ABOVE + 1)
    while number <= line and pos <= len(data):  # bounded by the region's size
        starts.append(pos)
        end = data.find(b"\n", pos)
        if end < 0:
            return [], []
        number, pos = number + 1, end + 1
    bounds = list(starts) + [pos]
    above = [decode(data[begin:min(end - 1, begin + MAX_LINE)]).rstrip("\r")
             for begin, end in zip(bounds[:-2], bounds[1:-1])]
    lines = data[pos:pos + (reach + 1) * MAX_LINE].split(b"\n", reach)[:reach]
    return above, [(number + index, decode(raw[:MAX_LINE]).rstrip("\r")) for index, raw in enumerate(lines)]
