"""Searches over a log's raw bytes that only ask where a match is, as fast as google-re2 allows.

Whole files are read in byte chunks (:mod:`mindpilot.validators.kb.scan`, :mod:`mindpilot.launch.failure_lines`);
finding the next line worth reading must cost about what grep costs. google-re2's Python wrapper adds a
constant cost per call that is larger than the search itself on a byte string, so these call its compiled
regexp directly where the pinned version allows and fall back to the public API (or to None, for callers
that then use ``bytes.find``) elsewhere.
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Optional

MAX_MEM = 64 << 20
"""google-re2's memory budget per search. Its automaton for the knowledge base's literals needs a share of it
that grows faster than their count; past it, google-re2 says "DFA out of memory" on stderr and falls back to a
search a hundred times slower (a test keeps the shipped literals within half of it)."""

try:
    import re2 as _re2  # google-re2: linear-time DFA, wheels for aarch64 and Python 3.9-3.11
except ImportError:  # pragma: no cover - exercised by the fallback test through a flag
    _re2 = None


def any_of(literals: List[str], ignore_case: bool = False) -> Any:
    """A search for any of ``literals`` over bytes: google-re2's one pass when installed, else Python's regex."""
    pattern = b"|".join(re.escape(literal.encode("utf-8")) for literal in literals)
    if ignore_case:
        pattern = b"(?i:" + pattern + b")"
    if _re2 is None:  # pragma: no cover - google-re2 is a dependency; the stdlib still works
        return re.compile(pattern)
    options = _re2.Options()
    options.max_mem = MAX_MEM
    return _re2.compile(pattern, options=options)


def offsets(finder: "re.Pattern[bytes]", chunk: bytes, end: int) -> Callable[[int], Optional[int]]:
    """A function giving the first offset >= pos in ``chunk[:end]`` where ``finder`` (google-re2 or re, over
    bytes) matches, or None."""
    compiled = getattr(finder, "_regexp", None)
    if compiled is not None and _re2 is not None and hasattr(_re2, "_Anchor"):
        # The wrapper's search() costs three times the search itself on a byte string; call the compiled
        # regexp directly (google-re2 < 1.1.2024 is pinned; the public path stays below).
        unanchored = _re2._Anchor.UNANCHORED

        def next_direct(pos: int) -> Optional[int]:
            if pos >= end:
                return None
            begin = compiled.Match(unanchored, chunk, pos, end)[0][0]
            return begin if begin >= 0 else None

        return next_direct

    def next_found(pos: int) -> Optional[int]:
        found = finder.search(chunk, pos, end) if pos < end else None
        return found.start() if found is not None else None

    return next_found


class LineSearch:
    """google-re2 over bytes for any of some alternatives, asked only which line holds the first match.

    The search is anchored where it starts, behind a lazy ``(?s:.)*?``, so google-re2 reports where that match
    ends without running its reverse automaton to find where it begins: that automaton costs a second compile
    of every literal at start-up and a second, backward search for every line found."""

    __slots__ = ("_wrapper", "_compiled", "_anchored")

    def __init__(self, alternatives: List[str], max_mem: int = MAX_MEM) -> None:
        options = _re2.Options()
        options.max_mem = max_mem
        # Bytes as Latin-1: the lazy prefix steps over any byte (in UTF-8 mode ``.`` stops at invalid UTF-8, and a
        # log's binary junk would hide every line after it); a literal's UTF-8 bytes still match as written.
        options.encoding = _re2.Options.Encoding.LATIN1
        pattern = "(?s:.)*?(?:" + "|".join(alternatives) + ")"
        self._wrapper = _re2.compile(pattern.encode("utf-8"), options=options)
        # The wrapper's match() costs three times the search itself on a byte string; call the compiled regexp
        # directly (google-re2 < 1.1.2024 is pinned; the public path stays below).
        self._compiled = getattr(self._wrapper, "_regexp", None) if hasattr(_re2, "_Anchor") else None
        self._anchored = _re2._Anchor.ANCHOR_START if self._compiled is not None else None

    def end(self, text: bytes, pos: int = 0, end: Optional[int] = None) -> int:
        """Where the first match in ``text[pos:end]`` ends, or -1."""
        end = len(text) if end is None else end
        if pos >= end:
            return -1
        if self._compiled is not None:
            return self._compiled.Match(self._anchored, text, pos, end)[0][1]
        found = self._wrapper.match(text, pos, end)
        return found.end() if found is not None else -1

    def in_lines(self, chunk: bytes, end: int) -> Callable[[int], Optional[int]]:
        """A function giving, for ``pos``, an offset in the first line of ``chunk[pos:end]`` that holds a match
        (the match's last byte; no alternative spans a newline), or None."""
        compiled, anchored = self._compiled, self._anchored
        if compiled is None:
            def next_found(pos: int) -> Optional[int]:
                ends = self.end(chunk, pos, end)
                return ends - 1 if ends > 0 else None

            return next_found

        def next_direct(pos: int) -> Optional[int]:
            if pos >= end:
                return None
            ends = compiled.Match(anchored, chunk, pos, end)[0][1]
            return ends - 1 if ends > 0 else None

        return next_direct


def re2_literal(literal: str) -> str:
    """``literal`` as google-re2 reads it as written: quoted between ``\\Q`` and ``\\E`` (a tenth of the cost of
    ``re.escape``, which a start-up pays for every literal of the knowledge base; the same program), escaped when it
    holds a backslash (an ``\\E`` inside would end the quote)."""
    return "\\Q" + literal + "\\E" if "\\" not in literal else re.escape(literal)


def line_search(alternatives: List[str]) -> Optional[LineSearch]:
    """:class:`LineSearch` of ``alternatives``, or None for an empty list or without google-re2."""
    return LineSearch(alternatives) if alternatives and _re2 is not None else None
