"""Match log lines against every rule at once, cheaply: literal prefilter first, full regex after.

A line is only tried against the rules whose literal it contains, on its message (launcher, rank and
logger wrappings removed by :mod:`~mindpilot.validators.kb.keyline`) and on the whole line. Codes of
CANN's catalogue (:mod:`~mindpilot.validators.kb.cann_catalog`) are found by one code-shaped search.
For whole files the literals are searched over big byte chunks in one pass
(:mod:`mindpilot.validators.kb.scan`); the finder uses google-re2 (a DFA over all literals, about grep's
speed) when installed, else ``bytes.find`` per literal.
"""

from __future__ import annotations

import bisect
import re
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from mindpilot.validators.kb.bytesearch import LineSearch, line_search, re2_literal
from mindpilot.validators.kb.entries import Entry, rule_entries
from mindpilot.validators.kb.hits import MAX_GROUP, KbHit
from mindpilot.validators.kb.keyline import key_text
from mindpilot.validators.kb.literals import CODE_SHAPE
from mindpilot.validators.kb.model import KbRule
from mindpilot.redact import redact_log_line

ANSI_TEXT = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
"""ANSI escape sequences (colours, cursor moves) as they appear in captured terminal output."""


def clean_line(text: str) -> str:
    """A log line without ANSI codes, carriage returns and NUL bytes."""
    if "\x1b" in text:
        text = ANSI_TEXT.sub("", text)
    return text.replace("\r", "").replace("\x00", "")


_ASCII_DIGIT = re.compile(r"[0-9]")

CODE_IN_LINE = re.compile(r"(?<![\w=])(" + CODE_SHAPE + r")(?!\w)")
"""A code standing as a word (``module_name=EE8888`` inside a plog line is a field value, not an error)."""

DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _mask(text: str) -> bytes:
    """``text`` with every digit made 0, as bytes (``bytes.translate`` is a table lookup; ``str.translate``
    a dictionary lookup per character, twenty times slower)."""
    return text.encode("utf-8", "surrogatepass").translate(DIGITS_TO_ZERO)
LONG_LINE = 4096
"""Without google-re2: characters up to which Python's regex looks for a line's literals (beyond, ``in`` per
literal: the regex would try every literal at every position)."""
MAX_SHAPE = 2000
"""Lines longer than this are not remembered (their literals are tested each time)."""
MAX_SHAPES = 4096
"""At most this many line shapes are remembered per matcher."""

ContextFn = Callable[[int], Optional[str]]
"""Given a number of lines, the text of that many lines before (or after) the line, or None if unknown."""


