"""Diagnose logs, msrun log directories, launch scripts or a pasted report: which rule, where, first.

On 8 or 16 ranks the real error hides in one worker log while the others time out in HCCL. We scan
every file, count repeats per (file, rule), order failures by time across ranks, and name the first
failing rank's first non-consequence error as the root cause; timeouts and "job exited" lines are
grouped as its consequences.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional, Sequence, Tuple

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.kb.installed import installed_for
from mindpilot.validators.kb.keyline import key_text, line_rank, quiet_level
from mindpilot.validators.kb.knowledge import KnowledgeBase, load_kb_for_logs
from mindpilot.validators.kb.hits import rule_finding
from mindpilot.validators.kb.model import PLACEHOLDER, KbRule
from mindpilot.validators.kb.report import (CONFIDENT, LIKELY, ConsequenceGroup, DiagnoseReport, RootCause,
                                            ScannedFile)
from mindpilot.validators.kb.scan import Scanner, decode, scan_lines
from mindpilot.redact import redact_model, secret_values

RANK_IN_NAME = re.compile(r"(?:worker|rank)[_-]?(\d+)", re.IGNORECASE)
RANK_IN_LOG = {"rank": re.compile(r"Global rank id of this process: (\d+)")}
LOG_SUFFIXES = (".log", ".txt", ".out", ".err")
SCRIPT_SUFFIXES = (".sh", ".bash")
MAX_SCRIPT_BYTES = 2 << 20
MAX_DIR_FILES = 4096
MAX_STREAM_BYTES = 16 << 30
"""Most bytes read from one input (standard input included): a stream that never ends stops here."""
GROWTH_BYTES = 64 << 20
"""Bytes a log file may grow by while it is read; past its size at open plus this, reading stops (a log
written faster than it can be read would otherwise keep diagnose busy forever)."""


class DiagnoseInputError(ValueError):
    """No path could be read at all (the CLI turns this into exit code 2)."""


class _Agg:
    """First hit of one rule in one file, and how often it repeats."""

    __slots__ = ("rule", "file", "rank", "line", "text", "matched", "time", "time_inferred", "count", "last_line",
                 "groups", "order")

    def __init__(self, rule: KbRule, file: str, rank: Optional[int], line: int, text: str, matched: str,
                 time: Optional[str], time_inferred: bool, groups: Optional[Dict[str, str]] = None) -> None:
        self.rule, self.file, self.rank, self.line = rule, file, rank, line
        self.text, self.matched, self.time, self.time_inferred = text, matched, time, time_inferred
        self.count = 1
        self.last_line = line
        self.groups = groups
        self.order = 0
        """The rule's place in the knowledge base (files by name, rules as written; CANN's catalogue after):
        of two rules on one line, the earlier one comes first, whichever matched first."""


def rank_from_name(path: str) -> Optional[int]:
    """``worker_3.log`` -> 3; ``rank_5/...`` -> 5; None otherwise.

    A folder counts only when its whole name is a rank (``rank_5``), so that ``scenarios/rank3_oom/
    scheduler.log`` is not taken for rank 3, as the live view does not take it.
    """
    parts = Path(path).parts
    found = None
    for found in RANK_IN_NAME.finditer(parts[-1] if parts else path):
        pass
    if found:
        return int(found.group(1))
    for part in reversed(parts[:-1]):
        whole = RANK_IN_NAME.fullmatch(part)
        if whole:
            return int(whole.group(1))
    return None


def _is_script(path: Path) -> bool:
    if path.suffix in SCRIPT_SUFFIXES:
        return True
    if path.suffix in LOG_SUFFIXES:
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def _logical_lines(lines: List[str]) -> Tuple[List[str], List[int]]:
    """Shell lines with backslash continuations joined, and the physical line each one starts on."""
    logical: List[str] = []
    starts: List[int] = []
    current: List[str] = []
    for number, line in enumerate(lines, 1):
        if not current:
            starts.append(number)
        stripped = line.rstrip("\r")
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        logical.append(" ".join(current))
        current = []
    if current:
        logical.append(" ".join(current))
    return logical, starts


def _natural_key(path: Path) -> Tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path)))


def _log_files(directory: Path) -> List[Path]:
    """Regular files with a log suffix under ``directory`` (at most :data:`MAX_DIR_FILES`).

    Raises:
        OSError: ``directory`` itself cannot be listed (a subdirectory that cannot is skipped).
    """
    found: List[Path] = []
    os.listdir(directory)  # an unreadable top directory is an error, not "no logs here"
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in names:
            if name.endswith(LOG_SUFFIXES) and os.path.isfile(os.path.join(root, name)):  # no FIFO, no device
                found.append(Path(root) / name)
        if len(found) >= MAX_DIR_FILES:
            break
    return sorted(found, key=_natural_key)[:MAX_DIR_FILES]


class _Capped:
    """A binary stream that ends after ``limit`` bytes; ``cut`` says whether there was more."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream, self.limit, self.left, self.cut = stream, limit, limit, False

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            self.cut = self.cut or bool(self.stream.read(1))
            return b""
        data = self.stream.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


