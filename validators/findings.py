"""The one result type every check returns: doctor, check, diagnose and launch preflight alike.

The JSON shape is part of the CLI contract::

    {"rule", "severity", "title", "detail", "fix", "file", "line", "source"}

Commands may add keys of their own (``diagnose`` adds ``rank``, ``count``, ``matched``, ``time``);
the eight keys above are always present.
"""

from __future__ import annotations

from enum import Enum
from pathlib import PurePath
from typing import Any, Iterable, Optional

from mindpilot.exit_codes import ExitCode


class Severity(str, Enum):
    """How bad a finding is; only ``error`` makes a command exit with :attr:`ExitCode.FINDINGS`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info: sort key, worst first."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_FIELDS = ("rule", "severity", "title", "detail", "fix", "file", "line", "source")


class Finding:
    """One thing a check found, with its cause and the fix, in the user's language.

    A plain class, not a pydantic model: every command makes findings, and a quick ``check`` must not pay
    pydantic's import. Pydantic models may still hold findings as fields (:meth:`__get_pydantic_core_schema__`).
    Keyword arguments beyond the eight fields are kept as extra keys (:attr:`model_extra`).
    """

    rule: str
    """Stable id, namespaced by family (``doctor.*``, ``parallel.*``, ``recompute.*``, ``kb.*`` ...)."""
    severity: Severity
    """error, warning or info."""
    title: str
    """One line that says what is wrong."""
    detail: str
    """Why it is wrong: the cause, and the error the real framework would raise."""
    fix: str
    """What to do, ideally an exact command or the exact line to change."""
    file: Optional[str]
    """The file the finding is about, when there is one."""
    line: Optional[int]
    """1-based line in ``file``."""
    source: Optional[str]
    """Where the rule comes from: a source file and line in the real framework, a document, an issue."""

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __init__(self, *, rule: str, severity: Any, title: str, detail: str = "", fix: str = "",
                 file: Optional[str] = None, line: Any = None, source: Optional[str] = None, **extra: Any) -> None:
        for name, value in (("rule", rule), ("title", title), ("detail", detail), ("fix", fix)):
            if not isinstance(value, str):
                raise ValueError(f"finding {name} must be a string, got {type(value).__name__}")
        for name, value in (("file", file), ("source", source)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"finding {name} must be a string or None, got {type(value).__name__}")
        self.rule, self.title, self.detail, self.fix = rule, title, detail, fix
        self.severity = Severity(severity)
        self.file, self.source = file, source
        self.line = _line(line)
        self.__dict__.update(extra)

    @property
    def model_extra(self) -> dict[str, Any]:
        """The keys a command added beyond the eight of the contract (``rank``, ``count`` ...)."""
        return {key: value for key, value in self.__dict__.items() if key not in _FIELDS}

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The eight fields and the extra keys; ``mode="json"`` makes every value JSON-ready."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data.update(self.model_extra)
        return _jsonable(data) if mode == "json" else data

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of the CLI contract (extra keys included)."""
        return self.model_dump(mode="json")

    def model_copy(self, update: Optional[dict[str, Any]] = None) -> "Finding":
        """A copy with the fields in ``update`` replaced."""
        return Finding(**{**self.model_dump(), **(update or {})})

    @classmethod
    def model_validate(cls, data: Any) -> "Finding":
        """A finding from a finding or from its dict (as :meth:`model_dump` or the JSON contract gives it)."""
        if isinstance(data, Finding):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"a finding must be a mapping, got {type(data).__name__}")
        try:
            return cls(**{str(key): value for key, value in data.items()})
        except TypeError as exc:  # a missing rule, severity or title
            raise ValueError(str(exc)) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in self.model_dump().items())
        return f"Finding({fields})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models hold findings: validated from a dict, dumped as the contract's dict."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.model_validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda finding, info: finding.model_dump(mode=info.mode), info_arg=True))


def _line(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"finding line must be an integer, got {type(value).__name__}")
    return int(value)


def _jsonable(value: Any) -> Any:
    """``value`` with enums as their values, paths as strings and tuples as lists, recursively."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump())
    return value


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by file and line, keeping the original order otherwise."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.file or "", f.line or 0))


def exit_code_for(findings: Iterable[Finding]) -> ExitCode:
    """:attr:`ExitCode.FINDINGS` when any finding is an error, else :attr:`ExitCode.OK`."""
    return ExitCode.FINDINGS if any(f.severity is Severity.ERROR for f in findings) else ExitCode.OK