class Matcher:
    """All patterns of a set of rules, grouped by prefilter literal."""

    def __init__(self, rules: Sequence[KbRule], extra_literals: Sequence[str] = (),
                 coded: Optional[Mapping[str, KbRule]] = None,
                 entries: Optional[Iterable[Tuple[str, Entry]]] = None,
                 searched: Optional[Sequence[str]] = None) -> None:
        """``entries``: each pattern's literal and entry, in rule order, instead of reading them from ``rules``
        (:func:`~mindpilot.validators.kb.entries.shipped_entries`). ``searched``: the literals that hold no other
        (:func:`~mindpilot.validators.kb.entries.holding_no_other`), worked
        out when the knowledge was compiled: the chunk search looks for these alone."""
        self.coded: Mapping[str, KbRule] = coded or {}
        """Rules of CANN's catalogue by code: found by one code-shaped search per line, not by literal."""
        self._coded_entries: Dict[str, Optional[Entry]] = {}
        self.by_literal: Dict[str, List[Entry]] = {}
        for literal, entry in entries if entries is not None else rule_entries(rules):
            self.by_literal.setdefault(literal, []).append(entry)
        self.literals: List[str] = sorted(set(self.by_literal) | set(extra_literals), key=len, reverse=True)
        # Which literals a line holds, remembered per line shape: failing lines repeat by the thousand
        # with only their digits (time, pid, step) changing, and testing every literal costs ~100 `in`s.
        self._order = {literal: index for index, literal in enumerate(self.by_literal)}
        # Only ASCII digits are masked: a literal with another digit is found in a line exactly as in its shape.
        self._digit_free = [literal for literal in self.by_literal if not _ASCII_DIGIT.search(literal)]
        self._with_digits = [literal for literal in self.by_literal if _ASCII_DIGIT.search(literal)]
        self._shapes: Dict[bytes, List[str]] = {}
        self._shape_quiet: Dict[bytes, bool] = {}
        """Per line shape: whether no line of that shape can match (see :meth:`no_hit_holds_for_shape`)."""
        self._masked_with_digits = [_mask(literal) for literal in self._with_digits]
        self._line_re: Optional["re.Pattern[str]"] = None
        self._byte_literals = [literal.encode("utf-8") for literal in self.literals]
        self._finders_without: Dict[bytes, Optional[LineSearch]] = {}
        # A line holding a literal holds each literal within it: searching for those that hold no other finds the
        # same lines (the chunk search only asks which line) with a third fewer alternatives to compile.
        self._searched = sorted(searched if searched is not None and set(searched) <= set(self.literals)
                                else self.literals)
        # For google-re2 in byte order: neighbours that share a prefix are factored into one branch, a smaller
        # program to compile and smaller automaton states (the search only asks where a first match ends).
        self._chunk_finder = line_search([re2_literal(literal) for literal in self._searched]
                                         + ([CODE_SHAPE] if self.coded else [])) if self.literals else None

    @property
    def _line_finder(self) -> "re.Pattern[str]":
        """The literals as one regex over text (live tailing and short lists of lines; compiled on first use)."""
        if self._line_re is None:
            self._line_re = re.compile("|".join([re.escape(literal) for literal in self.literals]
                                                + ([CODE_SHAPE] if self.coded else [])) or "(?!)")
        return self._line_re

    def may_match(self, text: str) -> bool:
        """Whether ``text`` holds a literal of some rule (or a code). Through google-re2 when installed (linear
        time, ~2 us a line): Python's regex tries every literal at every position (~0.7 ms for a 200-character
        line with a thousand literals, seconds for a megabyte-long one) and takes ~50 ms to compile."""
        if self._chunk_finder is not None:
            return self._chunk_finder.end(text.encode("utf-8", "surrogatepass")) >= 0
        if len(text) <= LONG_LINE:
            return self._line_finder.search(text) is not None
        return any(literal in text for literal in self.literals) or bool(self.coded and _CODE_TEXT.search(text))

    def literals_in(self, raw: bytes) -> List[bytes]:
        """The literals (as bytes) the line ``raw`` holds: a test per literal, for a few lines only."""
        return [literal for literal in self._byte_literals if literal in raw]

    def finder_without(self, literal: bytes) -> Optional["LineSearch"]:
        """A search for every literal (and code) but ``literal``, which the caller finds with ``bytes.find``;
        None when nothing else is left. Built once per literal. (A line whose every literal holds ``literal``
        holds ``literal``: searching for the others that hold no other is enough.)"""
        if literal not in self._finders_without:
            rest = [re2_literal(text) for text in self._searched if text.encode("utf-8") != literal]
            self._finders_without[literal] = line_search(rest + ([CODE_SHAPE] if self.coded else []))
        return self._finders_without[literal]

    @property
    def engine(self) -> str:
        """``re2`` or ``bytes.find``: which finder scans whole chunks."""
        return "re2" if self._chunk_finder is not None else "bytes.find"

    def match_line(self, text: str, before: Sequence[str] = ()) -> List[KbHit]:
        """The rules matching one line (for live tailing). ``before``: the lines preceding it, if known.

        Patterns that need lines *after* the match are skipped here; whole-file scans apply them.
        """
        if not self.may_match(text):
            return []
        line = clean_line(text)
        before_text = "\n".join(before[-500:])
        return self.match_candidate(line, lambda n: "\n".join(before_text.split("\n")[-n:]) if before else None,
                                    lambda n: None)

    def match_candidate(self, line: str, before: ContextFn, after: ContextFn) -> List[KbHit]:
        """Full regexes of the rules whose literal ``line`` contains; context checked through callbacks."""
        hits: List[KbHit] = []
        seen = set()
        key = key_text(line)
        texts = (key, line) if key != line else (line,)
        for literal in self._present(line) if key == line else self._present_in(key, line):
            for entry in self.by_literal[literal]:
                if entry.rule_id in seen:
                    continue
                hit = _entry_hit(entry, line, texts, before, after)
                if hit is not None:
                    seen.add(entry.rule_id)
                    hits.append(hit)
        if self.coded:
            for found in CODE_IN_LINE.finditer(key):
                entry = self._coded_entry(found.group(1))
                if entry is not None and entry.rule.id not in seen:
                    seen.add(entry.rule.id)
                    hits.append(KbHit(entry.rule, entry.pattern, line, found.group(1)))
        return hits

    def _coded_entry(self, code: str) -> Optional[Entry]:
        """The compiled pattern of a catalogue code's rule (built on the code's first sight), or None."""
        if code not in self._coded_entries:
            rule = self.coded.get(code)
            self._coded_entries[code] = Entry(rule, rule.patterns[0]) if rule is not None else None
        return self._coded_entries[code]

    def _present_in(self, key: str, line: str) -> List[str]:
        """The literals of the line's message or of the whole line (a wrapping may split a literal)."""
        both = self._present(key)
        extra = [literal for literal in self._present(line) if literal not in both]
        return sorted(both + extra, key=self._order.__getitem__) if extra else both

    def _present(self, line: str) -> List[str]:
        """The literals ``line`` contains, in rule order.

        A literal without digits is in ``line`` exactly when it is in ``line`` with every digit made 0,
        so the answer for those is kept per digit-masked line (bounded); literals with digits are tested.
        """
        key = _mask(line) if len(line) <= MAX_SHAPE else None
        found = self._shapes.get(key) if key is not None else None
        if found is None:
            found = [literal for literal in self._digit_free if literal in line]
            if key is not None and len(self._shapes) < MAX_SHAPES:
                self._shapes[key] = found
        with_digits = [literal for literal in self._with_digits if literal in line]
        if not with_digits:
            return found
        return sorted(found + with_digits, key=self._order.__getitem__)

    def no_hit_holds_for_shape(self, line: str) -> bool:
        """After ``line`` matched nothing: whether every line of the same shape (digits aside) would
        match nothing either, so that a scanner may skip such lines unseen."""
        masked = _mask(line)
        known = self._shape_quiet.get(masked)
        if known is not None:
            return known
        if self.coded and CODE_IN_LINE.search(line):
            quiet = False  # another code of the same shape may be in the catalogue
        elif any(literal in masked for literal in self._masked_with_digits):
            quiet = False
        else:
            key = key_text(line)
            present = self._present(line) if key == line else self._present_in(key, line)
            quiet = all(entry.shape_wide for literal in present for entry in self.by_literal[literal])
        if len(self._shape_quiet) < MAX_SHAPES:
            self._shape_quiet[masked] = quiet
        return quiet

    def digit_tails(self, line: str) -> Optional[List[bytes]]:
        """For a line that matched nothing although its shape may match (a rule reads its digits): the
        literals from whose first place to the end of the line the text decides every such rule, or None
        when something else decides (context lines, a literal with digits, a rule matching before its literal).
        """
        if self.coded and CODE_IN_LINE.search(line):
            return None
        masked = _mask(line)
        if any(literal in masked for literal in self._masked_with_digits):
            return None
        key = key_text(line)
        present = self._present(line) if key == line else self._present_in(key, line)
        tails = []
        for literal in present:
            entries = self.by_literal[literal]
            if all(entry.shape_wide for entry in entries):
                continue
            if not all(entry.shape_wide or entry.starts_with_literal for entry in entries) or literal not in line:
                return None
            tails.append(literal.encode("utf-8"))
        return tails or None

    def chunk_finder(self, chunk: bytes, start: int, end: int) -> Callable[[int], Optional[int]]:
        """A function giving, for ``pos``, an offset in the first line of ``chunk[pos:end]`` (``pos`` >= ``start``)
        that holds some literal (or code), or None."""
        if self._chunk_finder is not None:
            return self._chunk_finder.in_lines(chunk, end)
        positions: List[int] = []
        if self.coded:
            positions += [found.start() for found in _CODE_BYTES.finditer(chunk, start, end)]
        for literal in self._byte_literals:
            at = chunk.find(literal, start, end)
            while at >= 0:
                positions.append(at)
                line_end = chunk.find(b"\n", at, end)
                at = chunk.find(literal, line_end + 1, end) if line_end >= 0 else -1
        positions.sort()

        def next_found(pos: int) -> Optional[int]:
            index = bisect.bisect_left(positions, pos)
            return positions[index] if index < len(positions) else None

        return next_found


