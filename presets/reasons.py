"""The planner's reasons in words: why a candidate layout ranks where it does, in both languages.

The texts are data (``data/plan_reasons.yaml``), each with its source, like the checkers' rule texts;
they live with the planner so that ``presets`` reads nothing from ``validators``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, line_of, package_path, read_yaml, validate

REASONS_FILE = package_path("presets", "data", "plan_reasons.yaml")


@dataclass(frozen=True)
class ReasonText:
    """The words of one planner reason."""

    __pydantic_config__ = {"extra": "forbid"}

    rule: str
    """Stable id, ``plan.name``."""
    title: Bilingual
    """One line; may hold ``{placeholders}`` filled by the planner."""
    source: str
    """Where the rule or the number comes from."""
    fix: Optional[Bilingual] = None
    """What to do when the reason is a problem (a layout that does not fit)."""


@lru_cache(maxsize=1)
def reason_texts() -> dict[str, ReasonText]:
    """Every reason text by id (parsed once); a duplicate id is a :class:`DataFileError`."""
    return compiled.built(REASONS_FILE, "reasons", _read_reasons)


def _read_reasons() -> dict[str, ReasonText]:
    document = read_yaml(REASONS_FILE)
    texts: dict[str, ReasonText] = {}
    for index, text in enumerate(validate(list[ReasonText], document or [], str(REASONS_FILE), document)):
        if text.rule in texts:
            raise DataFileError(str(REASONS_FILE), line_of(document, [index]), "rule", f"duplicate id {text.rule!r}")
        texts[text.rule] = text
    return texts


def reason_text(rule: str, lang: str, **params: object) -> str:
    """The one-line text of reason ``rule`` in ``lang`` (KeyError for an unknown id: a programming error)."""
    return reason_texts()[rule].title.format(lang, **params)
