"""Chinese and English for every user-facing text, and how the language is chosen.

Our users work in Chinese as often as in English. Texts live in data files as ``{zh: ..., en: ...}``
pairs (:class:`Bilingual`); code picks one with :func:`detect_lang` or the ``--lang`` flag.
"""

from __future__ import annotations

import os
from typing import Literal, Mapping, Optional

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")


def detect_lang(environ: Optional[Mapping[str, str]] = None) -> Lang:
    """Return ``"zh"`` when ``LC_ALL`` (or else ``LANG``) starts with ``zh``, otherwise ``"en"``."""
    env = os.environ if environ is None else environ
    value = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh" if value.lower().startswith("zh") else "en"


def __getattr__(name: str):
    # Bilingual is defined in mindpilot.bilingual and imported on first use, so that reading the
    # language (`mindpilot --help`, every command's flags) imports nothing more.
    if name == "Bilingual":
        from mindpilot.bilingual import Bilingual

        return Bilingual
    raise AttributeError(name)
