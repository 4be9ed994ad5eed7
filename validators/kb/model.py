"""The shape of the knowledge base: rules about known Ascend training errors, as pydantic models.

Rules live in ``validators/data/kb/<stage>.yaml``; this module only says what a rule may contain,
so that adding a rule is adding YAML (and a fixture log in ``tests/data/logs/kb/<id>.log``).
"""

from __future__ import annotations

import re
from typing import List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mindpilot.i18n import Bilingual
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.literals import derive_literal

Stage = Literal["environment", "versions", "weights", "data", "parallel", "launch", "runtime",
                "checkpoint", "rl", "graph", "operator"]
"""Where in the journey an error happens; the middle part of every rule id."""

Scope = Literal["log", "script", "any"]
"""What a rule reads: log lines (default), launch/convert scripts, or both."""


def _compile(regex: str) -> "re.Pattern[str]":
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {regex!r}: {exc}") from exc


class Context(BaseModel):
    """A second pattern that must appear near the matched line (before or after it)."""

    model_config = ConfigDict(extra="forbid")

    regex: str
    """Python regular expression searched in each of the nearby lines."""
    lines: int = Field(default=30, ge=1, le=500)
    """How many lines before (or after) the matched line to look at."""

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        _compile(value)
        return value


class KbPattern(BaseModel):
    """One way a rule shows up in a log: a regex over one line, with optional context."""

    model_config = ConfigDict(extra="forbid")

    regex: str
    """Python regular expression searched in one log line (ANSI codes and CR already removed)."""
    literal: Optional[str] = None
    """Text every match must contain, used as the fast prefilter; derived from ``regex`` when omitted."""
    before: Optional[Context] = None
    """Required context in the matched line or the lines before it (e.g. the script in the traceback)."""
    after: Optional[Context] = None
    """Required context in the lines after the match."""

    @model_validator(mode="after")
    def _literal_known(self) -> "KbPattern":
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
        return self


class KbRule(BaseModel):
    """A known error: how to recognise it, why it happens, how to fix it, and where we know it from."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Stable id ``kb.<stage>.<name>``."""
    stage: Stage
    """The stage of the journey the error belongs to."""
    severity: Severity = Severity.ERROR
    """error for failures, warning for likely trouble, info for notes."""
    consequence: bool = False
    """True for follow-on errors (timeouts, "job exited") that are never a root cause."""
    scope: Scope = "log"
    """Log lines, scripts, or both."""
    patterns: List[KbPattern] = Field(min_length=1)
    """Any one of these matching is a hit."""
    title: Bilingual
    """One line naming the problem."""
    cause: Bilingual
    """Why it happens."""
    fix: Bilingual
    """What to do."""
    commands: List[str] = Field(default_factory=list)
    """Exact shell commands that fix it (shown verbatim, never run)."""
    source: str
    """Where the knowledge comes from: seed note, framework file:line, public issue or document."""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"kb\.[a-z]+\.[a-z0-9_]+", value):
            raise ValueError(f"rule id {value!r} must look like kb.<stage>.<name> (lowercase, digits, _)")
        return value

    @model_validator(mode="after")
    def _id_names_stage(self) -> "KbRule":
        if self.id.split(".")[1] != self.stage:
            raise ValueError(f"rule id {self.id!r} must start with 'kb.{self.stage}.'")
        return self


class KbFile(BaseModel):
    """One ``data/kb/*.yaml`` file."""

    model_config = ConfigDict(extra="forbid")

    rules: List[KbRule]
    """The rules of the file, usually of one stage."""


class StageLabels(BaseModel):
    """``data/kb/stages.yaml``: the human name of each stage."""

    model_config = ConfigDict(extra="forbid")

    stages: dict[str, Bilingual]
    """Stage id to its name in both languages."""