class _Run:
    """One diagnosis: scans inputs and aggregates hits."""

    def __init__(self, kb: KnowledgeBase, lang: str, installed: Optional[Dict[str, str]] = None) -> None:
        self.kb = kb
        self.lang = lang
        self.aggs: Dict[Tuple[str, str], _Agg] = {}
        self.files: List[ScannedFile] = []
        self.notes: List[Finding] = []
        self.installed: Dict[str, str] = dict(installed or {})
        """Versions installed here (or in the job's interpreter, when given), asked once per run (see
        :mod:`mindpilot.validators.kb.installed`)."""

    def add(self, rule: KbRule, file: str, rank: Optional[int], line: int, text: str, matched: str,
            time: Optional[str], inferred: bool, groups: Optional[Dict[str, str]] = None) -> None:
        key = (file, rule.id)
        agg = self.aggs.get(key)
        if agg is None:
            agg = self.aggs[key] = _Agg(rule, file, rank, line, text, matched, time, inferred, groups)
            agg.order = self.kb.rule_order().get(rule.id, len(self.kb.rules))
            return
        if line - agg.line <= RAISE_REACH and _quotes_a_raise(agg.text) and not _quotes_a_raise(text):
            # The traceback quoted the ``raise`` that holds the message; the exception's own line follows.
            agg.line, agg.text, agg.matched, agg.groups = line, text, matched, groups
            if agg.rank is None:
                agg.rank = rank
            agg.last_line = line
            return  # one error, quoted twice: counted once
        if quiet_level(agg.text) and not quiet_level(text):
            # First logged as a warning (a retry, a fallback), then as an error: the error's line speaks for it.
            agg.line, agg.text, agg.matched, agg.groups = line, text, matched, groups
            agg.time, agg.time_inferred = time or agg.time, inferred if time else agg.time_inferred
        agg.count += 1
        agg.last_line = line

    def scan_stream(self, stream: BinaryIO, name: str, kind: str, rank: Optional[int]) -> None:
        scanner = Scanner(self.kb.matcher("log"), meta=RANK_IN_LOG)
        scanned = ScannedFile(file=name, kind=kind, rank=rank)
        pending: List[Tuple] = []
        if not isinstance(stream, _Capped):
            stream = _Capped(stream, MAX_STREAM_BYTES)
        try:
            for hit in scanner.scan(stream):
                pending.append((hit.hit.kb_rule, hit.line, hit.hit.text, hit.hit.matched, hit.time,
                                hit.time_inferred, hit.hit.groups))
        except OSError as exc:
            scanned.error = str(exc)
            self.notes.append(make_finding("diagnose.read_stopped", self.lang, file=name,
                                           bytes=scanner.bytes, error=exc.strerror or str(exc)))
        if stream.cut:
            scanned.error = f"stopped at {stream.limit} bytes (the bound for one input)"
            self.notes.append(make_finding("diagnose.read_stopped", self.lang, file=name, bytes=scanner.bytes,
                                           error=scanned.error))
        if rank is None and "rank" in scanner.meta:
            rank = int(scanner.meta["rank"])
        scanned.rank, scanned.bytes, scanned.lines = rank, scanner.bytes, scanner.lines
        scanned.truncated = scanner.truncated
        self.files.append(scanned)
        for rule, line, text, matched, time, inferred, groups in pending:
            # One file may hold every rank's output (torchrun, vLLM): the line's own prefix names its rank.
            line_rank_ = rank if rank is not None else line_rank(text)
            self.add(rule, name, line_rank_, line, text, matched, time, inferred, groups)

    def scan_log(self, path: Path, display: str) -> None:
        try:
            with open(path, "rb") as stream:
                limit = min(MAX_STREAM_BYTES, os.fstat(stream.fileno()).st_size + GROWTH_BYTES)
                self.scan_stream(_Capped(stream, limit), display, "log", rank_from_name(display))
        except OSError as exc:
            self._unreadable(display, exc)

    def scan_script(self, path: Path, display: str) -> None:
        try:
            with open(path, "rb") as stream:
                raw = stream.read(MAX_SCRIPT_BYTES)
        except OSError as exc:
            self._unreadable(display, exc)
            return
        lines = decode(raw).split("\n")
        self.files.append(ScannedFile(file=display, kind="script", bytes=len(raw), lines=len(lines)))
        logical, starts = _logical_lines(lines)
        for index, hit in scan_lines(self.kb.matcher("script"), logical):
            self.add(hit.kb_rule, display, None, starts[index - 1], hit.text, hit.matched, None, False, hit.groups)

    def _unreadable(self, display: str, exc: OSError) -> None:
        self.files.append(ScannedFile(file=display, error=exc.strerror or str(exc)))
        rule = "diagnose.file_vanished" if isinstance(exc, FileNotFoundError) else "diagnose.file_unreadable"
        self.notes.append(make_finding(rule, self.lang, file=display, error=exc.strerror or str(exc)))

    def report(self) -> DiagnoseReport:
        aggs = _without_explained_catch_alls(list(self.aggs.values()), self.kb.rules)
        root = _root(aggs)
        findings: List[Finding] = []
        ordered = sorted(aggs, key=lambda a: (a is not root, a.rule.consequence, a.rule.severity.rank, a.rule.generic,
                                              _time_order(a)))
        sure = root_confidence(root) if root is not None else None
        for agg in ordered:
            findings.append(rule_finding(
                agg.rule, self.lang, groups=self._groups_of(agg), file=agg.file, line=agg.line, rank=agg.rank, count=agg.count,
                matched=agg.matched, text=agg.text, time=agg.time, time_inferred=agg.time_inferred,
                last_line=agg.last_line, root_cause=agg is root, **({"confidence": sure} if agg is root else {})))
        root_cause = None
        if root is not None:
            root_cause = RootCause(rank=root.rank, rule=root.rule.id, file=root.file, line=root.line,
                                   title=findings[0].title, time=root.time, confidence=sure or CONFIDENT)
        elif aggs and all(a.rule.consequence for a in aggs if a.rule.severity is Severity.ERROR):
            if any(a.rule.consequence for a in aggs):
                self.notes.append(make_finding("diagnose.only_consequences", self.lang))
        return DiagnoseReport(findings=findings, root_cause=root_cause, consequences=self._groups(aggs),
                              files=self.files, notes=self.notes)

    def _groups_of(self, agg: _Agg) -> Optional[Dict[str, str]]:
        """What fills the rule's ``{name}`` placeholders: its match and facts, and versions installed here."""
        rule = agg.rule
        installed = installed_for((text.get(self.lang) for text in (rule.title, rule.cause, rule.fix)),
                                  self.installed, self.lang)
        return {**(agg.groups or {}), **installed} if installed else agg.groups

    def _groups(self, aggs: List[_Agg]) -> List[ConsequenceGroup]:
        groups: Dict[str, ConsequenceGroup] = {}
        for agg in sorted(aggs, key=_time_order):
            if not agg.rule.consequence:
                continue
            group = groups.get(agg.rule.id)
            if group is None:  # the earliest hit's words fill the title's {placeholders}
                group = groups[agg.rule.id] = ConsequenceGroup(
                    rule=agg.rule.id, title=filled_title(agg.rule.title.get(self.lang), self._groups_of(agg)))
            group.files += 1
            group.count += agg.count
            if agg.rank is not None and agg.rank not in group.ranks:
                group.ranks.append(agg.rank)
        for group in groups.values():
            group.ranks.sort()
        return list(groups.values())


