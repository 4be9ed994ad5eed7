"""The lines of a log read again when no rule knew its error: the region (a big log's tail, a paste as it was
read) and, in it, the lines that hold a word of failure, once per line shape.

:mod:`mindpilot.launch.postmortem` feeds these lines to the live view's recognition to name the likeliest key
line. A log of benign start-up WARNINGs holds such words on every other line, so a region is read line by line
only while they are few, then by shape: split and masked whole, only its distinct shapes searched.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, List, Optional, Tuple

from mindpilot.launch.failures import failure_literals
from mindpilot.validators.kb.bytesearch import any_of, offsets
from mindpilot.validators.kb.matcher import DIGITS_TO_ZERO
from mindpilot.validators.kb.scan import decode

_DIGITS_TO_ZERO_TEXT = str.maketrans("123456789", "000000000")
MAX_QUIET = 65536
"""Line shapes (digits made 0) remembered per file: a line of a shape already read is not read again."""
STAMP_LOOKBACK = 50
"""Lines looked back from an error line for the time stamp it belongs to."""
FALLBACK_MAX_BYTES = 32 << 20
"""Logs larger than this are read again for an unknown error only in their last bytes (the knowledge-base
scan reads them all)."""
FALLBACK_TAIL_BYTES = 16 << 20
"""How much of the end of a big log is read again for an unknown error."""


@lru_cache(maxsize=1)
def failure_finders() -> Tuple[Any, Any]:
    """Searches for the live view's failure literals over bytes: as written, and with their digits made 0 (for
    line shapes); compiled once."""
    literals = failure_literals()
    return any_of(literals), any_of(sorted({literal.translate(_DIGITS_TO_ZERO_TEXT) for literal in literals}))


_kept = threading.local()
"""Inside :func:`regions_kept`: the last region read (``key``, ``region``), for this thread."""


@contextmanager
def regions_kept() -> Iterator[None]:
    """While inside, :func:`read_region` reads a file's region once: the steps after a scan (the live view's
    replay, the catch-alls, a framework defect, version pairs ...) each read the same tail of the same log again.
    Only the last region is kept (a directory of logs is read one file after another)."""
    outer = getattr(_kept, "last", None)
    _kept.last = outer if outer is not None else {}
    try:
        yield
    finally:
        _kept.last = outer


def read_region(scanned: Any, pasted: Optional[bytes]) -> Optional[Tuple[bytes, int]]:
    """The bytes to read again and the number of their first line: a big log's last
    :data:`FALLBACK_TAIL_BYTES` (where a failed job's error is), a paste as it was read."""
    if scanned.kind == "stdin":
        return (pasted, 1) if pasted is not None else None
    path = Path(scanned.file)
    if scanned.kind != "log" or not path.is_file():
        return None
    last = getattr(_kept, "last", None)
    if last is None:
        return _read_region(path, scanned)
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns, scanned.bytes, scanned.lines)
    if key not in last:
        last.clear()
        last[key] = _read_region(path, scanned)
    return last[key]


