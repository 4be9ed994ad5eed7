"""Stream a log through the matcher in big binary chunks: bounded memory, any bytes, any line length.

Logs run to gigabytes, hold invalid UTF-8, GBK, CRLF, colour codes and megabyte-long lines, and may be
truncated or deleted while we read them. We read 1 MB at a time, search the literals over the whole
chunk, and only decode and regex-match the lines that contain one. A line longer than the chunk is
scanned in pieces (with an overlap so a literal cut in two is still found).
"""

from __future__ import annotations

import re
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

from mindpilot.validators.kb.candidates import CandidateLines
from mindpilot.validators.kb.hits import KbHit
from mindpilot.validators.kb.matcher import Matcher, clean_line

CHUNK = 1 << 20
"""Bytes read per step: a megabyte keeps the buffers in memory the allocator reuses (bigger ones are
mapped afresh each time, and their page faults cost more than the per-chunk work saved)."""
HISTORY = 64 << 10
"""Bytes kept from before the chunk, for context patterns and for the time of un-stamped lines."""
OVERLAP = 4096
"""Bytes of a giant line carried into the next piece so literals cut at the boundary are found."""
MAX_TEXT = 600
"""Characters of a matched line kept for display."""

ANSI_BYTES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")

TIMESTAMP = re.compile(
    r"(?P<ms>\d{4}-\d{2}-\d{2}-\d{2}:\d{2}:\d{2}\.\d{3}(?:\.\d{3})?)"  # MindSpore / CANN / HCCL
    r"|(?P<mf>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,6})?)"  # MindFormers / Python logging
)


