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

from pathlib import Path
from typing import Any, Optional, Tuple

from mindpilot.launch.catch_alls import is_catch_all
from mindpilot.launch.defect import say_whose_code
from mindpilot.launch.events import FindingEvent
from mindpilot.launch.failure_lines import candidate_lines, failure_finders, read_region
from mindpilot.launch.failures import MAX_TEXT, TIMEOUT_WORDS, Failure, FailureTracker
from mindpilot.launch.unsure_root import name_root
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.keyline import key_text, line_rank, quiet_level
from mindpilot.validators.kb.frames import MAX_TRACEBACK_LINES, last_frame_of_a_cut_traceback
from mindpilot.validators.kb.report import LIKELY, ConsequenceGroup, RootCause
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
    if finding is None or finding.rule != root.rule or not is_catch_all(root.rule):
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
            name_root(report, lang, bare, pasted, consequence=True)
        return
    if _part_of_a_timeout(report, first.file, first.line, first.rank):
        return  # the exception that reports a known timeout of this rank: the timeout says more
    if any(getattr(finding, "success", False) and finding.file == first.file and (finding.line or 0) > first.line
           for finding in report.findings):
        return  # the run said it finished well after this line: the error did not stop it
    name_root(report, lang, first, pasted)


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
        name_root(report, lang, failure, pasted, said=make_finding(
            "diagnose.cut_traceback", lang, func=frame.group("func"), text=statement,
            place=f"{Path(frame.group('path')).name}:{frame.group('line')}"))
        say_whose_code(report.findings[0], lang, [decode(raw) for raw in lines[:index + 2]], rank, data)
        return


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
