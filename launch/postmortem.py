"""After a job: the first failing rank's first error, even when no known rule explains it, and the
follow-on errors the live view marks as consequences.

The live view (``launch`` / ``attach``) names a rank's error line when the knowledge base does not know
it (an exception before the trailer lines around it, in any launcher's or logger's format), and marks
timeouts, aborts and the scheduler's errors as consequences. After a failure, words of failure count too
(``weakest=1``): "no known error found" is said only when no line looks like an error.
:func:`add_live_view_findings` replays the logs through the live view's own recognition
(:class:`~mindpilot.launch.failures.FailureTracker`), so that ``diagnose`` and the live view agree on the
root cause and on the consequences, for files and for a pasted report alike.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Any, List, Optional, Tuple

from mindpilot.launch.defect import say_whose_code
from mindpilot.launch.events import FindingEvent
from mindpilot.launch.failure_lines import candidate_lines, failure_finders, read_region
from mindpilot.launch.failures import MAX_TEXT, TIMEOUT_WORDS, Failure, FailureTracker
from mindpilot.launch.parse import log_message
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.keyline import (ascend_section, continuation, detail_line, failed_statement, key_text,
                                             line_rank, quiet_level, raised_exception, refers_to_details,
                                             wraps_a_code)
from mindpilot.validators.kb.frames import MAX_TRACEBACK_LINES, last_frame_of_a_cut_traceback
from mindpilot.validators.kb.report import CONFIDENT, LIKELY, UNSURE, ConsequenceGroup, RootCause
from mindpilot.validators.kb.scan import decode

def add_live_view_findings(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """Add to a diagnose report what the live view would have shown and the knowledge base did not.

    Without a known error: the first failing rank's first error line becomes the root cause (``pasted``
    is the standard input already read, for ``diagnose -``); so it does when the root cause is only a catch-all
    read on a WARNING or INFO line and that error line is logged louder. Always: the scheduler's error lines, which
    the live view labels consequences, join the report's consequences.
    """
    # Known errors that are only consequences (HCCL timeouts ...) leave the root cause open: the failing
    # rank's own line, known or not, comes ahead of ranks that only time out waiting for it. So does a catch-all
    # read on a WARNING or INFO line: an error logged as an error, known or not, says more.
    louder_only = report.root_cause is not None and _quiet_catch_all(report)
    has_error = report.root_cause is not None and not louder_only
    finder, masked_finder = failure_finders()
    found_by_scan = {(finding.rule, finding.file) for finding in report.findings}
    not_failures = _explained_as_no_failure(report)
    # The job failed: words of failure count too. A rule the scan did not find in a file stood down there.
    tracker = FailureTracker(lang=lang, weakest=1, kb_known=lambda rule, file: (rule, file) in found_by_scan)
    found: dict = {}
    consequences: list[Tuple[str, FindingEvent]] = []
    bare: Optional[Failure] = None
    """The first consequence a worker's log shows (a timeout, an abort): the key line when nothing else is."""
    for scanned in report.files:
        source = "scheduler" if Path(scanned.file).name == "scheduler.log" else "worker"
        if has_error and source != "scheduler":
            continue  # the root cause is known: only the scheduler's lines can add consequences
        region = read_region(scanned, pasted)
        if region is None:
            continue
        for number, text, stamp in candidate_lines(region, finder, masked_finder):
            if (scanned.file, number) in not_failures:
                continue  # a rule read it as a note or a warning (a run's normal end): not the failure
            for event in tracker.feed(text, scanned.rank, source, scanned.file, stamp, line=number):
                if not event.finding.rule.startswith("tail."):
                    continue  # the knowledge-base scan has it already
                if event.consequence:
                    consequences.append((source, event))
                    if bare is None and source == "worker":
                        bare = Failure(event.rank, event.finding.rule, text, scanned.file, number, None, 0)
                else:
                    found.setdefault((event.rank, event.finding.rule), event.finding)
    if louder_only:
        first, root = tracker.first_failure(), report.root_cause
        if first is not None and first.strength >= 2 and not quiet_level(first.text):
            _name_first_failure(report, lang, first, found, None, pasted)
        if report.root_cause is root:  # the catch-all stays: as with a known root, only the scheduler's lines
            consequences = [(source, event) for source, event in consequences if source == "scheduler"]
    elif not has_error:
        _name_first_failure(report, lang, tracker.first_failure(), found, bare, pasted)
    _name_what_is_left(report, lang, pasted)
    _add_consequences(report, [event for _, event in consequences])


