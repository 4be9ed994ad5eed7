"""Models already in the modelscope cache, so a second download (or one made by hand earlier) is found.

modelscope has kept three layouts over its releases (``modelscope_hub/_download.py``):
``{cache}/models/{owner}--{name}/snapshots/{revision}`` (current), ``{cache}/models/{owner}/{name___}`` and
``{cache}/hub/models/{owner}/{name___}`` (1.37 and older; dots in the name written as ``___``). A
``~/.cache/modelscope/hub/models/Qwen/Qwen2___5-7B`` from an older client is the last one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

MAX_ENTRIES = 2000
"""Directories looked at per layout (a cache is small; a bound keeps a huge one from stalling the UI)."""


@dataclass(frozen=True)
class CachedModel:
    """A model directory in the cache."""

    model_id: str
    """``owner/name`` as ModelScope spells it (dots restored)."""
    path: str
    """The directory."""


def cache_root(cache_dir: Optional[str] = None) -> Path:
    """``cache_dir``, else ``$MODELSCOPE_CACHE``, else ``~/.cache/modelscope``."""
    return Path(cache_dir or os.environ.get("MODELSCOPE_CACHE") or "~/.cache/modelscope").expanduser()


def cached_models(cache_dir: Optional[str] = None) -> list[CachedModel]:
    """Every non-empty model directory in the cache, sorted by id."""
    root = cache_root(cache_dir)
    found: dict[str, CachedModel] = {}
    for entry in _children(root / "models"):
        if "--" not in entry.name:
            continue
        snapshots = [path for path in _children(entry / "snapshots") if _has_files(path)]
        newest = max(snapshots, key=_mtime, default=entry if _has_files(entry) else None)
        if newest is not None:
            owner, name = entry.name.split("--", 1)
            found.setdefault(f"{owner}/{name}", CachedModel(f"{owner}/{name}", str(newest)))
    for base in (root / "models", root / "hub" / "models", root / "hub"):
        for owner in _children(base):
            if "--" in owner.name or owner.name.startswith("."):
                continue
            for model in _children(owner):
                if _has_files(model):
                    model_id = f"{owner.name}/{model.name.replace('___', '.')}"
                    found.setdefault(model_id, CachedModel(model_id, str(model)))
    return [found[key] for key in sorted(found)]


def find_cached(model_id: str, cache_dir: Optional[str] = None) -> Optional[str]:
    """The cache directory of ``model_id`` (any layout, case-insensitive owner), or None."""
    wanted = model_id.lower()
    for model in cached_models(cache_dir):
        if model.model_id.lower() == wanted:
            return model.path
    return None


def _children(path: Path) -> list[Path]:
    try:
        entries = []
        for index, entry in enumerate(os.scandir(path)):
            if index >= MAX_ENTRIES:
                break
            if entry.is_dir(follow_symlinks=True) and not entry.name.startswith("."):
                entries.append(Path(entry.path))
        return sorted(entries)
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _has_files(path: Path) -> bool:
    try:
        return (path / "config.json").is_file() or any(p.suffix in (".json", ".safetensors", ".bin")
                                                       for p in path.iterdir())
    except OSError:
        return False
