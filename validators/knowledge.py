"""Version knowledge that outlives a mindpilot release: the shipped table plus what the user learned.

``mindpilot knowledge learn mindformers==2.2.0`` reads a release's own METADATA, ``VERSION_MAP.json``
and config list (see :mod:`mindpilot.validators.learn`) and stores them here, as one JSON file per
release in the user's data directory (``$MINDPILOT_DATA_DIR`` or platformdirs' user data dir). The
doctor turns each learned release into a stack row, and ``check`` can ask :func:`learned_release`
which configs a release ships. A damaged overlay file is skipped, never fatal.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Optional

from mindpilot.datafiles import package_path, read_yaml, validate
from mindpilot.validators.versions import version_key

KNOWLEDGE_FILE = package_path("validators", "data", "knowledge.yaml")
DATA_ENV = "MINDPILOT_DATA_DIR"
MAX_OVERLAY_FILES = 200
"""Learned releases read at most (newest file names first); bounds start-up on a cluttered data dir."""


@dataclass(frozen=True)
class LearnedRelease:
    """What one framework release says about itself, read from its wheel."""

    name: str
    """Normalized distribution name (``mindformers``)."""
    version: str
    """Its version (``2.2.0``)."""
    wheel: str
    """The wheel file it was read from."""
    learned: str
    """The day it was learned (ISO date)."""
    requires: list[str] = field(default_factory=list)
    """Its ``Requires-Dist`` lines."""
    requires_python: Optional[str] = None
    """Its ``Requires-Python``."""
    version_map: Optional[dict] = None
    """Its ``mindformers/VERSION_MAP.json``, when it ships one."""
    configs: list[str] = field(default_factory=list)
    """The YAML configs it ships (``configs/deepseek3/predict_deepseek3_671b.yaml`` ...), wheel paths."""


def data_dir() -> Path:
    """``$MINDPILOT_DATA_DIR``, else the platform's user data directory for mindpilot."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("mindpilot", appauthor=False))


def overlay_dir() -> Path:
    """Where learned releases are stored."""
    return data_dir() / "knowledge"


def table_date() -> str:
    """The day the shipped tables were last checked against the frameworks' releases."""
    return str(_shipped_meta().get("checked", "?"))


@lru_cache(maxsize=1)
def _shipped_meta() -> dict:
    from mindpilot import compiled

    return compiled.built(KNOWLEDGE_FILE, "meta", _read_meta)


def _read_meta() -> dict:
    document = read_yaml(KNOWLEDGE_FILE)
    return {str(key): str(value) for key, value in document.items() if key == "checked"} \
        if isinstance(document, dict) else {}


def load_learned(directory: Optional[Path] = None) -> tuple[LearnedRelease, ...]:
    """Every readable learned release, newest version first."""
    directory = directory or overlay_dir()
    return _load_learned(str(directory), _stamp(directory))


def _stamp(directory: Path) -> float:
    try:
        return directory.stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=4)
def _load_learned(directory: str, stamp: float) -> tuple[LearnedRelease, ...]:
    del stamp  # part of the cache key only: a new learn changes the directory's mtime
    releases = []
    try:
        paths = sorted(Path(directory).glob("*.json"), reverse=True)[:MAX_OVERLAY_FILES]
    except OSError:
        return ()
    for path in paths:  # pydantic is imported only when something was learned
        try:
            releases.append(validate(LearnedRelease, json.loads(path.read_text(encoding="utf-8")), str(path)))
        except (OSError, ValueError, RecursionError):  # a damaged or hostile cache file (DataFileError too)
            continue
    return tuple(sorted(releases, key=lambda r: (r.name, version_key(r.version)), reverse=True))


def save_learned(release: LearnedRelease, directory: Optional[Path] = None) -> Path:
    """Store ``release`` (replacing an earlier learn of the same version); returns the file."""
    from mindpilot.fileio import write_atomic

    directory = directory or overlay_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{release.name}-{release.version}.json"
    write_atomic(path, json.dumps(asdict(release), indent=1, ensure_ascii=False) + "\n")
    return path


def learned_release(name: str, version: str) -> Optional[LearnedRelease]:
    """The learned release ``name==version`` (for ``check``: which configs it ships), if learned."""
    return next((r for r in load_learned() if r.name == name and r.version == version), None)


def today() -> str:
    """Today as an ISO date (one place, so tests can read what learn stores)."""
    return date.today().isoformat()
