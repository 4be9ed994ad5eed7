"""One text in Chinese and English: the type every user-facing text in the data files has.

Kept apart from :mod:`mindpilot.i18n` (which picks the language) because it is a pydantic model, and
choosing a language must not cost pydantic's import; ``from mindpilot.i18n import Bilingual`` still works.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Bilingual(BaseModel):
    """One text in both languages; both are required so that no finding is untranslated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    """The Chinese text."""
    en: str
    """The English text."""

    def get(self, lang: str) -> str:
        """The text in ``lang`` (English for anything that is not ``zh``)."""
        return self.zh if lang == "zh" else self.en

    def format(self, lang: str, **params: object) -> str:
        """The text in ``lang`` with ``{name}`` placeholders filled from ``params``."""
        return self.get(lang).format_map(_Defaulting(params))


class _Defaulting(dict):
    """A format mapping that leaves unknown placeholders visible instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
