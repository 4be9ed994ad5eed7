"""Thin adapters from the TUI to the core: one function per core call, imported lazily.

Screens call these from thread workers. Importing lazily keeps each screen usable while a core
module is still missing (the screen then says which one), and gives tests one seam to replace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from mindpilot.validators.report import DoctorReport

if TYPE_CHECKING:
    from mindpilot.tui.session import Session


class CoreMissing(RuntimeError):
    """The core module a step needs is not installed or not written yet."""


def doctor(demo: bool, lang: str) -> DoctorReport:
    """``mindpilot doctor [--demo]``: probe and judge the environment."""
    try:
        from mindpilot.validators.doctor import run_doctor
    except ImportError as exc:
        raise CoreMissing("mindpilot.validators.doctor") from exc
    return run_doctor(demo=demo, lang=lang)


def doctor_argv(session: "Session") -> list[str]:
    """The CLI command that repeats the Environment step."""
    return ["mindpilot", "doctor", *(["--demo"] if session.demo else []), *lang_flag(session.lang)]


def lang_flag(lang: str) -> list[str]:
    """``--lang zh`` when the user works in Chinese (English needs no flag in CI logs)."""
    return ["--lang", "zh"] if lang == "zh" else []


def optional_int(text: str) -> Optional[int]:
    """An integer typed in a field, or None when the field is empty or not a number."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def optional_float(text: str) -> Optional[float]:
    """A number typed in a field, or None when the field is empty or not a number."""
    try:
        return float(text.strip())
    except ValueError:
        return None


def short(value: Any, width: int) -> str:
    """``value`` as text cut to ``width`` cells with an ellipsis (tables must fit 80 columns)."""
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