def filled_title(title: str, groups: Optional[Dict[str, str]]) -> str:
    """A rule's title with its ``{name}`` placeholders filled from ``groups``; a name with no value is left out
    (with the space before it), never shown as braces."""
    if "{" not in title:
        return title
    values = groups or {}
    filled = PLACEHOLDER.sub(lambda found: values.get(found.group(1)) or "" if found.group(1) else found.group(0),
                             title)
    return re.sub(r" {2,}", " ", filled).strip()


RAISE_REACH = 6
"""Lines below a ``raise X("...")`` that a traceback quotes within which the same rule's hit on the exception's
own line (``X: ...``) becomes the finding's line: the key line is the exception, not the code that raised it."""


def _quotes_a_raise(text: str) -> bool:
    return key_text(text).startswith("raise ")


GENERIC_REACH = 30
"""Lines below a catch-all hit in which a specific rule of the same file still takes the root cause from it
(a traceback's last lines: the operator's generic message, then the exception that names the cause)."""


def _root(aggs: List[_Agg]) -> Optional[_Agg]:
    """The first failing rank's first real error; a rule that names a cause before a catch-all near it, or
    after it in the same process's log."""
    real = [a for a in aggs if a.rule.severity is Severity.ERROR and not a.rule.consequence]
    if not real:
        return None
    # A known error on a line logged at WARNING or below (a retry, a fallback the program took) comes after
    # one logged as an error, as in the live view; it is the root cause only when nothing louder failed.
    real = [a for a in real if not quiet_level(a.text)] or real
    root = min(real, key=_time_order)
    if not root.rule.generic:
        return root
    near = [a for a in real if not a.rule.generic and a.file == root.file
            and root.line - GENERIC_REACH <= a.line <= root.line + GENERIC_REACH]
    if near:
        return min(near, key=lambda a: (abs(a.line - root.line), a.line))
    # An uncaught exception ends its process: a known error further down the same process's log means the
    # catch-all's error was caught (an optional import, a retry), and the later one is what stopped it.
    later = [a for a in real if not a.rule.generic and a.file == root.file and a.rank == root.rank
             and a.line > root.line]
    return min(later, key=lambda a: a.line) if later else root


