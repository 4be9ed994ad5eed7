"""What one rule matching one line gives: the hit (rule, line, what matched, the named groups) and the rule's
texts as a finding with ``{name}`` filled from those groups. Apart from the matcher, which only finds hits."""

from __future__ import annotations

import shlex
from typing import Dict, Optional

from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.kb.model import PLACEHOLDER, KbPattern, KbRule


class KbHit:
    """One rule matching one line."""

    __slots__ = ("kb_rule", "pattern", "text", "matched", "groups")

    def __init__(self, kb_rule: KbRule, pattern: KbPattern, text: str, matched: str,
                 groups: Optional[Dict[str, str]] = None) -> None:
        self.kb_rule = kb_rule
        self.pattern = pattern
        self.text = text
        self.matched = matched
        self.groups = groups or {}
        """What the pattern's named groups matched (masked, cut): fills ``{name}`` in the rule's texts."""

    @property
    def rule(self) -> str:
        """The rule id."""
        return self.kb_rule.id

    @property
    def severity(self) -> Severity:
        return self.kb_rule.severity

    @property
    def stage(self) -> str:
        return self.kb_rule.stage

    @property
    def consequence(self) -> bool:
        return self.kb_rule.consequence

    def to_finding(self, lang: str, file: Optional[str] = None, line: Optional[int] = None,
                   rank: Optional[int] = None, **extra: object) -> Finding:
        """The hit as a finding in ``lang`` (rank, matched text and stage as extra keys)."""
        return rule_finding(self.kb_rule, lang, file=file, line=line, rank=rank, matched=self.matched,
                            groups=self.groups, **extra)

    def __repr__(self) -> str:
        return f"KbHit({self.rule!r}, {self.matched!r})"


def rule_finding(rule: KbRule, lang: str, groups: Optional[Dict[str, str]] = None, **extra: object) -> Finding:
    """A rule's texts as a finding, ``{name}`` filled from ``groups``; its fix commands follow the fix
    text, one per line."""
    fix = fill(rule.fix.get(lang), groups)
    commands = [filled for filled in (fill_command(command, groups) for command in rule.commands) if filled]
    if commands:
        fix = fix + "\n" + "\n".join("$ " + command for command in commands)
    file = extra.pop("file", None)
    line = extra.pop("line", None)
    return Finding(rule=rule.id, severity=rule.severity, title=fill(rule.title.get(lang), groups),
                   detail=fill(rule.cause.get(lang), groups), fix=fix, file=file, line=line, source=rule.source,
                   stage=rule.stage, consequence=rule.consequence, **({"success": True} if rule.success else {}),
                   **extra)


def fill_command(command: str, groups: Optional[Dict[str, str]]) -> Optional[str]:
    """``command`` with each ``{name}`` filled from ``groups`` as one shell word, or None when a name has no value
    here or its value could only be quoted where the command does not let it stand as a word of its own: a
    value read from a log is never spliced into shell text unquoted."""
    names = [name for name in PLACEHOLDER.findall(command) if name]
    if not names:
        return command
    if not groups or not all(groups.get(name) for name in names):
        return None
    words = []
    for found in PLACEHOLDER.finditer(command):
        if not found.group(1):
            words.append(found.group(0))  # ``{}`` (find -exec) is the command's own
            continue
        value = groups[found.group(1)]
        alone = command[found.start() - 1:found.start()] in ("", " ") and command[found.end():found.end() + 1] in ("", " ")
        if shlex.quote(value) != value and not alone:
            return None  # inside quotes or glued to other text: quoting it here would change the command
        words.append(shlex.quote(value))
    pieces = iter(words)
    return PLACEHOLDER.sub(lambda found: next(pieces), command)


MAX_GROUP = 120
"""Characters of a named group kept for a rule's texts."""


def fill(text: str, groups: Optional[Dict[str, str]]) -> str:
    """``text`` with each ``{name}`` replaced by ``groups[name]`` (``?`` when this match has no such group).

    Only ``{word}`` forms are touched, so other braces in a text stay as written; texts of rules
    without groups are returned unchanged.
    """
    if not groups or "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda found: groups.get(found.group(1), "?") if found.group(1) else found.group(0),
                           text)
