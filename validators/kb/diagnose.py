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
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Tuple

from pydantic import BaseModel, Field

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.kb.knowledge import KnowledgeBase, load_kb
from mindpilot.validators.kb.matcher import rule_finding
from mindpilot.validators.kb.model import KbRule
from mindpilot.validators.kb.scan import Scanner, decode, scan_lines
from mindpilot.validators.redact import redact_model, secret_values

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


class RootCause(BaseModel):
    """The first failing rank's first error that is not a consequence of another failure."""

    rank: Optional[int] = None
    """Rank of the failing process (from ``worker_N.log`` or the log's rank id); None if unknown."""
    rule: str
    """Knowledge-base rule id."""
    file: str
    """File holding the error."""
    line: int
    """1-based line of the error."""
    title: str = ""
    """The rule's title in the report's language."""
    time: Optional[str] = None
    """Time stamp of the error (``YYYY-MM-DD HH:MM:SS.ffffff``) when the log has one."""


class ConsequenceGroup(BaseModel):
    """One follow-on error (timeouts, job exited) summed over every file it appears in."""

    rule: str
    """Knowledge-base rule id."""
    title: str
    """The rule's title."""
    ranks: List[int] = Field(default_factory=list)
    """Ranks that reported it."""
    files: int = 0
    """Number of files it appears in."""
    count: int = 0
    """Total matching lines."""


class ScannedFile(BaseModel):
    """What was read: for the report's footer and the JSON document."""

    file: str
    """Path as given (or ``-`` for standard input)."""
    kind: str = "log"
    """``log``, ``script`` or ``stdin``."""
    rank: Optional[int] = None
    """Rank of the file, when known."""
    bytes: int = 0
    """Bytes read."""
    lines: int = 0
    """Lines read."""
    truncated: bool = False
    """The file ends in the middle of a line (still being written, or cut)."""
    error: Optional[str] = None
    """Why reading stopped early, if it did."""


class DiagnoseReport(BaseModel):
    """Everything ``mindpilot diagnose`` says about some logs."""

    findings: List[Finding] = Field(default_factory=list)
    """One finding per (file, rule), first occurrence, with ``count``, ``rank``, ``time``, ``matched``."""
    root_cause: Optional[RootCause] = None
    """The first failing rank's first real error, when there is one."""
    consequences: List[ConsequenceGroup] = Field(default_factory=list)
    """Follow-on errors grouped by rule."""
    files: List[ScannedFile] = Field(default_factory=list)
    """What was read."""
    notes: List[Finding] = Field(default_factory=list)
    """Problems reading the input (a vanished file, an unreadable path)."""

    def to_dict(self) -> Dict[str, Any]:
        """The JSON document of ``diagnose --json``."""
        return {
            "findings": [finding.to_dict() for finding in self.findings],
            "root_cause": self.root_cause.model_dump(mode="json") if self.root_cause else None,
            "consequences": [group.model_dump(mode="json") for group in self.consequences],
            "files": [scanned.model_dump(mode="json") for scanned in self.files],
            "notes": [note.to_dict() for note in self.notes],
        }


class _Agg:
    """First hit of one rule in one file, and how often it repeats."""

    __slots__ = ("rule", "file", "rank", "line", "text", "matched", "time", "time_inferred", "count", "last_line")

    def __init__(self, rule: KbRule, file: str, rank: Optional[int], line: int, text: str, matched: str,
                 time: Optional[str], time_inferred: bool) -> None:
        self.rule, self.file, self.rank, self.line = rule, file, rank, line
        self.text, self.matched, self.time, self.time_inferred = text, matched, time, time_inferred
        self.count = 1
        self.last_line = line