def _name_what_is_left(report: Any, lang: str, pasted: Optional[bytes]) -> None:
    """Still no root cause after the replay: a traceback cut before its exception line, else a follow-on error
    ahead of the warnings, is the key line."""
    if not report.findings:
        _name_cut_traceback(report, lang, pasted)
    elif report.root_cause is None:
        _first_sign_before_notes(report, lang)


def _first_sign_before_notes(report: Any, lang: str) -> None:
    """With only follow-on errors found (an HCCL timeout) and a warning or note no rule calls a failure (an
    operator falling back to the CPU): the first follow-on error is the likely root cause, said as what it is,
    not the warning: it is the one sign of failure the log holds, and its message says where to look."""
    errors = [finding for finding in report.findings if finding.severity is Severity.ERROR]
    if not errors or any(not getattr(finding, "consequence", False) for finding in errors) or \
            all(getattr(finding, "consequence", False) for finding in report.findings):
        return
    first = errors[0]
    first.consequence = False
    first.root_cause = True
    setattr(first, "confidence", LIKELY)
    first.detail = "\n".join(part for part in (first.detail, make_finding("diagnose.unknown_consequence", lang).detail)
                             if part)
    report.findings.remove(first)
    report.findings.insert(0, first)
    report.root_cause = RootCause(rank=getattr(first, "rank", None), rule=first.rule, file=first.file,
                                  line=first.line, title=first.title, time=_time_text(first), confidence=LIKELY)


def _time_text(finding: Any) -> Optional[str]:
    time = getattr(finding, "time", None)
    return None if time is None else str(time)


def _explained_as_no_failure(report: Any) -> set:
    """(file, line) of the lines the scan explained with a rule that is not an error (``severity: info`` or
    ``warning``: vLLM's engine shutting down after a finished run), first and last hit of each."""
    lines = set()
    for finding in report.findings:
        if finding.severity is Severity.ERROR or finding.line is None:
            continue
        lines.add((finding.file, finding.line))
        lines.add((finding.file, getattr(finding, "last_line", None) or finding.line))
    return lines


def _quiet_catch_all(report: Any) -> bool:
    """Whether the root cause is a catch-all read on a line logged at WARNING level or below."""
    root = report.root_cause
    finding = report.findings[0] if report.findings else None
    if finding is None or finding.rule != root.rule or not _catch_all(root.rule):
        return False
    return quiet_level(str(getattr(finding, "text", None) or ""))


def _name_first_failure(report: Any, lang: str, first: Optional[Failure], found: dict, bare: Optional[Failure],
                        pasted: Optional[bytes]) -> None:
    """With no known error: name the first failing rank's first error line (``first``, one the tracker ``found``),
    else the first consequence a worker showed (``bare``), as the unsure root cause; or nothing, when that line
    is the exception for a known timeout or the run said it finished well after it."""
    if first is None or first.line is None or (first.rank, first.rule) not in found:
        if bare is not None and not report.findings:
            # Only a timeout or an abort, and no rule knows any line: still the line to read first, said as such.
            _name_root(report, lang, bare, pasted, consequence=True)
        return
    if _part_of_a_timeout(report, first.file, first.line, first.rank):
        return  # the exception that reports a known timeout of this rank: the timeout says more
    if any(getattr(finding, "success", False) and finding.file == first.file and (finding.line or 0) > first.line
           for finding in report.findings):
        return  # the run said it finished well after this line: the error did not stop it
    _name_root(report, lang, first, pasted)


TRACEBACK_HEAD = b"Traceback (most recent call last)"


def _name_cut_traceback(report: Any, lang: str, pasted: Optional[bytes]) -> None:
    """With no finding at all: a log whose last traceback stops at a frame, its exception line cut off (a
    paste cut short, a log copied up to the error), names that frame's statement as the unsure key line, and
    says that the exception itself is missing."""
    for scanned in report.files:
        region = read_region(scanned, pasted)
        if region is None:
            continue
        data, first = region
        start = data.rfind(TRACEBACK_HEAD)
        if start < 0:
            continue
        start = data.rfind(b"\n", 0, start) + 1
        lines = data[start:].split(b"\n", MAX_TRACEBACK_LINES)
        if len(lines) > MAX_TRACEBACK_LINES:
            continue  # more than a traceback follows its head: output went on after it
        last = last_frame_of_a_cut_traceback([key_text(decode(raw)) for raw in lines[1:]])
        if last is None:
            continue
        index, frame, statement = last
        number = first + data.count(b"\n", 0, start) + 1 + index
        rank = line_rank(decode(lines[0]))
        failure = Failure(rank, "tail.worker_error", statement[:MAX_TEXT], scanned.file, number, None, 0, 3)
        _name_root(report, lang, failure, pasted, said=make_finding(
            "diagnose.cut_traceback", lang, func=frame.group("func"), text=statement,
            place=f"{Path(frame.group('path')).name}:{frame.group('line')}"))
        say_whose_code(report.findings[0], lang, [decode(raw) for raw in lines[:index + 2]], rank, data)
        return


