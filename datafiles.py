"""Knowledge is data: load shipped (and user) YAML files into pydantic models, with precise errors.

Version stacks, model architectures, error rules and finding texts are YAML files shipped in the
package. A mistake in one of them (or in a user's file) must be reported with the file, the line and
the key, never as a bare traceback; :class:`DataFileError` carries all three.

It sits at the package root, beside :mod:`mindpilot.fileio` (the write side), because every layer reads
data: ``presets`` (model catalogue, presets) as much as ``validators`` (rules, stacks, user configs).

ruamel's pure-Python parser takes about as long as the rest of a ``doctor`` run, so the knowledge shipped
in the package is compiled to JSON at build time (:mod:`.compiled`); the YAML stays the source people edit.
ruamel and pydantic are imported on first use, so that ``mindpilot --help`` loads neither.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Type, TypeVar, Union

M = TypeVar("M")
PathLike = Union[str, Path]

PACKAGE_ROOT = Path(__file__).resolve().parent
"""The directory of the ``mindpilot`` package (the repository root in a checkout)."""

MAX_TEXT_BYTES = 512 * 1024
"""Largest config, preset, ``config.json`` or script read whole: 40 times the largest config in the corpus
(12 KB); parsing is pure Python, so a bigger file would take minutes instead of a one-line refusal."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists accepted in a YAML or JSON document (MindFormers itself refuses 10)."""
MAX_NODES = 200_000
"""Most values a YAML or JSON document may hold, counting an alias at every place it is used: a
"billion laughs" document expands to 10^9 and is refused here instead of hanging every walk over it."""


class DataFileError(ValueError):
    """A data or config file that does not parse or does not fit its schema."""

    def __init__(self, file: str, line: Optional[int], key: Optional[str], message: str) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


class FieldValueError(ValueError):
    """Raised by a dataclass's ``__post_init__`` for one field, so that the error names that field's key."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


class InputBoundError(DataFileError):
    """An input beyond a stated bound (size, nesting, alias expansion, a number's range): refused whole, in
    one line with exit 2, never reported as a finding about its content."""


def package_path(*parts: str) -> Path:
    """Path of a file shipped in the package, e.g. ``package_path("validators", "data", "stacks.yaml")``."""
    return PACKAGE_ROOT.joinpath(*parts)


def read_bytes(path: PathLike, limit: int = MAX_TEXT_BYTES,
               inspect: Optional[Callable[[int, os.stat_result], None]] = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``inspect(fd, status)``, when given, sees the
    open file before it is read (and may raise to refuse it).

    Raises:
        DataFileError: not a regular file (a device, FIFO or directory would hang or never end), too
            big, or unreadable.
    """
    name = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputBoundError(name, None, None, not_regular(info.st_mode))
        # O_NONBLOCK: a regular file swapped for a FIFO after the stat must not block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise InputBoundError(name, None, None, not_regular(status.st_mode))
            if inspect is not None:
                inspect(handle.fileno(), status)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise DataFileError(name, None, None, cannot_read(exc)) from exc
    if len(data) > limit:
        raise InputBoundError(name, None, None, f"larger than {limit // 1024} KiB, too big for a config file; "
                                              "nothing was read")
    return data


def read_text(path: PathLike, inspect: Optional[Callable[[int, os.stat_result], None]] = None) -> str:
    """A UTF-8 text file's content (newlines as ``\\n``, a byte-order mark kept); :class:`DataFileError` in
    words a user can act on when it cannot be read (see :func:`read_bytes` for the bounds and ``inspect``)."""
    data = read_bytes(path, inspect=inspect)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), None, None, cannot_read(exc)) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def not_regular(mode: int) -> str:
    """Why a path that is not a regular file is refused, naming what it is."""
    what = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    return f"{what}, not a regular file; refused"


def parse_bounded(name: str, parse: Callable[[], Any], text: Optional[str] = None) -> Any:
    """Run ``parse()`` (a YAML or JSON loader of ``text``) and refuse a result deeper than :data:`MAX_DEPTH` or
    with more than :data:`MAX_NODES` values once aliases are expanded. Every loader of user files goes
    through here. ``text`` is scanned for bracket nesting first: ruamel's scanner slows down with the square
    of the flow depth (10,000 ``[`` take 30 s), so a flow collection past the bound is refused unparsed."""
    if text is not None and flow_depth(text) > MAX_DEPTH:
        raise InputBoundError(name, None, None, f"nested deeper than {MAX_DEPTH} levels; refused")
    try:
        with warnings.catch_warnings():  # ruamel warns on stderr about a reused anchor: legal YAML, not ours to say
            warnings.simplefilter("ignore")
            tree = parse()
    except RecursionError:
        raise InputBoundError(name, None, None, f"nested deeper than {MAX_DEPTH} levels; refused") from None
    check_shape(tree, name)
    return tree


