"""Follow every log of an msrun job at once and turn its lines into events.

``tail -f worker_0.log`` in a second terminal shows one rank of eight, and the real error hides in
another. :class:`LogFollower` follows ``scheduler.log`` and every ``worker_*.log`` in the log dir
(including files that appear later), survives truncation and rotation, holds partial last lines
until their newline arrives, decodes UTF-8 or GBK, and cuts very long lines. Each poll returns
:mod:`~mindpilot.launch.events`: lines, metrics, msrun status, findings (first failing rank) and hangs.

``follow_logs`` is the blocking iterator for the CLI; the TUI calls :meth:`LogFollower.poll` from a
worker thread or a timer. Memory stays flat: at most one read chunk per file is held at a time.
"""

from __future__ import annotations

import os
import re
import time
from bisect import bisect_right
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from mindpilot.launch.events import FileEvent, LineEvent, TailEvent
from mindpilot.launch.failures import FailureTracker, HangDetector, failure_literals
from mindpilot.launch.parse import PARSER_LITERALS, parse_metric, parse_status
from mindpilot.redact import redact_log_line, secret_marks

READ_CHUNK = 1 << 20
"""Bytes read from one file per read call."""
MAX_READ_PER_POLL = 2 << 20
"""Bytes read from one file per poll, so that one busy file does not starve the others."""
CONTEXT_LINES = 50
"""Lines kept per file as the "before" context of knowledge-base patterns (a traceback's frames)."""
MAX_LINE = 64 * 1024
"""Longer lines are cut here (the rest of the line is dropped, marked with an ellipsis)."""
_STAMP_STARTS = frozenset("[0123456789")
"""First characters of lines that may carry a time (MindSpore ``[LEVEL] ...time``, Python ``2026-...``)."""
MSRUN_STATUS = ("worker_started", "worker_failed", "killing_workers", "workers_done", "job_failed")
"""Status lines msrun itself prints (process_entity/_api.py); the rest of its console is worker logs."""
WORKER_LOG = re.compile(r"^(?:worker|[\w.-]+?)_(\d+)\.log$")
"""``worker_{rank}.log``, and ``<worker_log_name>_{rank}.log`` (msrun ≥ 2.5)."""
NODE_DIR = re.compile(r"^node(\d+)$")
"""A multi-node job keeps each node's logs in ``node<rank>/`` of its log folder."""


