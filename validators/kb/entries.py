"""A rule's patterns as the matcher meets them: one entry per pattern, keyed by the literal the chunk scan looks for.

An entry compiles its regexes on first use, and an entry of the shipped rules is made from the compiled index
alone (the rule's id and its patterns' literals): the rule file is decoded only when a line first needs it
(:mod:`~mindpilot.validators.kb.matcher` holds the entries; :mod:`~mindpilot.validators.kb.knowledge` builds them).
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from mindpilot.validators.kb.literals import finder_literal, literal_prefix
from mindpilot.validators.kb.model import KbPattern, KbRule


class Entry:
    """A pattern of a rule, its regexes compiled on first use (a log meets few of the hundreds of rules, and
    compiling them all would cost more than scanning a clean log)."""

    __slots__ = ("rule_id", "_rule", "_pattern", "_source", "_regex", "_context", "_starts", "_wide")

    def __init__(self, rule: Optional[KbRule], pattern: Optional[KbPattern],
                 source: Optional[Tuple[Mapping[str, KbRule], str, int]] = None) -> None:
        """``rule`` and its ``pattern``, or (``source``) where to find them when first asked for: the rules by id,
        the rule's id and the pattern's place among its patterns (the shipped rules are decoded file by file as
        a log's lines need them)."""
        self._rule = rule
        self._pattern = pattern
        self._source = source
        self.rule_id: str = rule.id if rule is not None else source[1]  # type: ignore[index]
        self._regex: Optional["re.Pattern[str]"] = None
        self._context: Optional[tuple] = None
        self._starts: Optional[bool] = None
        self._wide: Optional[bool] = None

    @property
    def rule(self) -> KbRule:
        if self._rule is None:
            rules, rule_id, index = self._source  # type: ignore[misc]
            self._rule = rules[rule_id]
            self._pattern = self._rule.patterns[index]
        return self._rule

    @property
    def pattern(self) -> KbPattern:
        if self._pattern is None:
            self.rule  # noqa: B018 - decodes the rule, and with it the pattern
        return self._pattern  # type: ignore[return-value]

    @property
    def shape_wide(self) -> bool:
        """Whether the regex matches a line exactly when it matches the line with every digit made 0
        (no context lines, and no digit in the pattern beyond repeat counts); worked out on first use."""
        if self._wide is None:
            pattern = self.pattern
            self._wide = pattern.before is None and pattern.after is None and pattern.unless_near is None \
                and not pattern.facts and _digit_blind(pattern.regex)
        return self._wide

    @property
    def regex(self) -> "re.Pattern[str]":
        if self._regex is None:
            self._regex = re.compile(self.pattern.regex)
        return self._regex

    def _contexts(self) -> tuple:
        if self._context is None:
            pattern = self.pattern
            self._context = tuple(re.compile(context.regex) if context else None
                                  for context in (pattern.before, pattern.after, pattern.unless_near)) \
                + ([(re.compile(fact.regex), fact.lines) for fact in pattern.facts],)
        return self._context

    @property
    def before(self) -> Optional["re.Pattern[str]"]:
        return self._contexts()[0] if self.pattern.before is not None else None

    @property
    def after(self) -> Optional["re.Pattern[str]"]:
        return self._contexts()[1] if self.pattern.after is not None else None

    @property
    def unless_near(self) -> Optional["re.Pattern[str]"]:
        return self._contexts()[2] if self.pattern.unless_near is not None else None

    @property
    def facts(self) -> list:
        return self._contexts()[3] if self.pattern.facts else []

    @property
    def starts_with_literal(self) -> bool:
        """Whether every match begins with the literal (no context lines): then the text from the literal's
        first place to the end of the line decides the match."""
        if self._starts is None:
            pattern = self.pattern
            self._starts = pattern.before is None and pattern.after is None and pattern.unless_near is None \
                and pattern.literal is not None and literal_prefix(pattern.regex).startswith(pattern.literal)
        return self._starts


def _digit_blind(regex: str) -> bool:
    """No digit in ``regex`` outside ``{m,n}`` repeat counts: ``\\d``, ``\\w``, ``.`` treat every digit alike."""
    return not any(ch.isdigit() for ch in re.sub(r"\{\d+(?:,\d*)?\}", "", regex))


def rule_entries(rules: Iterable[KbRule]) -> Iterator[Tuple[str, Entry]]:
    for rule in rules:
        for pattern in rule.patterns:
            assert pattern.literal is not None  # filled in by KbPattern's validator
            yield _longest_start(pattern), Entry(rule, pattern)


def shipped_entries(rules: Mapping[str, KbRule], literals: Iterable[Tuple[str, Sequence[str]]]
                    ) -> Iterator[Tuple[str, Entry]]:
    """The entries of a matcher over ``rules`` from each rule's id and its patterns' literals (as
    :func:`pattern_literals` gives them), no rule decoded before a line needs it."""
    for rule_id, rule_literals in literals:
        for index, literal in enumerate(rule_literals):
            yield literal, Entry(None, None, (rules, rule_id, index))


def holding_no_other(literals: Iterable[str]) -> List[str]:
    """The literals of ``literals`` within which no other of them is found, sorted (quadratic: worked out when
    the knowledge is compiled, not at start-up)."""
    kept: List[str] = []
    for literal in sorted(set(literals), key=lambda text: (len(text), text)):
        if not any(shorter in literal for shorter in kept):
            kept.append(literal)
    return sorted(kept)


def pattern_literals(rule: KbRule) -> List[str]:
    """The literal the chunk scan looks for, per pattern of ``rule``."""
    return [_longest_start(pattern) for pattern in rule.patterns]


def _longest_start(pattern: KbPattern) -> str:
    """The text the chunk scan looks for (:func:`~mindpilot.validators.kb.literals.finder_literal`), as the
    pattern was built with it (compiled knowledge carries it), else worked out now."""
    return getattr(pattern, "finder_literal", None) or finder_literal(pattern.regex, pattern.literal or "",
                                                                      pattern.before is not None)