def decode(raw: bytes) -> str:
    """UTF-8 if valid, else GBK (Chinese Windows/older tools) if valid, else UTF-8 with replacements."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def normalise_time(text: str) -> Optional[str]:
    """The first log time stamp in ``text`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` (sortable), or None."""
    found = TIMESTAMP.search(text)
    if found is None:
        return None
    if found.group("ms"):
        value = found.group("ms")
        date, clock = value[:10], value[11:]
        parts = clock.split(".")
        return f"{date} {parts[0]}.{''.join(parts[1:]).ljust(6, '0')}"
    value = found.group("mf").replace("T", " ").replace(",", ".")
    if "." not in value:
        value += ".0"
    head, frac = value.split(".")
    return f"{head}.{frac.ljust(6, '0')}"


def last_time(block: bytes) -> Optional[str]:
    """The last time stamp in a block of log bytes (for a line that has none, e.g. a traceback)."""
    last = None
    for last in TIMESTAMP.finditer(decode(block)):
        pass
    return normalise_time(last.group(0)) if last is not None else None


class ScanHit:
    """A hit in a file: the matcher's hit plus where and when (``time`` only on a rule's first hit)."""

    __slots__ = ("hit", "line", "time", "time_inferred")

    def __init__(self, hit: KbHit, line: int, time: Optional[str], time_inferred: bool) -> None:
        self.hit = hit
        self.line = line
        self.time = time
        self.time_inferred = time_inferred


class Scanner:
    """Scan one binary stream; hits come out in file order, metadata (rank ids) in :attr:`meta`."""

    def __init__(self, matcher: Matcher, meta: Optional[Dict[str, "re.Pattern[str]"]] = None,
                 chunk: int = CHUNK) -> None:
        self.matcher = matcher
        self.meta_patterns = meta or {}
        self.meta: Dict[str, str] = {}
        self.chunk = chunk
        self.lines = 0
        self.bytes = 0
        self.truncated = False
        self._timed: set = set()
        self._reported: Dict[str, int] = {}
        self.candidates = CandidateLines(matcher)
        """The lines worth reading, and the shapes of lines known to match nothing."""

    def scan(self, stream: BinaryIO) -> Iterator[ScanHit]:
        """Yield hits; never holds more than about two chunks plus the history in memory."""
        history = b""
        carry = b""
        line_no = 1  # line number of carry[0]
        eof = False
        while not eof:
            # The last read let go before the next: the allocator reuses its memory (a third fewer page faults).
            data = None
            data = stream.read(self.chunk)
            self.bytes += len(data)
            eof = not data
            if data and b"\x1b" in data:
                data = ANSI_BYTES.sub(b"", data)
            buf = carry + data if carry else data
            if not buf:
                break
            if eof:
                end = len(buf)
                self.truncated = not buf.endswith(b"\n")
            else:
                end = buf.rfind(b"\n") + 1
                if end == 0:
                    if len(buf) < self.chunk:
                        carry = buf
                        continue
                    # A giant line: scan this piece, keep an overlap, stay on the same line number.
                    for item in self._scan_region(buf, history, len(buf), line_no, eof=False, defer=False):
                        yield item
                    keep = max(0, len(buf) - OVERLAP)
                    history = (history + buf[max(0, keep - HISTORY):keep])[-HISTORY:]
                    carry = buf[keep:]
                    continue
            region_end = end
            for item in self._scan_region(buf, history, end, line_no, eof, defer=len(buf) < 4 * self.chunk):
                if isinstance(item, int):  # this hit needs lines after it that are not read yet
                    region_end = item
                    break
                yield item
            counted_at, line_no = self.candidates.counted  # lines were counted up to the last one read
            line_no += buf.count(b"\n", counted_at, region_end)
            history = buf[region_end - HISTORY:region_end] if region_end >= HISTORY \
                else (history + buf[:region_end])[-HISTORY:]
            carry = buf[region_end:]
        self.lines = line_no - 1 + (1 if self.truncated else 0)

    def _scan_region(self, buf: bytes, history: bytes, end: int, first_line: int, eof: bool, defer: bool):
        """Hits in ``buf[:end]``; yields an int (a line's offset) to ask for more data before that line."""
        candidates = self.candidates
        for line_start, line_end, number, raw, shape in candidates.lines(buf, end, first_line):
            text = clean_line(decode(raw))
            meta_seen = self._read_meta(text)
            hits, incomplete = self._line_hits(text, buf, history, line_start, line_end, eof)
            if incomplete and defer and line_start > 0:
                yield line_start  # a hit needs lines after it that are not read yet
                return
            if not hits and shape is not None and not meta_seen:
                candidates.learn_quiet(raw, shape, text)
            for hit in hits:
                if self._reported.get(hit.rule) == number:
                    continue  # the same giant line seen again through the overlap
                self._reported[hit.rule] = number
                yield self._scan_hit(hit, number, text, lambda s=line_start: history + buf[max(0, s - HISTORY):s])

    def _line_hits(self, text: str, buf: bytes, history: bytes, line_start: int, line_end: int,
                   eof: bool) -> Tuple[List[KbHit], bool]:
        """The hits of the candidate line ``text`` (``buf[line_start:line_end]``), its context read around it in
        ``buf`` (and ``history`` before it), and whether a pattern asked for lines after it that ``buf`` lacks."""
        incomplete = []

        def before(n: int) -> str:
            return _lines_before(buf, history, line_start, n)

        def after(n: int) -> str:
            block, complete = _lines_after(buf, line_end, n)
            if not complete and not eof:
                incomplete.append(n)
            return block

        return self.matcher.match_candidate(text, before, after), bool(incomplete)

    def _read_meta(self, text: str) -> bool:
        """Note what the metadata patterns find in ``text`` (the rank id); whether any was there."""
        seen = False
        for name, regex in self.meta_patterns.items():
            found = regex.search(text)
            seen = seen or found is not None
            if found and name not in self.meta:
                self.meta[name] = found.group(1)
        return seen

    def _scan_hit(self, hit: KbHit, line: int, text: str, block_before) -> ScanHit:
        """The hit with its line, and its time when it is the rule's first (the root cause's time)."""
        time, inferred = None, False
        if hit.rule not in self._timed:
            self._timed.add(hit.rule)
            time = normalise_time(text[:200])
            if time is None:
                time = last_time(block_before())
                inferred = time is not None
        if len(hit.text) > MAX_TEXT:
            hit.text = _excerpt(hit.text, hit.matched)
        return ScanHit(hit, line, time, inferred)


def _lines_before(buf: bytes, history: bytes, line_start: int, n: int) -> str:
    begin = line_start
    for _ in range(n):
        if begin <= 0:
            break
        begin = buf.rfind(b"\n", 0, begin - 1) + 1
    block = buf[begin:line_start]
    if begin == 0 and history:
        block = b"\n".join(history.split(b"\n")[-(n - block.count(b"\n")) - 1:]) + block
    return clean_line(decode(block[-HISTORY:]))


def _lines_after(buf: bytes, line_end: int, n: int) -> Tuple[str, bool]:
    stop = line_end
    for _ in range(n):
        next_nl = buf.find(b"\n", stop + 1)
        if next_nl < 0:
            return clean_line(decode(buf[line_end:])), False
        stop = next_nl
    return clean_line(decode(buf[line_end:stop])), True


def _excerpt(text: str, matched: str) -> str:
    at = max(0, text.find(matched))
    begin = max(0, at - 150)
    return ("…" if begin else "") + text[begin:begin + MAX_TEXT] + ("…" if begin + MAX_TEXT < len(text) else "")


def scan_lines(matcher: Matcher, lines: List[str]) -> List[Tuple[int, KbHit]]:
    """Match a short list of text lines with full context (scripts, pasted reports, tests)."""
    out: List[Tuple[int, KbHit]] = []
    for index, line in enumerate(lines):
        if not matcher.may_match(line):
            continue
        hits = matcher.match_candidate(
            clean_line(line),
            lambda n, i=index: "\n".join(lines[max(0, i - n):i]),
            lambda n, i=index: "\n".join(lines[i + 1:i + 1 + n]))
        out.extend((index + 1, hit) for hit in hits)
    return out
