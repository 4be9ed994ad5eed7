"""Version knowledge that outlives a mindpilot release: the shipped table plus what the user learned.

``mindpilot knowledge learn mindformers==2.2.0`` reads a release's own METADATA, ``VERSION_MAP.json``
and config list (see :mod:`mindpilot.validators.learn`) and stores them here, as one JSON file per
release in the user's data directory (``$MINDPILOT_DATA_DIR`` or platformdirs' user data dir). The
doctor turns each learned release into a stack row, and ``check`` can ask :func:`learned_release`
which configs a release ships. A damaged overlay file is skipped, never fatal; so is one that someone
else could have written (:mod:`mindpilot.userdata`). A file's name is made from the release's normalised
distribution name and version only (:func:`overlay_name`), never from text that could hold a path.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Optional

from mindpilot.datafiles import package_path, read_yaml, validate
from mindpilot.userdata import data_dir
from mindpilot.validators.versions import version_key

KNOWLEDGE_FILE = package_path("validators", "data", "knowledge.yaml")
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
    from mindpilot.datafiles import json_bounded
    from mindpilot.userdata import list_private, read_private

    releases = []
    names = sorted(list_private(Path(directory), ".json"), reverse=True)[:MAX_OVERLAY_FILES]
    for name in names:  # pydantic is imported only when something was learned
        path = Path(directory) / name
        data = read_private(path)
        if data is None:
            continue
        try:
            releases.append(validate(LearnedRelease, json_bounded(str(path), data), str(path)))
        except (ValueError, RecursionError):  # a damaged or hostile file (DataFileError, bounds too)
            continue
    return tuple(sorted(releases, key=lambda r: (r.name, version_key(r.version)), reverse=True))


def overlay_name(name: str, version: str) -> str:
    """``mindformers-2.2.0.json``: the file of a learned release, from its validated, normalised
    distribution name (PEP 508) and version (PEP 440) only.

    Raises:
        ValueError: ``name`` is not a distribution name or ``version`` not a version.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if not _DIST_NAME.fullmatch(name or ""):
        raise ValueError(f"{name!r} is not a distribution name")
    try:
        normal = str(Version(version))
    except InvalidVersion:
        raise ValueError(f"{version!r} is not a version (PEP 440)") from None
    return f"{canonicalize_name(name)}-{normal}.json"


_DIST_NAME = re.compile(r"[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")
"""PEP 508 names: no ``/``, no leading dot or dash."""


def save_learned(release: LearnedRelease, directory: Optional[Path] = None) -> Path:
    """Store ``release`` (replacing an earlier learn of the same version); returns the file.

    Raises:
        ValueError: a name or version that is not one (see :func:`overlay_name`).
        UnsafeLocationError: the overlay folder could be written by someone else.
    """
    from mindpilot.userdata import write_private

    path = (directory or overlay_dir()) / overlay_name(release.name, release.version)
    return write_private(path, json.dumps(asdict(release), indent=1, ensure_ascii=False) + "\n")


def learned_release(name: str, version: str) -> Optional[LearnedRelease]:
    """The learned release ``name==version`` (for ``check``: which configs it ships), if learned."""
    return next((r for r in load_learned() if r.name == name and r.version == version), None)


def today() -> str:
    """Today as an ISO date (one place, so tests can read what learn stores)."""
    return date.today().isoformat()
