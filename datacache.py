"""The caches of the YAML shipped in the package: parsed once (JSON), or built once (validated objects).

ruamel's pure-Python parser needs about 0.3 s for the knowledge base and the rule texts, more than the
rest of a ``doctor`` run; ``json`` reads the same data in milliseconds. Validating with pydantic costs its
import (about 0.1 s), so the knowledge a quick command needs is kept already validated (:func:`built`).
The YAML files stay the source people edit: an entry is used only while its file has the size and
modification time it was made from.

Entries live in ``$MINDPILOT_CACHE_DIR``, else the platform's user cache directory. A directory that
cannot be written means no cache, a damaged entry is parsed again: the cache can only make a run faster.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

T = TypeVar("T")
MISS = object()
"""What :func:`load` returns when there is no fresh entry."""
FORMAT = 1
"""Bumped when the entry layout changes; older entries are then ignored."""


def cache_dir() -> Path:
    """``$MINDPILOT_CACHE_DIR`` or the user cache directory of mindpilot, with a ``yaml`` subfolder."""
    override = os.environ.get("MINDPILOT_CACHE_DIR")
    if override:
        return Path(override) / "yaml"
    if sys.platform.startswith("linux"):  # what platformdirs answers on Linux, without importing it
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mindpilot" / "yaml"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mindpilot")) / "yaml"


def shipped(path: Union[str, Path]) -> bool:
    """A knowledge file shipped in the package: YAML under a ``data`` folder, or the TUI's labels.

    Only these are cached: users' files change all the time, and the configs and presets we ship are
    checked like users' files, whose findings need line numbers.
    """
    from mindpilot.datafiles import PACKAGE_ROOT

    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    if resolved.suffix not in (".yaml", ".yml") or PACKAGE_ROOT not in resolved.parents:
        return False
    parts = resolved.relative_to(PACKAGE_ROOT).parts
    return "tests" not in parts and ("data" in parts[:-1] or parts == ("tui", "labels.yaml"))


def _entry(path: Path) -> Path:
    return cache_dir() / (hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:24] + ".json")


def _stamp(path: Path) -> Optional[list]:
    try:
        status = path.stat()
    except OSError:
        return None
    return [FORMAT, status.st_size, status.st_mtime_ns]


def load(path: Union[str, Path]) -> Any:
    """The cached data of ``path`` when its entry is fresh, else :data:`MISS`."""
    target = Path(path)
    stamp = _stamp(target)
    if stamp is None:
        return MISS
    try:
        with open(_entry(target), encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return MISS
    if not isinstance(entry, dict) or entry.get("stamp") != stamp or entry.get("file") != str(target.resolve()):
        return MISS
    return entry.get("data", MISS)


def store(path: Union[str, Path], document: Any) -> None:
    """Keep ``document`` (ruamel's parse of ``path``) as plain JSON; silently nothing when impossible."""
    target = Path(path)
    stamp = _stamp(target)
    data = _plain(document)
    if stamp is None or data is MISS:
        return
    entry = _entry(target)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}")
        temporary.write_text(json.dumps({"file": str(target.resolve()), "stamp": stamp, "data": data},
                                        ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, entry)
    except OSError:
        return


def _plain(node: Any) -> Any:
    """``node`` as JSON types, or :data:`MISS` when JSON would change it (non-string keys, dates)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            item = _plain(value)
            if not isinstance(key, str) or item is MISS:
                return MISS
            out[str(key)] = item
        return out
    if isinstance(node, list):
        items = [_plain(value) for value in node]
        return MISS if any(item is MISS for item in items) else items
    if node is None or isinstance(node, bool):
        return node
    if type(node).__name__ == "ScalarBoolean":
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return MISS


def built(path: Union[str, Path], name: str, build: Callable[[], T]) -> T:
    """``build()`` (which reads and validates the shipped file ``path``), kept while nothing it read changed.

    The entry holds the validated objects themselves, so a run that finds it needs neither the YAML parser
    nor pydantic. It is a pickle, so it is read only from a cache directory that belongs to this user and
    that nobody else can write. Its header names the files it depends on with their stamps: ``path``, the
    module that defines ``build`` and the modules of every type in the result; when one of them changed,
    the objects are not even unpickled, and ``build()`` runs again. A file outside the shipped knowledge is
    simply built.
    """
    if not shipped(path):
        return build()
    # one entry per Python version: two interpreters sharing the cache do not rebuild each other's entries
    version = f"py{sys.version_info[0]}{sys.version_info[1]}"
    entry = cache_dir() / f"{_entry(Path(path)).stem}.{name}.{version}.pickle"
    cached = _read_pickle(entry)
    if cached is not MISS:
        return cached
    result = build()
    files = {str(Path(path).resolve()), sys.modules[build.__module__].__file__ or "", *_type_files(result)}
    _write_pickle(entry, [(file, _stamp(Path(file))) for file in sorted(files)], result)
    return result


def _type_files(result: Any, limit: int = 1_000_000) -> set:
    """The source files of mindpilot's own types found in ``result`` (dataclasses, enums, texts), walked
    through containers and dataclass fields; at most ``limit`` objects."""
    import dataclasses

    from mindpilot.datafiles import PACKAGE_ROOT

    files, seen_types, stack, visited = set(), set(), [result], 0
    while stack and visited < limit:
        item = stack.pop()
        visited += 1
        kind = type(item)
        if kind not in seen_types:
            seen_types.add(kind)
            source = getattr(sys.modules.get(kind.__module__), "__file__", None)
            if source and Path(source).resolve().is_relative_to(PACKAGE_ROOT):
                files.add(source)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, spec.name) for spec in dataclasses.fields(item))
    return files


def _private(path: Path) -> bool:
    """``path`` is this user's and no one else may write it."""
    try:
        status = path.stat()
    except OSError:
        return False
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _read_pickle(entry: Path) -> Any:
    import pickle

    if not (_private(entry.parent) and _private(entry)):
        return MISS
    try:
        with open(entry, "rb") as handle:
            header = pickle.load(handle)  # (FORMAT, [(file, stamp), ...]): plain data only
            if not (isinstance(header, tuple) and header[0] == FORMAT
                    and all(_stamp(Path(file)) == stamp for file, stamp in header[1])):
                return MISS
            return pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged or outdated entry: build again
        return MISS


def _write_pickle(entry: Path, depends: list, result: Any) -> None:
    import pickle

    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((FORMAT, depends), handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return
