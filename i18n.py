"""Chinese and English for every user-facing text, and how the language is chosen.

Our users work in Chinese as often as in English. Texts live in data files as ``{zh: ..., en: ...}``
pairs (:class:`Bilingual`); code picks one with :func:`detect_lang` or the ``--lang`` flag.
"""

from __future__ import annotations

import os
from typing import Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")


def detect_lang(environ: Optional[Mapping[str, str]] = None) -> Lang:
    """Return ``"zh"`` when ``LC_ALL`` (or else ``LANG``) starts with ``zh``, otherwise ``"en"``."""
    env = os.environ if environ is None else environ
    value = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh" if value.lower().startswith("zh") else "en"


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
