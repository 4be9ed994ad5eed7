"""The parse cache of the YAML shipped in the package: parsed once, kept as JSON, checked against the file.

ruamel's pure-Python parser needs about 0.3 s for the knowledge base and the rule texts, more than the
rest of a ``doctor`` run; ``json`` reads the same data in milliseconds. The YAML files stay the source
people edit: an entry is used only while its file has the size and modification time it was made from.

Entries live in ``$MINDPILOT_CACHE_DIR``, else the platform's user cache directory. A directory that
cannot be written means no cache, a damaged entry is parsed again: the cache can only make a run faster.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional, Union

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
