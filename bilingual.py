"""One text in Chinese and English: the type every user-facing text in the data files has.

A plain frozen class, not a pydantic model, so that showing a text costs no pydantic import; the pydantic
models of the data files still validate it as a field (both languages required, no other key), through
:meth:`Bilingual.__get_pydantic_core_schema__`. ``from mindpilot.i18n import Bilingual`` still works.
"""

from __future__ import annotations

from typing import Any


class Bilingual:
    """One text in both languages; both are required so that no finding is untranslated."""

    __slots__ = ("zh", "en")

    zh: str
    """The Chinese text."""
    en: str
    """The English text."""

    def __init__(self, *, zh: str, en: str) -> None:
        if not isinstance(zh, str) or not isinstance(en, str):
            raise ValueError("a bilingual text needs zh and en, both strings")
        object.__setattr__(self, "zh", zh)
        object.__setattr__(self, "en", en)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Bilingual text is frozen")

    def __reduce__(self) -> Any:
        return _rebuild, (self.zh, self.en)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"Bilingual(zh={self.zh!r}, en={self.en!r})"

    def get(self, lang: str) -> str:
        """The text in ``lang`` (English for anything that is not ``zh``)."""
        return self.zh if lang == "zh" else self.en

    def format(self, lang: str, /, **params: object) -> str:
        """The text in ``lang`` with ``{name}`` placeholders filled from ``params``."""
        return self.get(lang).format_map(_Defaulting(params))

    def model_dump(self, mode: str = "python") -> dict[str, str]:
        """``{"zh": ..., "en": ...}``."""
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Validated as a mapping with exactly ``zh`` and ``en`` (strings); dumped back as that mapping."""
        from pydantic_core import core_schema

        mapping = core_schema.typed_dict_schema(
            {"zh": core_schema.typed_dict_field(core_schema.str_schema()),
             "en": core_schema.typed_dict_field(core_schema.str_schema())},
            extra_behavior="forbid")
        from_mapping = core_schema.no_info_after_validator_function(lambda data: cls(**data), mapping)
        return core_schema.no_info_before_validator_function(
            lambda value: value.model_dump() if isinstance(value, cls) else value, from_mapping,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda text: text.model_dump()))


def _rebuild(zh: str, en: str) -> Bilingual:
    return Bilingual(zh=zh, en=en)


class _Defaulting(dict):
    """A format mapping that leaves unknown placeholders visible instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