def rank_from_name(path: str) -> Optional[int]:
    """``worker_3.log`` -> 3; ``rank_5/...`` -> 5; None otherwise."""
    found = None
    for found in RANK_IN_NAME.finditer(path):
        pass
    return int(found.group(1)) if found else None


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

    def __init__(self, kb: KnowledgeBase, lang: str) -> None:
        self.kb = kb
        self.lang = lang
        self.aggs: Dict[Tuple[str, str], _Agg] = {}
        self.files: List[ScannedFile] = []
        self.notes: List[Finding] = []

    def add(self, rule: KbRule, file: str, rank: Optional[int], line: int, text: str, matched: str,
            time: Optional[str], inferred: bool) -> None:
        key = (file, rule.id)
        agg = self.aggs.get(key)
        if agg is None:
            self.aggs[key] = _Agg(rule, file, rank, line, text, matched, time, inferred)
        else:
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
                                hit.time_inferred))
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
        for rule, line, text, matched, time, inferred in pending:
            self.add(rule, name, rank, line, text, matched, time, inferred)

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
            self.add(hit.kb_rule, display, None, starts[index - 1], hit.text, hit.matched, None, False)

    def _unreadable(self, display: str, exc: OSError) -> None:
        self.files.append(ScannedFile(file=display, error=exc.strerror or str(exc)))
        rule = "diagnose.file_vanished" if isinstance(exc, FileNotFoundError) else "diagnose.file_unreadable"
        self.notes.append(make_finding(rule, self.lang, file=display, error=exc.strerror or str(exc)))

    def report(self) -> DiagnoseReport:
        aggs = list(self.aggs.values())
        real = [a for a in aggs if a.rule.severity is Severity.ERROR and not a.rule.consequence]
        root = min(real, key=_time_order) if real else None
        findings: List[Finding] = []
        ordered = sorted(aggs, key=lambda a: (a is not root, a.rule.consequence, a.rule.severity.rank,
                                              _time_order(a)))
        for agg in ordered:
            findings.append(rule_finding(
                agg.rule, self.lang, file=agg.file, line=agg.line, rank=agg.rank, count=agg.count,
                matched=agg.matched, text=agg.text, time=agg.time, time_inferred=agg.time_inferred,
                last_line=agg.last_line, root_cause=agg is root))
        root_cause = None
        if root is not None:
            root_cause = RootCause(rank=root.rank, rule=root.rule.id, file=root.file, line=root.line,
                                   title=root.rule.title.get(self.lang), time=root.time)
        elif aggs and all(a.rule.consequence for a in aggs if a.rule.severity is Severity.ERROR):
            if any(a.rule.consequence for a in aggs):
                self.notes.append(make_finding("diagnose.only_consequences", self.lang))
        return DiagnoseReport(findings=findings, root_cause=root_cause, consequences=self._groups(aggs),
                              files=self.files, notes=self.notes)

    def _groups(self, aggs: List[_Agg]) -> List[ConsequenceGroup]:
        groups: Dict[str, ConsequenceGroup] = {}
        for agg in sorted(aggs, key=_time_order):
            if not agg.rule.consequence:
                continue
            group = groups.setdefault(agg.rule.id, ConsequenceGroup(rule=agg.rule.id,
                                                                    title=agg.rule.title.get(self.lang)))
            group.files += 1
            group.count += agg.count
            if agg.rank is not None and agg.rank not in group.ranks:
                group.ranks.append(agg.rank)
        for group in groups.values():
            group.ranks.sort()
        return list(groups.values())


def _time_order(agg: _Agg) -> Tuple:
    """Earliest first; hits without a time after those with one, then by rank and line."""
    return (agg.time is None, agg.time or "", agg.rank if agg.rank is not None else 1 << 30, agg.line)


def diagnose_paths(paths: Sequence[str], lang: str = "en", stdin: Optional[BinaryIO] = None,
                   kb: Optional[KnowledgeBase] = None) -> DiagnoseReport:
    """Scan log files, msrun log directories, scripts, or ``-`` (standard input).

    Raises:
        DiagnoseInputError: no path exists at all (nothing could be diagnosed).
    """
    run = _Run(kb or load_kb(), lang)
    missing: List[str] = []
    unread: List[str] = []
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            run.scan_stream(stream, "-", "stdin", None)
            continue
        path = Path(raw)
        before = len(run.files)
        if path.is_dir():
            try:
                logs = _log_files(path)
            except OSError as exc:
                run._unreadable(raw, exc)
                unread.append(f"{raw}: {exc.strerror or exc}")
                continue
            if not logs:
                run.notes.append(make_finding("diagnose.empty_directory", lang, file=raw))
            for log in logs:
                run.scan_log(log, str(log))
        elif path.is_file():
            if _is_script(path):
                run.scan_script(path, raw)
            else:
                run.scan_log(path, raw)
        elif path.exists():  # a FIFO, device or socket may never end: refuse it, stdin is for streams
            raise DiagnoseInputError(f"{raw}: not a regular file (a device, FIFO or socket); refused. To read a "
                                     f"stream, pipe it in: ... | mindpilot diagnose -")
        else:
            missing.append(raw)
            continue
        scanned = run.files[before:]
        if scanned and all(entry.error is not None and not entry.bytes for entry in scanned):
            unread.append(f"{raw}: {scanned[0].error}")
    if missing and len(missing) == len(paths):
        raise DiagnoseInputError("no such file or directory: " + ", ".join(missing))
    if unread and len(unread) + len(missing) == len(paths):  # nothing at all could be read: not a clean bill
        raise DiagnoseInputError("cannot read: " + "; ".join(unread + [f"{m}: no such file" for m in missing]))
    for raw in missing:
        run.notes.append(make_finding("diagnose.file_vanished", lang, file=raw, error="No such file or directory"))
    # Log lines come back in the root cause and findings: no token or URL password goes with them.
    return redact_model(run.report(), secret_values())
