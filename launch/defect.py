"""When no rule knows an exception: say whose code raised it, a framework's or the job's own.

``diagnose`` names an exception no rule knows as the unsure root cause (:mod:`mindpilot.launch.postmortem`). If
the traceback above it ends inside a framework's own package and the exception is a programming error
(:mod:`mindpilot.validators.kb.frames`), the root cause becomes, said as likely, a defect or an unsupported case
of that framework's release, with the file, line and function and the release the log shows. If it ends in
the job's own script, the unsure finding says so. A rule that knows the error, specific or catch-all, keeps the
root cause: this runs only for the unknown-error fallback, on the same key line.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from mindpilot.launch.root_steps import root_region
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.kb.frames import (MAX_TRACEBACK_LINES, DefectException, Frame, Owner, candidate, culprit,
                                            defect_meaning, deliberate, exception_of, possessive, traceback_above,
                                            version_in)
from mindpilot.validators.kb.keyline import line_rank
from mindpilot.validators.kb.report import LIKELY, RootCause
from mindpilot.validators.kb.scan import decode

UNKNOWN = "diagnose.unknown_error"
EXCEPTION_REACH = 3
"""Lines below and above the unsure key line searched for the exception it belongs to (the key line may be the
statement that failed, above it, or the message's detail line, below it)."""
MAX_LINE = 4096
"""Bytes of each line read back (a megabyte-long line is not decoded whole)."""


def name_framework_defect(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """Turn the unknown-error root cause into a likely framework defect, or say it is in the job's own code,
    when the traceback above it shows whose code it was (see the module docstring)."""
    root = report.root_cause
    finding = report.findings[0] if report.findings else None
    if root is None or root.rule != UNKNOWN or root.line is None or finding is None or finding.rule != UNKNOWN \
            or finding.line != root.line:
        return
    region = root_region(report, pasted)
    if region is None:
        return
    data, first = region
    lines, begin = _lines_up_to(data, first, root.line + EXCEPTION_REACH)
    found = _exception(lines, root.line - begin)
    if found is None:
        return
    index, cls, message = found
    rank = line_rank(lines[index])
    frames = traceback_above(lines[:index], rank if rank is not None else root.rank)
    owned = culprit(frames)
    if owned is None:
        return
    frame, owner = owned
    if owner.kind not in ("user", "framework"):
        return
    on_purpose = owner.kind == "framework" and deliberate(frame)
    entry = None if on_purpose or not candidate(cls) else \
        defect_meaning(cls, message, owner.package.module if owner.package is not None else None)
    if entry is None:
        if owner.kind == "framework":  # still worth knowing: whose check or code raised it, and which release
            _say_framework_raised(finding, lang, frame, owner, on_purpose, version_in(data, owner.package))
        return
    if owner.kind == "user":
        _say_own_code(finding, lang, frame, entry)
    else:
        _name_defect(report, lang, frame, owner, entry, version_in(data, owner.package))


def say_whose_code(finding: Any, lang: str, lines: List[str], rank: Optional[int], data: bytes) -> None:
    """For a traceback with no exception line (cut before it): when its innermost frame that is not a runtime's
    lies in a framework's own code, ``finding`` says so, with the release the log shows (``data``)."""
    owned = culprit(traceback_above(lines, rank))
    if owned is not None and owned[1].kind == "framework":
        frame, owner = owned
        _say_framework_raised(finding, lang, frame, owner, deliberate(frame), version_in(data, owner.package))


def _exception(lines: List[str], key: int) -> Optional[Tuple[int, str, str]]:
    """The index, class and message of the exception line nearest ``lines[key]`` (the key line itself, the lines
    below it when the key line is the quoted statement that failed, then those above it); None when there is none."""
    if not 0 <= key < len(lines):
        return None
    order = [key] + list(range(key + 1, min(len(lines), key + 1 + EXCEPTION_REACH))) \
        + list(range(key - 1, max(-1, key - 1 - EXCEPTION_REACH), -1))
    for index in order:
        parsed = exception_of(lines[index])
        if parsed is not None:
            return (index, *parsed)
    return None


def _lines_up_to(data: bytes, first: int, last: int) -> Tuple[List[str], int]:
    """Up to :data:`MAX_TRACEBACK_LINES` + :data:`EXCEPTION_REACH` + 1 lines of ``data`` (whose first line is number
    ``first``) ending with line ``last`` or the data's end, and the number of the first of them. The start is
    found from whichever end of the data is nearer (the error of a failed job is usually near its end)."""
    begin = max(first, last - MAX_TRACEBACK_LINES - EXCEPTION_REACH)
    newlines = data.count(b"\n")
    if begin - first > newlines:
        return [], begin
    if begin - first <= newlines // 2:
        pos = 0
        for _ in range(begin - first):
            pos = data.find(b"\n", pos) + 1
    else:
        pos = len(data)
        for _ in range(newlines - (begin - first) + 1):  # back over the newlines that end lines begin .. the last
            pos = data.rfind(b"\n", 0, pos)
        pos += 1
    lines: List[str] = []
    number = begin
    while number <= last and pos <= len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        lines.append(decode(data[pos:min(end, pos + MAX_LINE)]).rstrip("\r"))
        number, pos = number + 1, end + 1
    return lines, begin


def _meaning(entry: DefectException, lang: str) -> str:
    return entry.meaning.get("zh" if lang == "zh" else "en")


def _seen(lang: str, package: Any, version: Optional[str]) -> str:
    """The sentence that names the package's release the log shows, or how to see it."""
    if version:
        return make_finding("diagnose.framework_version_seen", lang, package=package.name, version=version).title
    return make_finding("diagnose.framework_version_unseen", lang, package=package.name, dist=package.dists[0]).title


def _say_framework_raised(finding: Any, lang: str, frame: Frame, owner: Owner, on_purpose: bool,
                          version: Optional[str]) -> None:
    rule = "diagnose.raised_by_framework_check" if on_purpose else "diagnose.raised_in_framework"
    said = make_finding(rule, lang, package=owner.package.name, package_s=possessive(owner.package.name), func=frame.func, place=f"{owner.inner}:{frame.line}",
                        seen=_seen(lang, owner.package, version))
    finding.detail = f"{finding.detail}\n{said.detail}" if finding.detail else said.detail


def _name_defect(report: Any, lang: str, frame: Frame, owner: Owner, entry: DefectException,
                 version: Optional[str]) -> None:
    old = report.findings[0]
    package = owner.package
    seen = _seen(lang, package, version)
    release = (f" {version} " if lang == "zh" else f" {version}") if version else ""
    finding = make_finding(
        "diagnose.framework_defect", lang, file=old.file, line=old.line, cls=entry.name, package=package.name,
        package_s=possessive(package.name),
        func=frame.func, place=f"{owner.inner}:{frame.line}", meaning=_meaning(entry, lang), seen=seen,
        release=release,
        extra={"rank": getattr(old, "rank", None), "matched": getattr(old, "matched", None),
               "text": getattr(old, "text", None) or getattr(old, "matched", None), "confidence": LIKELY,
               "package": package.module, **({"version": version} if version else {})})
    if "\n" in old.detail:  # the general meaning of an error code on the key line stays with it
        finding.detail += "\n" + old.detail.split("\n", 1)[1]
    report.findings[0] = finding
    root = report.root_cause
    report.root_cause = RootCause(rank=root.rank, rule=finding.rule, file=root.file, line=root.line,
                                  title=finding.title, time=root.time, confidence=LIKELY)


def _say_own_code(finding: Any, lang: str, frame: Frame, entry: DefectException) -> None:
    meaning = _meaning(entry, lang)
    if lang != "zh":
        meaning = meaning[:1].upper() + meaning[1:]
    own = make_finding("diagnose.raised_in_own_code", lang, place=f"{frame.path}:{frame.line}", func=frame.func,
                       meaning=meaning)
    finding.detail = f"{finding.detail}\n{own.detail}" if finding.detail else own.detail
