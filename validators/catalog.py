"""Texts of the findings that code produces, kept as bilingual data with their sources.

Each family (``doctor``, ``parallel``, ``recompute``, ``grpo`` ...) has a file in ``data/rules/``.
Code names a rule id and passes values; the words, the severity and the source come from the data.
So a finding exists in Chinese and English by construction, and wording is fixed without touching code.

Example entry::

    - rule: parallel.product_mismatch
      severity: error
      title: {zh: "...{product}...", en: "dp*mp*pp = {product} but {cards} cards"}
      detail: {zh: ..., en: ...}
      fix: {zh: ..., en: ...}
      source: mindformers/tools/check_rules.py (MF 1.7)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, line_of, package_path, read_yaml, validate
from mindpilot.validators.findings import Finding, Severity

RULES_DIR = package_path("validators", "data", "rules")


@dataclass(frozen=True)
class RuleText:
    """The data behind one code-produced finding (a dataclass: pydantic validates the files, not each run)."""

    __pydantic_config__ = {"extra": "forbid"}

    rule: str
    """Stable id, ``family.name``; the family is the file name."""
    severity: Severity
    """Default severity; code may override it for a particular case."""
    title: Bilingual
    """One line; may hold ``{placeholders}`` filled by the caller."""
    detail: Optional[Bilingual] = None
    """The cause, and the exact error text the real framework prints."""
    fix: Optional[Bilingual] = None
    """What to do; commands in it are exact."""
    source: Optional[str] = None
    """Where the rule comes from (framework file and line, document, issue)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))


class Catalog:
    """Rule texts by id, each family's file parsed on first use.

    Loading lazily keeps start-up cheap (ruamel is slow to parse) and means that a broken file of one
    family breaks only the commands that use that family.
    """

    def __init__(self, rules: Optional[dict[str, RuleText]] = None, directory: Optional[Path] = None) -> None:
        self.rules: dict[str, RuleText] = dict(rules or {})
        self.directory = directory
        self._loaded: set[str] = set()

    def __contains__(self, rule: str) -> bool:
        return self.get(rule) is not None

    def get(self, rule: str) -> Optional[RuleText]:
        """The texts of ``rule``, loading its family's file when needed; None when there is no such rule."""
        if rule not in self.rules and self.directory is not None:
            family = rule.split(".", 1)[0]
            if family not in self._loaded:
                self._loaded.add(family)
                path = self.directory / f"{family}.yaml"
                if path.is_file():
                    self.rules.update(load_family(path))
        return self.rules.get(rule)

    def finding(self, rule: str, lang: str, *, file: Optional[str] = None, line: Optional[int] = None,
                severity: Optional[Severity] = None, extra: Optional[dict[str, Any]] = None,
                **params: Any) -> Finding:
        """Build the finding ``rule`` in ``lang`` with ``params`` filled into its texts.

        Raises:
            KeyError: no rule with that id (a programming error, caught by the catalogue test).
        """
        text = self.get(rule)
        if text is None:
            raise KeyError(rule)
        # ``file`` and ``line`` are the finding's location and may also be named in its texts.
        params = {**{k: v for k, v in (("file", file), ("line", line)) if v is not None}, **params}
        return Finding(
            rule=rule,
            severity=severity or text.severity,
            title=text.title.format(lang, **params),
            detail=text.detail.format(lang, **params) if text.detail else "",
            fix=text.fix.format(lang, **params) if text.fix else "",
            file=file,
            line=line,
            source=text.source,
            **(extra or {}),
        )


def load_family(path: Path) -> dict[str, RuleText]:
    """Parse one ``<family>.yaml``; a rule outside the family or a duplicate id is a :class:`DataFileError`."""
    return compiled.built(path, "rules", lambda: _read_family(path))


def _read_family(path: Path) -> dict[str, RuleText]:
    document = read_yaml(path)
    parsed = validate(list[RuleText], document or [], str(path), document)
    family = path.stem
    rules: dict[str, RuleText] = {}
    for index, text in enumerate(parsed):
        line = line_of(document, [index])
        if not text.rule.startswith(family + "."):
            raise DataFileError(str(path), line, "rule", f"{text.rule!r} must start with {family + '.'!r}")
        if text.rule in rules:
            raise DataFileError(str(path), line, "rule", f"duplicate rule id {text.rule!r}")
        rules[text.rule] = text
    return rules


def load_catalog(directory: Path = RULES_DIR) -> Catalog:
    """Load every family file in ``directory`` now (tests and tools that want all rules at once)."""
    rules: dict[str, RuleText] = {}
    for path in sorted(directory.glob("*.yaml")):
        rules.update(load_family(path))
    return Catalog(rules)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The shipped catalogue; each family is read the first time one of its rules is used."""
    return Catalog(directory=RULES_DIR)


def make_finding(rule: str, lang: str, **kwargs: Any) -> Finding:
    """Shorthand for ``catalog().finding(rule, lang, ...)``."""
    return catalog().finding(rule, lang, **kwargs)