def _read_region(path: Path, scanned: Any) -> Optional[Tuple[bytes, int]]:
    try:
        with open(path, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            if size <= FALLBACK_MAX_BYTES:
                return raw.read(FALLBACK_MAX_BYTES), 1
            around = size - FALLBACK_TAIL_BYTES
            if scanned.error is None and scanned.bytes == size:
                # The scan counted the file's lines: the tail's first line number follows from the tail alone.
                raw.seek(around)
                raw.readline()  # the line cut at the start of the tail: skipped whole
                tail = raw.read(FALLBACK_TAIL_BYTES)
                newlines = scanned.lines - (1 if scanned.truncated else 0)
                return tail, newlines - tail.count(b"\n") + 1
            lines, done = 1, 0
            while done < around:
                block = raw.read(min(8 << 20, around - done))
                if not block:
                    return None
                lines += block.count(b"\n")
                done += len(block)
            cut = raw.readline()  # the line cut at the start of the tail: skipped whole
            return raw.read(FALLBACK_TAIL_BYTES), lines + (1 if cut.endswith(b"\n") else 0)
    except OSError:
        return None


LINE_BY_LINE = 2048
"""Lines holding a fallback literal read one by one before the rest of a region is read by shape."""


def candidate_lines(region: Tuple[bytes, int], finder: Any,
                     masked_finder: Any = None) -> Iterator[Tuple[int, str, Optional[str]]]:
    """(line number, text, the time-stamped line at or before it) of each line holding a fallback literal,
    once per shape (digits made 0, with the first bytes of a line that starts with ``[`` or ``(``, where a rank
    prefix sits): start-up retries repeat by the thousand.

    A region with few such lines is searched line by line; once :data:`LINE_BY_LINE` were read (a log of
    benign WARNINGs that hold a word of failure), the rest is read by shape (:func:`_by_shape`)."""
    data, first = region
    seen: set = set()
    rest = yield from _line_by_line(data, first, finder, seen)
    while rest is not None:
        offset, number = rest
        end = _block_end(data, offset)
        newlines = yield from _by_shape(data, offset, end, number, finder, masked_finder, seen)
        rest = (end, number + newlines) if end < len(data) else None


BY_SHAPE_BLOCK = 1 << 20
"""Bytes split and masked at a time: a block of short lines makes as many small objects as it has lines."""


def _block_end(data: bytes, offset: int) -> int:
    """Where the block that starts at ``offset`` ends: after the first newline past :data:`BY_SHAPE_BLOCK`
    bytes, or at the end of ``data``."""
    end = offset + BY_SHAPE_BLOCK
    if end >= len(data):
        return len(data)
    cut = data.find(b"\n", end)
    return len(data) if cut < 0 else cut + 1


def _shape_key(shape: bytes, raw: bytes) -> bytes:
    return shape + raw[:12] if raw[:1] in (b"[", b"(") else shape


def _line_by_line(data: bytes, line: int, finder: Any, seen: set):
    """:func:`candidate_lines` line by line; returns (offset, line number) of the line it stopped before
    after :data:`LINE_BY_LINE` lines, or None at the end."""
    counted = pos = visited = 0
    next_at = offsets(finder, data, len(data))
    while pos < len(data):
        at = next_at(pos)
        if at is None:
            return None
        start = data.rfind(b"\n", 0, at) + 1
        line += data.count(b"\n", counted, start)
        if visited == LINE_BY_LINE:
            return start, line
        visited += 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        counted, pos = start, end + 1
        raw = data[start:end].rstrip(b"\r")
        key = _shape_key(raw.translate(DIGITS_TO_ZERO), raw)
        if key in seen:
            continue
        if len(seen) < MAX_QUIET:
            seen.add(key)
        yield line, decode(raw), _stamp_before(_lines_back(data, start))
    return None


def _lines_back(data: bytes, start: int) -> Iterator[bytes]:
    """The line starting at ``start``, then each line before it, back to the start of ``data``."""
    while True:
        end = data.find(b"\n", start)
        yield data[start:end if end >= 0 else len(data)]
        if start == 0:
            return
        start = data.rfind(b"\n", 0, start - 1) + 1


def _by_shape(data: bytes, start: int, end: int, first: int, finder: Any, masked_finder: Any,
              seen: set) -> Generator[Tuple[int, str, Optional[str]], None, int]:
    """:func:`candidate_lines` by shape in ``data[start:end]`` (whole lines; ``first``: the number of its first
    line): split and masked whole (C loops), only its distinct shapes searched (with ``masked_finder``, the
    literals with their digits made 0); lines are visited one by one only for shapes whose first bytes hold
    digits (a rank prefix). Returns the block's count of newlines (the split has counted them)."""
    block = data[start:end]
    shapes = block.translate(DIGITS_TO_ZERO).split(b"\n")
    starts = list(accumulate(map((1).__add__, map(len, shapes)), initial=0))  # masking keeps every length
    earlier = _lines_back(data, data.rfind(b"\n", 0, start - 1) + 1) if start > 0 else iter(())

    def raw(index: int) -> bytes:
        return block[starts[index]:starts[index + 1] - 1].rstrip(b"\r")

    chosen: List[int] = []
    per_line: set = set()
    """Shapes whose lines differ where the shape does not say (a rank prefix), or whose first line held a
    literal only once its digits were made 0: read line by line."""
    search = (masked_finder or finder).search
    for shape, index in dict(zip(reversed(shapes), range(len(shapes) - 1, -1, -1))).items():  # first lines
        if not search(shape):
            continue
        if (shape[:1] in (b"[", b"(") and b"0" in shape[:12]) or finder.search(raw(index)) is None:
            per_line.add(shape)
        elif _shape_key(shape.rstrip(b"\r"), raw(index)) not in seen:
            if len(seen) < MAX_QUIET:
                seen.add(_shape_key(shape.rstrip(b"\r"), raw(index)))
            chosen.append(index)
    if per_line:
        chosen += _first_of_each_key(shapes, per_line, raw, finder, seen)
    earlier_lines = list(islice(earlier, STAMP_LOOKBACK)) if chosen and min(chosen) < STAMP_LOOKBACK else []
    for index in sorted(chosen):
        back = chain((raw(at) for at in range(index, -1, -1)), earlier_lines)
        yield first + index, decode(raw(index)), _stamp_before(back)
    return len(shapes) - 1


def _first_of_each_key(shapes: List[bytes], wanted: set, raw: Callable[[int], bytes], finder: Any,
                       seen: set) -> List[int]:
    """The index of the first line of each key (:func:`_shape_key`) among the lines whose shape is ``wanted``
    that holds a literal and is not ``seen`` yet."""
    chosen = []
    for index, shape in enumerate(shapes):
        if shape not in wanted:
            continue
        line = raw(index)
        key = _shape_key(shape.rstrip(b"\r"), line)
        if key in seen or finder.search(line) is None:
            continue
        if len(seen) < MAX_QUIET:
            seen.add(key)
        chosen.append(index)
    return chosen


def _stamp_before(lines: Iterator[bytes]) -> Optional[str]:
    """The head of the nearest of ``lines`` (a line, then the lines before it) that may carry a time (a
    traceback line has none), within :data:`STAMP_LOOKBACK` lines."""
    for _, line in zip(range(STAMP_LOOKBACK), lines):
        if line[:1].isdigit() or line[:1] == b"[":
            return decode(line[:64])
    return None
