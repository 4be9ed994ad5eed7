"""Knowledge is data: load shipped (and user) YAML files into pydantic models, with precise errors.

Version stacks, model architectures, error rules and finding texts are YAML files shipped in the
package. A mistake in one of them (or in a user's file) must be reported with the file, the line and
the key, never as a bare traceback; :class:`DataFileError` carries all three.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Type, TypeVar, Union

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

M = TypeVar("M", bound=BaseModel)
PathLike = Union[str, Path]

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The directory of the ``mindpilot`` package (the repository root in a checkout)."""


class DataFileError(ValueError):
    """A data or config file that does not parse or does not fit its schema."""

    def __init__(self, file: str, line: Optional[int], key: Optional[str], message: str) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


def package_path(*parts: str) -> Path:
    """Path of a file shipped in the package, e.g. ``package_path("validators", "data", "stacks.yaml")``."""
    return PACKAGE_ROOT.joinpath(*parts)


def read_text(path: PathLike) -> str:
    """A UTF-8 text file's content; :class:`DataFileError` in words a user can act on when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), None, None, cannot_read(exc)) from exc


def read_yaml(path: PathLike, text: Optional[str] = None) -> Any:
    """Parse YAML with ruamel's round-trip loader, which keeps line numbers (and comments).

    Raises:
        DataFileError: the file is missing, unreadable, or not valid YAML (with the line of the problem).
    """
    name = str(path)
    if text is None:
        text = read_text(path)
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataFileError(name, line, None, f"invalid YAML: {exc.problem or exc}") from exc


def line_of(node: Any, loc: Sequence[Union[str, int]]) -> Optional[int]:
    """1-based line of the deepest key or item of ``loc`` that exists in a ruamel document."""
    line: Optional[int] = None
    for key in loc:
        if isinstance(node, dict) and key in node:
            if isinstance(node, CommentedMap):
                line = _key_line(node, key, line)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if isinstance(node, CommentedSeq):
                line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(node, (CommentedMap, CommentedSeq)) and node.lc.line is not None:
        line = node.lc.line + 1
    return line


def _key_line(node: CommentedMap, key: Any, fallback: Optional[int]) -> Optional[int]:
    """Line of ``key`` in ``node``; a key that comes from a ``<<:`` merge has no position here."""
    try:
        return node.lc.key(key)[0] + 1
    except (KeyError, TypeError):
        return node.lc.line + 1 if node.lc.line is not None else fallback


def validate(model: Type[M], data: Any, file: str, document: Any = None) -> M:
    """Validate ``data`` against ``model``; a failure names the file, line and key of the first error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [part for part in first["loc"] if isinstance(part, (str, int))]
        key = loc_text(loc) or None
        raise DataFileError(file, line_of(document if document is not None else data, loc), key,
                            plain_message(first)) from exc


def loc_text(loc: Any) -> str:
    """A pydantic error location as ``env.NAME.0``; a key holding a newline or other control character is
    shown as its ``repr`` so the message stays one line."""
    return ".".join(repr(part) if isinstance(part, str) and not part.isprintable() else str(part) for part in loc)


def cannot_read(exc: Union[OSError, UnicodeDecodeError]) -> str:
    """Why a file could not be read, in words a user can act on (not a codec's message)."""
    if isinstance(exc, UnicodeDecodeError):
        return (f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): a binary file, "
                f"or saved as GBK? Save it as UTF-8")
    return f"cannot read: {exc.strerror or exc}"


def plain_message(error: Any) -> str:
    """A pydantic error's message without pydantic's "Value error, " prefix (users never wrote a validator)."""
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def load_model(model: Type[M], path: PathLike) -> M:
    """Read a YAML file and validate it as ``model``."""
    document = read_yaml(path)
    return validate(model, document, str(path), document)