def json_bounded(name: str, text: Union[str, bytes]) -> Any:
    """``json.loads(text)`` under the same bounds as every user file (:func:`parse_bounded`); a document past
    them raises :class:`InputBoundError`, a ``ValueError`` like every other malformed JSON."""
    import json

    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return parse_bounded(name, lambda: json.loads(text), text)


_BRACKETS = re.compile(r"[\[\]{}]")


def flow_depth(text: str) -> int:
    """The deepest nesting of ``[`` / ``{`` in ``text`` (brackets inside quotes count too: an over-estimate that
    only a file with over 100 unclosed brackets in its strings would notice)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def check_shape(tree: Any, name: str) -> None:
    """:class:`DataFileError` when ``tree`` nests deeper than :data:`MAX_DEPTH` or holds more than
    :data:`MAX_NODES` values counting each alias use; iterative, and stops at the bound."""
    stack = [(tree, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise InputBoundError(name, None, None, f"more than {MAX_NODES} values once aliases are expanded "
                                                  "(an alias bomb?); refused")
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        if depth >= MAX_DEPTH:
            raise InputBoundError(name, None, None, f"nested deeper than {MAX_DEPTH} levels; refused")
        stack.extend((child, depth + 1) for child in children)


def read_yaml(path: PathLike, text: Optional[str] = None) -> Any:
    """Parse YAML with ruamel's round-trip loader, which keeps line numbers (and comments).

    Raises:
        DataFileError: the file is missing, unreadable, or not valid YAML (with the line of the problem).
    """
    name = str(path)
    if text is None:
        text = read_text(path)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        document = parse_bounded(name, lambda: YAML(typ="rt").load(text), text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataFileError(name, line, None, f"invalid YAML: {exc.problem or exc}") from exc
    except YAMLError as exc:
        raise DataFileError(name, None, None, f"invalid YAML: {exc}") from exc
    return document


def line_of(node: Any, loc: Sequence[Union[str, int]]) -> Optional[int]:
    """1-based line of the deepest key or item of ``loc`` that exists in a ruamel document."""
    line: Optional[int] = None
    for key in loc:
        if isinstance(node, dict) and key in node:
            if hasattr(node, "lc"):  # a ruamel CommentedMap
                line = _key_line(node, key, line)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if hasattr(node, "lc"):
                line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and hasattr(node, "lc") and node.lc.line is not None:
        line = node.lc.line + 1
    return line


def _key_line(node: Any, key: Any, fallback: Optional[int]) -> Optional[int]:
    """Line of ``key`` in ``node``; a key that comes from a ``<<:`` merge has no position here."""
    try:
        return node.lc.key(key)[0] + 1
    except (KeyError, TypeError):
        return node.lc.line + 1 if node.lc.line is not None else fallback


def validate(model: Any, data: Any, file: str, document: Any = None) -> Any:
    """Validate ``data`` against ``model`` (a pydantic model, or any type pydantic validates: a dataclass,
    ``list[SomeDataclass]``); a failure names the file, line and key of the first error."""
    from pydantic import ValidationError

    try:
        if hasattr(model, "model_validate"):
            return model.model_validate(data)
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        if document is None and not hasattr(data, "lc") or document is not None and not hasattr(document, "lc"):
            document = _with_lines(file, document if document is not None else data)
        first = exc.errors()[0]
        loc = [part for part in first["loc"] if isinstance(part, (str, int))]
        cause = (first.get("ctx") or {}).get("error")
        message = plain_message(first)
        if isinstance(cause, FieldValueError):
            loc, message = loc + [cause.field], cause.message
        key = loc_text(loc) or None
        raise DataFileError(file, line_of(document if document is not None else data, loc), key, message) from exc


@lru_cache(maxsize=None)
def _adapter(model: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(model)


def loc_text(loc: Any) -> str:
    """A pydantic error location as ``env.NAME.0``; a key holding a newline or other control character is
    shown as its ``repr`` so the message stays one line."""
    return ".".join(repr(part) if isinstance(part, str) and not part.isprintable() else str(part) for part in loc)


def _with_lines(file: str, document: Any) -> Any:
    """A shipped file read without line numbers (a fast loader) parsed again with ruamel, to name the line
    of an error."""
    from mindpilot import compiled

    if not compiled.shipped(file):
        return document
    try:
        return read_yaml(file, read_text(file))
    except DataFileError:
        return document


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
