"""Which lines of a chunk the scan must read: those holding a rule's literal, less those known to match nothing.

Start-up logs repeat lines that hold a literal by the hundred thousand ("Topology build timed out.,
retry(7/1200)", the allocator's INFO "Memory not enough") with only their digits changing. After such a line
matched nothing, its shape (digits made 0) is remembered when no line of that shape can match, or its shape
and the text after the literals whose rules read digits (``retry(7/1200)``): the next such line is passed over
without being decoded or matched.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from mindpilot.validators.kb.matcher import DIGITS_TO_ZERO, MAX_SHAPE, Matcher

MAX_QUIET_SHAPES = 4096
"""Line shapes (digits made 0) known to match nothing, remembered per scan."""
MAX_QUIET_TAILS = 65536
"""Lines known to match nothing by shape and tail (``retry(n/1200)`` counts up to 1200 per rank)."""

SAMPLE = 1024
"""Lines passed over that are counted before choosing a literal to find with ``bytes.find`` ..."""
FREQUENT = 8
"""... held, as their only literal, by all but one in this many of them. The search restarts at every line it
returns (microseconds: start-up retries repeat by the hundred thousand); ``bytes.find`` for one literal costs a
fraction of that, and the search for the others then runs through the chunk at once."""

Candidate = Tuple[int, int, int, bytes, Optional[bytes]]
"""A line to read: its start and end offsets, its number, its bytes and its shape (None when too long)."""


class CandidateLines:
    """The lines of a stream's chunks that may match, and what was learnt about lines that did not."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.quiet: Set[bytes] = set()
        """Shapes of lines that hold a literal but match no rule (INFO lines of the allocator ...)."""
        self.tails: Dict[bytes, Tuple[List[bytes], Set[bytes]]] = {}
        """Per line shape: the literals after which digits decide a match (see ``Matcher.digit_tails``), and the
        texts after them of lines of that shape that matched nothing."""
        self.quiet_tails = 0
        """How many such texts are remembered."""
        self.counted: Tuple[int, int] = (0, 1)
        """The offset of the last line :meth:`lines` gave and its number (where counting lines goes on)."""
        self._sample: Optional[Dict[Optional[bytes], int]] = {} if matcher.engine == "re2" else None
        """Of the first lines passed over: how many held each literal as their only one (None: more than one)."""
        self._sampled: Dict[bytes, List[bytes]] = {}
        self._frequent: Optional[bytes] = None
        """The one literal most lines passed over hold: found by ``bytes.find``, the others by the search."""
        self._rest: Any = None

    def learn_quiet(self, raw: bytes, shape: bytes, text: str) -> None:
        """After a line matched nothing: remember its shape, or its shape and tails, as matching nothing."""
        if len(self.quiet) >= MAX_QUIET_SHAPES:
            return
        if self.matcher.no_hit_holds_for_shape(text):
            self.quiet.add(shape)
            return
        known = self.tails.get(shape)
        if known is None:
            tails = self.matcher.digit_tails(text)
            if tails is None:
                return
            known = self.tails[shape] = (tails, set())
        if self.quiet_tails < MAX_QUIET_TAILS:
            key = _tail_key(raw, known[0])
            if key not in known[1]:
                known[1].add(key)
                self.quiet_tails += 1

    def lines(self, buf: bytes, end: int, first_line: int) -> Iterator[Candidate]:
        """The lines of ``buf[:end]`` holding a literal and not known to match nothing, in order (``first_line``:
        the number of its first line). What the reader learns about a line (:meth:`learn_quiet`) already counts
        for the lines after it."""
        next_at = self._finder(buf, end)
        rfind, find = buf.rfind, buf.find
        quiet, tails = self.quiet, self.tails
        counted_at, number, pos = 0, first_line, 0
        self.counted = (0, first_line)
        while True:
            at = next_at(pos)
            if at is None:
                return
            line_start = rfind(b"\n", 0, at) + 1
            line_end = find(b"\n", at, end)
            if line_end < 0:
                line_end = end
            pos = line_end + 1
            raw = buf[line_start:line_end]
            shape = raw.translate(DIGITS_TO_ZERO) if len(raw) <= MAX_SHAPE else None
            # Known to match nothing: by its shape, or by its shape and the text after the literals whose rules
            # read digits (``retry(7/1200)``).
            known = tails.get(shape) if shape is not None else None
            if shape is not None and (shape in quiet or (known is not None and _tail_key(raw, known[0]) in known[1])):
                if self._sample is not None and self._note(shape, raw):
                    next_at = self._finder(buf, end)
                continue
            number += buf.count(b"\n", counted_at, line_start)
            counted_at = line_start
            self.counted = (counted_at, number)
            yield line_start, line_end, number, raw, shape


    def _note(self, shape: bytes, raw: bytes) -> bool:
        """Count a line passed over; after :data:`SAMPLE` of them, when nearly all held one and the same literal
        and no other, find that literal with ``bytes.find`` from now on. Whether it was chosen now."""
        assert self._sample is not None
        literals = self._sampled.get(shape)
        if literals is None:  # lines passed over repeat their shape: their literals are listed once per shape
            literals = self._sampled[shape] = self.matcher.literals_in(raw)
        only = literals[0] if len(literals) == 1 else None
        self._sample[only] = self._sample.get(only, 0) + 1
        if sum(self._sample.values()) < SAMPLE:
            return False
        literal, count = max(self._sample.items(), key=lambda item: item[1])
        self._sample, self._sampled = None, {}
        if literal is None or count * FREQUENT < SAMPLE * (FREQUENT - 1):
            return False
        self._frequent, self._rest = literal, self.matcher.finder_without(literal)
        return True

    def _finder(self, buf: bytes, end: int) -> Callable[[int], Optional[int]]:
        """For ``pos``, an offset in the first line of ``buf[pos:end]`` holding a literal: the matcher's search, or,
        once a frequent literal is chosen, ``bytes.find`` for it and the search for the others (asked again only
        once ``pos`` passes its last answer: one search per chunk when the others are rare)."""
        if self._frequent is None:
            return self.matcher.chunk_finder(buf, 0, end)
        literal, find = self._frequent, buf.find
        rest = self._rest.in_lines(buf, end) if self._rest is not None else None
        head: List[Optional[int]] = [-1 if rest is not None else None]  # -1: not asked yet; None: no more

        def next_found(pos: int) -> Optional[int]:
            other = head[0]
            if rest is not None and other is not None and other < pos:
                other = head[0] = rest(pos)
            at = find(literal, pos, end)
            if at < 0:
                return other
            return at if other is None or at < other else other

        return next_found


def _tail_key(raw: bytes, tails: List[bytes]) -> bytes:
    """The exact text after each of ``tails`` in the line (what decides those rules)."""
    if len(tails) == 1:
        at = raw.find(tails[0])
        return raw[at:] if at >= 0 else b""
    return b"\0".join(raw[at:] if at >= 0 else b"" for at in map(raw.find, tails))