def root_confidence(root: _Agg) -> str:
    """:data:`~mindpilot.validators.kb.report.LIKELY` for a catch-all (a hand-written ``generic`` rule, a code of
    CANN's catalogue) and for a known error logged only as a warning (nothing louder failed); else
    :data:`~mindpilot.validators.kb.report.CONFIDENT`: the rule names the cause."""
    return LIKELY if root.rule.generic or quiet_level(root.text) else CONFIDENT


def _scan_input(run: _Run, kind: str, raw: str, stdin: Optional[BinaryIO]) -> Optional[str]:
    """Scan one input of ``kind`` into ``run``; why nothing of it could be read, or None."""
    before = len(run.files)
    if kind == "stdin":
        run.scan_stream(stdin if stdin is not None else sys.stdin.buffer, "-", "stdin", None)
        return None
    if kind == "log_dir":
        try:
            logs = _log_files(Path(raw))
        except OSError as exc:
            run._unreadable(raw, exc)
            return f"{raw}: {exc.strerror or exc}"
        if not logs:
            run.notes.append(make_finding("diagnose.empty_directory", run.lang, file=raw))
        for log in logs:
            run.scan_log(log, str(log))
    elif kind == "script":
        run.scan_script(Path(raw), raw)
    else:
        run.scan_log(Path(raw), raw)
    scanned = run.files[before:]
    if scanned and all(entry.error is not None and not entry.bytes for entry in scanned):
        return f"{raw}: {scanned[0].error}"
    return None