def _name_root(report: Any, lang: str, first: Any, pasted: Optional[bytes] = None, consequence: bool = False,
               said: Any = None, following: Optional[List[Tuple[int, str]]] = None) -> None:
    """Make ``first`` (a :class:`~mindpilot.launch.failures.Failure`) the report's root cause, said as unsure.

    The line that says what the error means is preferred to the one that only announces it: CANN's code
    line after a wrapping exception, the message on the line after ``...(message):`` (see
    :func:`~mindpilot.validators.kb.keyline.detail_line`). Error codes on the key line, or just above it,
    are explained by their general meaning (:mod:`~mindpilot.validators.kb.codes`). ``said``: a finding whose
    detail and fix say what this kind of key line means (a traceback cut before its exception line);
    ``following``: the lines after it that may say more, when not all of them may (default: all)."""
    announced = first.text
    above, after = _lines_around(report, pasted, first.file, first.line)
    following = after if following is None else following
    statement = failed_statement(first.text, above)
    if statement is not None:
        back, raw = statement
        text = f"{first.text.strip()}: {key_text(raw)}"[:MAX_TEXT]
        first = Failure(first.rank, first.rule, text, first.file, first.line - back, first.time, first.seq,
                        first.strength)
        above, following = above[:-back], []
    better = _better_line(first.text, following)
    if better is not None:
        text = log_message(key_text(better[1]))
        rest = continuation(better[1], [raw for number, raw in following if number == better[0] + 1])
        text = f"{text} {rest}"[:MAX_TEXT] if rest else text[:MAX_TEXT]
        above = above + [raw for number, raw in following if number < better[0]]
        first = Failure(first.rank, first.rule, text, first.file, better[0], first.time, first.seq, first.strength)
    else:
        rest = continuation(first.text, [raw for _, raw in following[:1]])
        if rest:
            first = Failure(first.rank, first.rule, f"{first.text} {rest}"[:MAX_TEXT], first.file, first.line,
                            first.time, first.seq, first.strength)
    # Standard input has no name a user could open: the fix names "the pasted text" instead of "-".
    where = make_finding("diagnose.pasted_text", lang).title if first.file == "-" else \
        (f" {first.file} " if lang == "zh" else first.file)
    finding = make_finding("diagnose.unknown_error", lang, file=first.file, line=first.line, text=first.text,
                           where=where, extra={"rank": first.rank, "matched": first.text,
                                                        "confidence": UNSURE})
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


