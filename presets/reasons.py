"""The planner's reasons in words: why a candidate layout ranks where it does, in both languages.

The texts are data (``data/plan_reasons.yaml``), each with its source, like the checkers' rule texts;
they live with the planner so that ``presets`` reads nothing from ``validators``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from pydantic import BaseModel, ConfigDict, RootModel

from mindpilot.datafiles import DataFileError, line_of, package_path, read_yaml, validate
from mindpilot.i18n import Bilingual

REASONS_FILE = package_path("presets", "data", "plan_reasons.yaml")


class ReasonText(BaseModel):
    """The words of one planner reason."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    """Stable id, ``plan.name``."""
    title: Bilingual
    """One line; may hold ``{placeholders}`` filled by the planner."""
    fix: Optional[Bilingual] = None
    """What to do when the reason is a problem (a layout that does not fit)."""
    source: str
    """Where the rule or the number comes from."""


class ReasonFile(RootModel[list[ReasonText]]):
    """``data/plan_reasons.yaml``: a list of reason texts."""


@lru_cache(maxsize=1)
def reason_texts() -> dict[str, ReasonText]:
    """Every reason text by id (parsed once); a duplicate id is a :class:`DataFileError`."""
    document = read_yaml(REASONS_FILE)
    texts: dict[str, ReasonText] = {}
    for index, text in enumerate(validate(ReasonFile, document or [], str(REASONS_FILE), document).root):
        if text.rule in texts:
            raise DataFileError(str(REASONS_FILE), line_of(document, [index]), "rule", f"duplicate id {text.rule!r}")
        texts[text.rule] = text
    return texts


def reason_text(rule: str, lang: str, **params: object) -> str:
    """The one-line text of reason ``rule`` in ``lang`` (KeyError for an unknown id: a programming error)."""
    return reason_texts()[rule].title.format(lang, **params)
