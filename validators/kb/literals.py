"""Derive the prefilter literal of a regex: the longest text that every match must contain.

The matcher never runs a rule's regex on a line that lacks the rule's literal, so the literal must be
*required*, not merely likely. We read the regex's parse tree (the stdlib's own parser) and keep only
literal runs on the mandatory path: alternations, optional parts and classes end a run.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional

try:  # Python 3.11+
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.9 / 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}


class _Runs:
    """Collects the literal runs met while walking a mandatory path."""

    def __init__(self) -> None:
        self.current: List[str] = []
        self.done: List[str] = []

    def add(self, char: str) -> None:
        self.current.append(char)

    def cut(self) -> None:
        if self.current:
            self.done.append("".join(self.current))
            self.current = []

    def longest(self) -> Optional[str]:
        self.cut()
        return max(self.done, key=len) if self.done else None


def _walk(items: Any, runs: _Runs) -> None:
    for op, av in items:
        if op is _c.LITERAL:
            runs.add(chr(av))
        elif op is _c.SUBPATTERN:
            add_flags = av[1] if len(av) == 4 else 0
            if add_flags & _c.SRE_FLAG_IGNORECASE:
                runs.cut()
            else:
                _walk(av[-1], runs)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, item = av
            if low == 1 and high == 1:
                _walk(item, runs)
            else:
                runs.cut()
                if low >= 1:
                    _walk(item, runs)
                runs.cut()
        elif op in _ZERO_WIDTH:
            continue
        else:  # BRANCH, IN, ANY, NOT_LITERAL, CATEGORY, GROUPREF ...: the run ends here
            runs.cut()


def derive_literal(regex: str) -> Optional[str]:
    """The longest literal every match of ``regex`` contains, or None if there is none.

    Case-insensitive patterns have no case-exact literal, so they yield None.
    """
    parsed = _sre_parse.parse(regex)
    if parsed.state.flags & re.IGNORECASE:
        return None
    runs = _Runs()
    _walk(parsed, runs)
    return runs.longest()


def literal_prefix(regex: str) -> str:
    """The literal text every match of ``regex`` starts with ("" when it may start otherwise)."""
    parsed = _sre_parse.parse(regex)
    if parsed.state.flags & re.IGNORECASE:
        return ""
    chars: List[str] = []
    for op, av in parsed:
        if op is not _c.LITERAL:
            break
        chars.append(chr(av))
    return "".join(chars)


_META = frozenset(".^$*+?{}[]|()")
_QUANTIFIERS = frozenset("*+?{")
_ESCAPED_LITERAL = frozenset(r"""\.^$*+?{}[]|()/-'"`~!@#%&=:;,<> """)


def quick_literal_prefix(regex: str) -> str:
    """A prefix of :func:`literal_prefix` read without the regex parser (a scan of plain characters and
    escaped punctuation; it stops at anything else), cheap enough for every rule at every start-up."""
    if regex.startswith("(?") or _top_level_alternation(regex):
        return ""  # inline flags, or a match that may start with another branch: the parser decides
    chars = []
    index = 0
    while index < len(regex):
        char = regex[index]
        step = 1
        if char == "\\":
            following = regex[index + 1:index + 2]
            if not following or following not in _ESCAPED_LITERAL:
                break  # a class (\d, \w), an anchor (\b) or a code point: not a plain character
            char, step = following, 2
        elif char in _META:
            break
        after = regex[index + step:index + step + 1]
        if after and after in _QUANTIFIERS:
            break  # "ab+" starts with "a" only
        chars.append(char)
        index += step
    return "".join(chars)


def _top_level_alternation(regex: str) -> bool:
    """Whether ``regex`` has a ``|`` outside every group and class (``a|b`` may start with either)."""
    depth, in_class, escaped = 0, False, False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


CODE_SHAPE = r"[EW][0-9A-Z][0-9]{4}"
"""What a CANN error-manager code looks like (both regex engines read this syntax)."""


def finder_literal(regex: str, literal: str, has_before: bool) -> str:
    """The text a chunk scan looks for to find a pattern's lines: its ``literal``, made longer when every
    match continues it with more fixed text (``Failed to connect to the meta server`` + ``. Maybe it has
    exited``), so that start-up lines sharing only the short part are not read at all. Not past an error code
    (CANN 8 puts ``[PID: n] time`` after it), nor for a pattern with ``before`` context."""
    if has_before or re.search(CODE_SHAPE, literal):
        return literal
    prefix = quick_literal_prefix(regex)
    return prefix if prefix.startswith(literal) and len(prefix) <= 200 else literal
