"""The shape of the knowledge base: rules about known Ascend training errors, as dataclasses.

pydantic validates the rule files against these (types, ``Literal`` stages, the checks in
``__post_init__``) once per change of a file; a run reads the rules as they were built.

Rules live in ``validators/data/kb/<stage>.yaml``; this module only says what a rule may contain,
so that adding a rule is adding YAML (and a fixture log in ``tests/data/logs/kb/<id>.log``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Literal, Optional

from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import FieldValueError
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.literals import derive_literal, finder_literal

Stage = Literal["environment", "versions", "weights", "data", "parallel", "launch", "runtime",
                "checkpoint", "rl", "graph", "operator", "serving"]
"""Where in the journey an error happens; the middle part of every rule id."""

PLACEHOLDER = re.compile(r"\{(\w*)\}")
"""``{name}`` in a rule's texts: filled with what the pattern's group ``(?P<name>...)`` matched."""

Scope = Literal["log", "script", "any"]
"""What a rule reads: log lines (default), launch/convert scripts, or both."""


def _compile(regex: str) -> "re.Pattern[str]":
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {regex!r}: {exc}") from exc


@dataclass
class Context:
    """A second pattern that must appear near the matched line (before or after it)."""

    __pydantic_config__ = {"extra": "forbid"}

    regex: str
    """Python regular expression searched in each of the nearby lines."""
    lines: int = 30
    """How many lines before (or after) the matched line to look at (1 to 500)."""

    def __post_init__(self) -> None:
        try:
            _compile(self.regex)
        except ValueError as exc:
            raise FieldValueError("regex", str(exc)) from None
        if not 1 <= self.lines <= 500:
            raise FieldValueError("lines", f"must be from 1 to 500, got {self.lines}")


@dataclass
class KbPattern:
    """One way a rule shows up in a log: a regex over one line, with optional context."""

    __pydantic_config__ = {"extra": "forbid"}

    regex: str
    """Python regular expression searched in one log line (ANSI codes and CR already removed)."""
    literal: Optional[str] = None
    """Text every match must contain, used as the fast prefilter; derived from ``regex`` when omitted."""
    before: Optional[Context] = None
    """Required context in the matched line or the lines before it (e.g. the script in the traceback)."""
    after: Optional[Context] = None
    """Required context in the lines after the match."""
    unless_near: Optional[Context] = None
    """The pattern stands down when this regex is found in the matched line or within ``lines`` lines before
    or after it: a more specific context (a log that names its own cause nearby) that another rule, or the
    unsure fallback, explains better."""
    facts: List[Context] = field(default_factory=list)
    """Details looked for in the matched line and the lines around it (``lines`` each way), not required:
    each regex's named groups fill the ``{name}`` placeholders of the rule's texts when found, e.g. the
    torch and torch_npu versions a log prints near an ``undefined symbol``."""

    def __post_init__(self) -> None:
        compiled = _compile(self.regex)
        if self.literal is None:
            derived = derive_literal(self.regex)
            if derived is None or len(derived) < 4:
                raise ValueError(f"cannot derive a literal of 4+ characters from {self.regex!r}; "
                                 "give `literal:` explicitly")
            self.literal = derived
        elif len(self.literal) < 3:
            raise ValueError("literal must have at least 3 characters")
        if compiled.flags & re.IGNORECASE:
            raise ValueError("case-insensitive patterns cannot use a literal prefilter; write the case out")
        # Worked out once, when the rule files are compiled, not in every run (the matcher's start-up).
        self.finder_literal = finder_literal(self.regex, self.literal, self.before is not None)


@dataclass
class KbRule:
    """A known error: how to recognise it, why it happens, how to fix it, and where we know it from."""

    __pydantic_config__ = {"extra": "forbid"}

    id: str
    """Stable id ``kb.<stage>.<name>``."""
    stage: Stage
    """The stage of the journey the error belongs to."""
    patterns: List[KbPattern]
    """Any one of these matching is a hit (at least one)."""
    title: Bilingual
    """One line naming the problem."""
    cause: Bilingual
    """Why it happens."""
    fix: Bilingual
    """What to do."""
    source: str
    """Where the knowledge comes from: seed note, framework file:line, public issue or document."""
    severity: Severity = Severity.ERROR
    """error for failures, warning for likely trouble, info for notes."""
    consequence: bool = False
    """True for follow-on errors (timeouts, "job exited") that are never a root cause."""
    generic: bool = False
    """True for a catch-all that names no cause of its own (e.g. "an operator argument is out of range"):
    any other rule on the same line or just below it is the root cause instead."""
    success: bool = False
    """True for a run's own word that it finished well (``CONVERT RESULT SUCCESS:0``), usually ``severity:
    info``: error lines before it in the same file did not stop the run, so none of them is named as the likely
    root cause when no rule knows it."""
    scope: Scope = "log"
    """Log lines, scripts, or both."""
    commands: List[str] = field(default_factory=list)
    """Exact shell commands that fix it (shown verbatim, never run)."""

    def __post_init__(self) -> None:
        self.severity = Severity(self.severity)
        groups = {name for pattern in self.patterns
                  for regex in [pattern.regex] + [fact.regex for fact in pattern.facts]
                  for name in re.compile(regex).groupindex}
        for name, text in (("title", self.title), ("cause", self.cause), ("fix", self.fix)):
            for lang in ("zh", "en"):
                unknown = {name for name in PLACEHOLDER.findall(text.get(lang))
                           if name and name not in groups and not name.startswith("installed_")}
                if unknown and groups:
                    raise FieldValueError(name, f"{{{sorted(unknown)[0]}}} names no group of the rule's patterns "
                                                f"(groups: {', '.join(sorted(groups))})")
        if not re.fullmatch(r"kb\.[a-z]+\.[a-z0-9_]+", self.id):
            raise FieldValueError("id", f"rule id {self.id!r} must look like kb.<stage>.<name> (lowercase, digits, _)")
        if self.id.split(".")[1] != self.stage:
            raise FieldValueError("id", f"rule id {self.id!r} must start with 'kb.{self.stage}.'")
        if not self.patterns:
            raise FieldValueError("patterns", "give at least one pattern")


@dataclass
class KbFile:
    """One ``data/kb/*.yaml`` file."""

    __pydantic_config__ = {"extra": "forbid"}

    rules: List[KbRule]
    """The rules of the file, usually of one stage."""


@dataclass
class StageLabels:
    """``data/kb/stages.yaml``: the human name of each stage."""

    __pydantic_config__ = {"extra": "forbid"}

    stages: dict[str, Bilingual]
    """Stage id to its name in both languages."""