_CODE_BYTES = re.compile(CODE_SHAPE.encode("ascii"))
_CODE_TEXT = re.compile(CODE_SHAPE)


def _facts(facts: Sequence, line: str, before: ContextFn, after: ContextFn, groups: Dict[str, str]) -> Dict[str, str]:
    """``groups`` with what each fact's named groups find in the line, then the lines before, then after
    (the first value found for a name wins; a name found nowhere stays unfilled)."""
    for regex, lines in facts:
        for text in (line, before(lines), after(lines)):
            found = regex.search(text) if text else None
            if found is None:
                continue
            for name, value in found.groupdict().items():
                if value and name not in groups:
                    groups[name] = redact_log_line(value)[:MAX_GROUP]
            break
    return groups


def _entry_hit(entry: Entry, line: str, texts: Sequence[str], before: ContextFn,
               after: ContextFn) -> Optional[KbHit]:
    """The hit of one pattern on ``line`` (its regex on the message or the whole line, then its context), or
    None."""
    found = _search(entry.regex, texts)
    if found is None:
        return None
    if entry.before is not None and entry.before.search(line) is None \
            and not _context_ok(entry.before, before(entry.pattern.before.lines)):
        return None
    if entry.after is not None and not _context_ok(entry.after, after(entry.pattern.after.lines)):
        return None
    if entry.unless_near is not None and _near(entry.unless_near, entry.pattern.unless_near.lines,
                                               line, before, after):
        return None
    # Masked before the cut: half a URL password would escape the mask.
    groups = {name: redact_log_line(value)[:MAX_GROUP]
              for name, value in found.groupdict().items() if value} if entry.regex.groupindex else None
    if entry.facts:
        groups = _facts(entry.facts, line, before, after, groups or {})
    return KbHit(entry.rule, entry.pattern, line, redact_log_line(found.group(0))[:300], groups)


def _search(regex: "re.Pattern[str]", texts: Sequence[str]) -> "Optional[re.Match[str]]":
    """The first match of ``regex`` in the line's message, else in the whole line."""
    for text in texts:
        found = regex.search(text)
        if found is not None:
            return found
    return None


def _context_ok(regex: "re.Pattern[str]", text: Optional[str]) -> bool:
    return text is not None and regex.search(text) is not None


def _near(regex: "re.Pattern[str]", lines: int, line: str, before: ContextFn, after: ContextFn) -> bool:
    """Whether ``regex`` is found in ``line`` or within ``lines`` lines before or after it (context that is
    not known, as after a line read live, counts as not near)."""
    return regex.search(line) is not None or _context_ok(regex, before(lines)) or _context_ok(regex, after(lines))


def use_pure_python(matcher: Matcher) -> Matcher:
    """Force the ``bytes.find`` finder (tests and benchmarks compare both engines)."""
    matcher._chunk_finder = None
    return matcher