def decode_line(raw: bytes) -> str:
    """UTF-8, else GBK (Chinese Windows/Ascend tools), else UTF-8 with replacement characters."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("gbk")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace")


def classify(path: Path) -> Optional[tuple[str, Optional[int]]]:
    """``(source, rank)`` of a log file name, or None for files that are not msrun logs."""
    name = path.name
    if name == "scheduler.log":
        return "scheduler", None
    if name == "msrun.log":
        return "msrun", None
    found = WORKER_LOG.match(name)
    if found:
        return "worker", int(found.group(1))
    return None


class FileFollower:
    """One file followed like ``tail -F``: by name, across truncation and rotation."""

    def __init__(self, path: Path, source: str, rank: Optional[int], from_start: bool = True,
                 node: Optional[int] = None) -> None:
        self.path = path
        self.source = source
        self.rank = rank
        self.node = node
        """The node (multi-node jobs: from the ``node<rank>/`` folder); None on one node."""
        self._handle = None
        self._inode: Optional[int] = None
        self._buffer = b""
        self._overlong = False
        self.lineno = 0
        """Number of the last line returned (1-based; restarts after truncation or rotation)."""
        self.at_end = True
        """The last read reached the end of the file (False: more is waiting beyond the poll budget)."""
        self.idle_since = time.monotonic()
        self._open(from_start)

    def _open(self, from_start: bool) -> bool:
        try:
            handle = open(self.path, "rb")
        except OSError:
            return False
        if self._handle is not None:
            self._handle.close()
        self._handle = handle
        self._inode = os.fstat(handle.fileno()).st_ino
        if not from_start:
            handle.seek(0, os.SEEK_END)
        return True

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read(self, events: list[TailEvent], final: bool = False) -> list[tuple[int, bytes]]:
        """New complete lines as ``(line number, raw bytes)``; file events are appended to ``events``."""
        lines: list[tuple[int, bytes]] = []
        if self._handle is None:
            if not self._open(True):
                return lines
            events.append(FileEvent(file=str(self.path), what="opened", rank=self.rank))
        try:
            stat = os.stat(self.path)
        except OSError:
            stat = None  # being rotated: drain what the open handle still has
        if stat is not None and stat.st_ino != self._inode:
            while not self._drain(lines):
                pass
            self._flush_partial(lines)
            self._open(True)
            self.lineno = 0
            events.append(FileEvent(file=str(self.path), what="rotated", rank=self.rank))
        elif stat is not None and stat.st_size < self._handle.tell():
            self._handle.seek(0)
            self._buffer = b""
            self._overlong = False
            self.lineno = 0
            events.append(FileEvent(file=str(self.path), what="truncated", rank=self.rank))
        at_end = self.at_end = self._drain(lines)
        if final and at_end:
            self._flush_partial(lines)
        return lines

    def _drain(self, lines: list[tuple[int, bytes]]) -> bool:
        """Read up to the per-poll budget; True when the end of the file was reached."""
        budget = MAX_READ_PER_POLL
        while budget > 0:
            chunk = self._handle.read(min(READ_CHUNK, budget))
            if not chunk:
                return True
            budget -= len(chunk)
            self.idle_since = time.monotonic()
            self._split(chunk, lines)
        return False

    def _split(self, chunk: bytes, lines: list[tuple[int, bytes]]) -> None:
        parts = chunk.split(b"\n")
        if self._buffer:
            parts[0] = self._buffer + parts[0]
        self._buffer = parts.pop()
        if self._overlong and parts:
            # The first part ends a line already emitted cut: drop its tail.
            parts.pop(0)
            self._overlong = False
        number = self.lineno
        for part in parts:
            if len(part) > MAX_LINE:
                part = part[:MAX_LINE] + " …".encode()
            number += 1
            lines.append((number, part[:-1] if part.endswith(b"\r") else part))
        self.lineno = number
        if len(self._buffer) > MAX_LINE:
            if not self._overlong:
                self.lineno += 1
                lines.append((self.lineno, self._buffer[:MAX_LINE] + " …".encode()))
            self._overlong = True
            self._buffer = b""

    def _flush_partial(self, lines: list[tuple[int, bytes]]) -> None:
        if self._buffer and not self._overlong:
            self.lineno += 1
            lines.append((self.lineno, self._buffer))
        self._buffer = b""
        self._overlong = False


def _literal_finder(failures: FailureTracker) -> Any:
    """A compiled re2 alternation of every literal the parsers and rules need (None without re2)."""
    try:
        import re2
    except ImportError:
        return None
    # Secret marks too: a line that may hold a token is "interesting", and is masked before it is shown.
    literals = set(PARSER_LITERALS) | set(failure_literals()) | set(secret_marks(failures.secrets))
    matcher = failures.matcher
    literals |= set(getattr(matcher, "literals", ()) or ())
    if matcher is not None and not getattr(matcher, "literals", None):
        return None  # a matcher we cannot prefilter: check every line
    options = re2.Options()
    options.max_mem = 64 << 20
    alternation = "|".join(re.escape(literal) for literal in sorted(literals, key=len, reverse=True))
    return re2.compile(alternation.encode("utf-8"), options=options)


class LogFollower:
    """Every msrun log in one directory (plus extra files), polled without blocking."""

    def __init__(self, log_dir: Union[str, Path], extra_files: Iterable[Union[str, Path]] = (),
                 hang_after: Optional[float] = 600.0, kb: bool = True, lang: str = "en",
                 from_start: bool = True, lines: bool = True,
                 clock: Callable[[], float] = time.monotonic, secrets: Iterable[str] = ()) -> None:
        self.log_dir = Path(log_dir)
        self.extra = [Path(p) for p in extra_files]
        self.emit_lines = lines
        self.from_start = from_start
        self.followers: dict[Path, FileFollower] = {}
        self.failures = FailureTracker(lang=lang, use_kb=kb, secrets=secrets)
        self.hang = HangDetector(hang_after, clock) if hang_after else None
        self._last_scan = 0.0
        self.behind = False
        """More is waiting than one poll reads: poll again without sleeping."""
        self._clock = clock
        self._last_head: dict[Path, str] = {}
        self._recent: dict[Path, deque] = {}
        self._finder = _literal_finder(self.failures)

    def scan(self) -> list[TailEvent]:
        """Pick up log files that appeared since the last scan."""
        events: list[TailEvent] = []
        for path in sorted(self._log_files()):
            if path in self.followers or not path.is_file():
                continue
            kind = classify(path)
            if kind is None:
                continue
            in_node = NODE_DIR.match(path.parent.name) if path.parent != self.log_dir else None
            node = int(in_node.group(1)) if in_node else None
            self.followers[path] = FileFollower(path, kind[0], kind[1], self.from_start, node)
            events.append(FileEvent(file=str(path), what="opened", rank=kind[1]))
            if self.hang and kind[0] == "worker":
                self.hang.seen(kind[1])
        self._last_scan = self._clock()
        return events

    def _log_files(self) -> list[Path]:
        """The extra files, the ``*.log`` in the log folder and in its node folders (an unreadable one is skipped)."""
        candidates: list[Path] = list(self.extra)
        node_dirs: list[Path] = []
        try:
            with os.scandir(self.log_dir) as entries:
                for entry in entries:
                    if entry.name.endswith(".log"):
                        candidates.append(Path(entry.path))
                    elif NODE_DIR.match(entry.name) and entry.is_dir():
                        node_dirs.append(Path(entry.path))
        except OSError:
            pass
        for folder in node_dirs:
            try:
                with os.scandir(folder) as entries:
                    candidates += [Path(entry.path) for entry in entries if entry.name.endswith(".log")]
            except OSError:
                continue
        return candidates

    def poll(self, final: bool = False) -> list[TailEvent]:
        """Everything new since the last poll; ``final=True`` also flushes partial last lines."""
        events: list[TailEvent] = []
        if final or self._clock() - self._last_scan >= 0.5:
            events += self.scan()
        for path, follower in self.followers.items():
            batch = follower.read(events, final)
            if batch:
                self._batch(path, follower, batch, events)
        self.behind = any(not follower.at_end for follower in self.followers.values())
        if self.hang is not None and not final:
            hang = self.hang.check()
            if hang is not None:
                events.append(hang)
        return events

    def _batch(self, path: Path, follower: FileFollower, batch: list[tuple[int, bytes]],
               events: list[TailEvent]) -> None:
        """Lines of one file: every line becomes a LineEvent; only interesting ones are parsed further."""
        file, rank, source = str(path), follower.rank, follower.source
        interesting = self._interesting(batch)
        if self.hang is not None and source == "worker":
            self.hang.activity(rank)
        head = self._last_head.get(path)
        recent = self._recent.get(path)
        if recent is None:
            recent = self._recent[path] = deque(maxlen=CONTEXT_LINES)
        for index, (number, raw) in enumerate(batch):
            text = decode_line(raw)
            if source == "msrun":
                # msrun's console repeats every worker log (tail -f under --join=True): keep its own lines.
                if interesting is None or index in interesting:
                    self._msrun_line(file, text, events)
                continue
            if text[:1] in _STAMP_STARTS:  # parsed only when an error needs its time (FailureTracker)
                head = text[:80]
            if self.emit_lines:
                plain = interesting is not None and index not in interesting  # no secret mark in it
                shown = text if plain else redact_log_line(text, self.failures.secrets)
                events.append(LineEvent(source=source, rank=rank, text=shown, file=file, node=follower.node))
            if interesting is None or index in interesting:
                self._parse(file, follower, number, text, head, events, recent)
            recent.append(text)
        if head is not None:
            self._last_head[path] = head

    def _interesting(self, batch: list[tuple[int, bytes]]) -> Optional[set[int]]:
        """Indexes of lines holding any literal that some parser or rule needs; None: all lines.

        One re2 pass over the joined batch (well under 1 us a line) replaces a dozen substring tests
        and the knowledge base's per-line prefilter (~15 us a line) on the uninteresting majority.
        """
        if self._finder is None:
            return None
        blob = b"\n".join(raw for _, raw in batch)
        starts, offset = [], 0
        for _, raw in batch:
            starts.append(offset)
            offset += len(raw) + 1
        found: set[int] = set()
        size = len(blob)
        match = self._finder.search(blob, 0, size)
        while match is not None:
            index = bisect_right(starts, match.start()) - 1
            found.add(index)
            following = starts[index + 1] if index + 1 < len(starts) else size
            match = self._finder.search(blob, following, size) if following < size else None
        return found

    def _msrun_line(self, file: str, text: str, events: list[TailEvent]) -> None:
        status = parse_status(text, "msrun")
        if status is not None and status.what in MSRUN_STATUS:
            if self.emit_lines:
                events.append(LineEvent(source="msrun", rank=status.rank, text=text, file=file))
            events.append(status)

    def _parse(self, file: str, follower: FileFollower, number: int, text: str, head: Optional[str],
               events: list[TailEvent], recent: "deque[str]") -> None:
        rank, source = follower.rank, follower.source
        metric = parse_metric(text, rank) if source == "worker" else None
        if metric is not None:
            metric.node = follower.node
            events.append(metric)
            if self.hang is not None:
                self.hang.progress(rank, metric.step)
            return
        status = parse_status(text, source, rank)
        if status is not None:
            events.append(status)
        events += self.failures.feed(text, rank, source, file, head, number, before=recent)

    def drain(self) -> list[TailEvent]:
        """Everything left, partial last lines included (for a job that has ended)."""
        events = self.poll(final=True)
        while self.behind:
            events += self.poll(final=True)
        return events

    def close(self) -> None:
        for follower in self.followers.values():
            follower.close()


def follow_logs(log_dir: Union[str, Path], *, extra_files: Iterable[Union[str, Path]] = (),
                stop: Optional[Callable[[], bool]] = None, poll_interval: float = 0.05,
                hang_after: Optional[float] = 600.0, kb: bool = True, lang: str = "en",
                from_start: bool = True, lines: bool = True,
                idle_timeout: Optional[float] = None) -> Iterator[TailEvent]:
    """Yield events from the logs in ``log_dir`` until ``stop()`` is true (then a final drain).

    Without ``stop`` it follows forever (or until ``idle_timeout`` seconds pass with no new event).
    """
    follower = LogFollower(log_dir, extra_files, hang_after=hang_after, kb=kb, lang=lang,
                           from_start=from_start, lines=lines)
    last_event = time.monotonic()
    try:
        while True:
            if stop is not None and stop():
                yield from follower.drain()
                return
            events = follower.poll()
            if events:
                last_event = time.monotonic()
                yield from events
            if idle_timeout is not None and time.monotonic() - last_event > idle_timeout:
                yield from follower.drain()
                return
            if not events and not follower.behind:
                time.sleep(poll_interval)
    finally:
        follower.close()