def _without_explained_catch_alls(aggs: List[_Agg], hand_rules: Dict[str, KbRule]) -> List[_Agg]:
    """``aggs`` less each hand-written catch-all whose every hit sits on a line a specific rule of the same
    file explains (one hit, on the specific hit's line): it would only repeat that line's finding in vaguer
    words. CANN's own catalogue text for a code stays: it is the installed CANN's word, shown beside ours."""
    specific = {(a.file, a.line) for a in aggs if not a.rule.generic}
    return [a for a in aggs if not (a.rule.generic and a.rule.id in hand_rules and a.count == 1
                                    and (a.file, a.line) in specific)]


def _time_order(agg: _Agg) -> Tuple:
    """Earliest first; hits without a time after those with one, then by rank and line; rules on one line in
    knowledge-base order (never in the order their literals happened to be found)."""
    return (agg.time is None, agg.time or "", agg.rank if agg.rank is not None else 1 << 30, agg.line, agg.order,
            agg.rule.id)


def diagnose_paths(paths: Sequence[str], lang: str = "en", stdin: Optional[BinaryIO] = None,
                   kb: Optional[KnowledgeBase] = None) -> DiagnoseReport:
    """Scan log files, msrun log directories, scripts, or ``-`` (standard input).

    Raises:
        DiagnoseInputError: no path exists, or none could be read (nothing could be diagnosed).
    """
    inputs: List[Tuple[str, str]] = []
    missing: List[str] = []
    for raw in paths:
        path = Path(raw)
        if raw == "-":
            inputs.append(("stdin", raw))
        elif path.is_dir():
            inputs.append(("log_dir", raw))
        elif path.is_file():
            inputs.append(("script" if _is_script(path) else "log", raw))
        elif path.exists():  # a FIFO, device or socket may never end: refuse it, stdin is for streams
            raise DiagnoseInputError(not_a_regular_file(raw))
        else:
            missing.append(raw)
    if missing and len(missing) == len(paths):
        raise DiagnoseInputError("no such file or directory: " + ", ".join(missing))
    return scan_inputs(inputs, lang, stdin, kb, missing)


def not_a_regular_file(raw: str) -> str:
    """Why a FIFO, device or socket is refused, and how to read a stream instead."""
    return (f"{raw}: not a regular file (a device, FIFO or socket); refused. To read a stream, pipe it in: "
            f"... | mindpilot diagnose -")


def scan_inputs(inputs: Sequence[Tuple[str, str]], lang: str = "en", stdin: Optional[BinaryIO] = None,
                kb: Optional[KnowledgeBase] = None, missing: Sequence[str] = (),
                installed: Optional[Dict[str, str]] = None) -> DiagnoseReport:
    """Scan inputs whose kind is already known: ``(kind, path)`` with kind ``log``, ``log_dir``, ``script``
    or ``stdin`` (the router, :mod:`mindpilot.launch.router`, classifies them once). ``missing``: paths
    given that do not exist (a note each). ``installed``: package versions for the texts' ``{installed_<name>}``
    read from the job's interpreter (:func:`mindpilot.validators.kb.installed.probed_versions`); names it
    lacks are read here.

    Raises:
        DiagnoseInputError: none of the inputs could be read (not a clean bill).
    """
    run = _Run(kb or load_kb_for_logs(), lang, installed)
    unread = [why for kind, raw in inputs for why in [_scan_input(run, kind, raw, stdin)] if why is not None]
    if unread and len(unread) == len(inputs):
        raise DiagnoseInputError("cannot read: " + "; ".join(unread + [f"{m}: no such file" for m in missing]))
    for raw in missing:
        run.notes.append(make_finding("diagnose.file_vanished", lang, file=raw, error="No such file or directory"))
    # Log lines come back in the root cause and findings: no token or URL password goes with them.
    return redact_model(run.report(), secret_values())