def _better_line(text: str, following: List[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """The line after an unknown error's that says more: the exception a quoted ``raise`` printed, else the
    line that says what the error means (:func:`~mindpilot.validators.kb.keyline.detail_line`)."""
    if not following:
        return None
    return raised_exception(text, following) or detail_line(text, following)


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


CATCH_ALL_REACH = 30
"""Lines above a catch-all root cause (CANN's "EE9999: Inner error", say) searched for the exception it closes."""


def prefer_exception_to_catch_all(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """When the root cause is a catch-all rule (``generic``, or a code of CANN's catalogue) and an exception
    no rule knows (no finding on its line) sits just above it in the same file, the exception is the root cause (unsure) and the
    catch-all follows it: the last exception of a traceback says more than the trailer lines after it.
    Unless the exception only wraps a code whose message is the catch-all's own line (torch_npu's ``error
    code is 561103`` above CANN's message that the catch-all reads): then the catch-all says more."""
    root = report.root_cause
    if root is None or not _catch_all(root.rule):
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
    _, following = _lines_around(report, pasted, last.file, last.line)
    if following and following[0][0] == root.line and _WHAT_LINE.match(following[0][1]):
        return  # C++'s terminate handler prints the exception's message on the next line: the catch-all reads it
    better = detail_line(last.text, following) if following else None
    if better is not None and better[0] == root.line:
        if wraps_a_code(last.text) or any(ascend_section(raw) for number, raw in following if number < root.line):
            return  # the exception only wraps a code whose message is the very line the catch-all reads
        following = []  # an exception with a message of its own: CANN's report under it only says it stopped
    _name_root(report, lang, last, pasted, following=following)


def point_at_the_details(report: Any, pasted: Optional[bytes] = None) -> None:
    """When a rule names the root cause on a line that refers to a section of its message (MindSpore's ``The
    details refer to 'Ascend Error Message'``), or a catch-all does on a line whose message is below it (a return
    code ``... error code is 161002``, an exception over MindSpore's ``- Ascend Error Message:`` section, a
    line ending in a colon or a banner), the finding points at the line below that holds the details (CANN's
    ``EE1001: ... Reason: ...``, the message under ``AclNN_Parameter_Error(EZ1001):``; see
    :func:`~mindpilot.validators.kb.keyline.detail_line`), where the user reads on; the line the rule matched is
    kept as ``matched_line``."""
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
    _, following = _lines_around(report, pasted, root.file, root.line)
    better = detail_line(key_text(text), following) if following else None
    if better is None:
        return
    setattr(finding, "matched_line", root.line)
    finding.line, root.line = better[0], better[0]
    setattr(finding, "text", better[1].strip()[:MAX_TEXT])


_WHAT_LINE = re.compile(r"\s*what\(\):")
"""The line under ``terminate called after throwing an instance of 'c10::Error'`` with the exception's message."""


_CATALOGUE_RULE = re.compile(r"kb\.\w+\.cann_[ew][0-9a-z]\d{4}")
"""The id of a rule built from CANN's catalogue (``kb.runtime.cann_ee9999``), not a hand rule named ``cann_*``."""


def _catch_all(rule_id: str) -> bool:
    if _CATALOGUE_RULE.fullmatch(rule_id):
        return True  # CANN's catalogue: generic by construction (validators/kb/cann_catalog.py)
    try:
        from mindpilot.validators.kb import load_kb

        rule = load_kb().rules.get(rule_id)
    except Exception:  # no knowledge base: nothing is known to be a catch-all
        return False
    return bool(rule is not None and rule.generic)


TIMEOUT_REACH = 10
"""Lines between an unknown error and a known timeout of the same file that make them one event."""


def _part_of_a_timeout(report: Any, file: str, line: int, rank: Optional[int] = None) -> bool:
    """Whether a known consequence (an HCCL timeout, say) of the same rank sits within a few lines of
    ``file:line``: then the unknown line is the exception raised for that timeout, not a failure of its own. A
    timeout another rank printed next to it (torchrun writes every rank into one file) is that rank's wait."""
    for finding in report.findings:
        if not getattr(finding, "consequence", False) or finding.file != file or finding.line is None \
                or not TIMEOUT_WORDS.search(str(getattr(finding, "text", "") or getattr(finding, "matched", ""))):
            continue
        other = getattr(finding, "rank", None)
        if rank is not None and other is not None and other != rank:
            continue
        last = getattr(finding, "last_line", None) or finding.line
        if finding.line - TIMEOUT_REACH <= line <= last + TIMEOUT_REACH:
            return True
    return False


DETAIL_REACH = 15
"""Lines after an unknown error searched for the line that says what it means."""
LINES_ABOVE = 10
"""Lines above an unknown error whose error codes are explained with it (a traceback's CANN block)."""
MAX_LINE = 4096
"""Bytes of each of those lines read (a megabyte-long line is not decoded whole for a look at its start)."""


def _lines_around(report: Any, pasted: Optional[bytes], file: str, line: int) -> Tuple[List[str], List[Tuple[int, str]]]:
    """The :data:`LINES_ABOVE` lines before ``file:line`` and the :data:`DETAIL_REACH` lines after it
    (numbered), read again from the log or the paste."""
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
    lines = data[pos:pos + (DETAIL_REACH + 1) * MAX_LINE].split(b"\n", DETAIL_REACH)[:DETAIL_REACH]
    return above, [(number + index, decode(raw[:MAX_LINE]).rstrip("\r")) for index, raw in enumerate(lines)]


def _add_consequences(report: Any, events: list[FindingEvent]) -> None:
    """Group the live view's consequences: one group per rule, and for its own unknown-line rule one per
    source (the scheduler's line is not the workers' timeouts, and its title quotes the first line)."""
    groups = {(group.rule, ""): group for group in report.consequences}
    files: dict[tuple, set] = {}
    for event in events:
        key = (event.finding.rule, event.source if event.finding.rule.startswith("tail.") else "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = ConsequenceGroup(rule=event.finding.rule, title=event.finding.title)
            report.consequences.append(group)
        group.count += 1
        if event.finding.file not in files.setdefault(key, set()):
            files[key].add(event.finding.file)
            group.files += 1
        if event.rank is not None and event.rank not in group.ranks:
            group.ranks.append(event.rank)
            group.ranks.sort()
