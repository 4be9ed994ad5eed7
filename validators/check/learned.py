"""What ``check`` adds from releases learned on this machine (``mindpilot knowledge learn mindformers==X``).

Check rules are written for the releases of the shipped table. A release learned later brings its config
list but no rules, so ``check`` says so instead of passing silently:

- a YAML whose schema no kind recognises is compared, by top-level keys, with the configs every learned
  release ships; when it resembles one, the "schema not recognised" note names that release and config;
- when a learned MindFormers release is newer than the newest one of the table, a check of a MindFormers
  YAML carries one note that the rules may lag that release.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Optional

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.knowledge import LearnedRelease, load_learned, table_date
from mindpilot.validators.learn import MAX_MEMBER_BYTES
from mindpilot.validators.stacks import load_stacks
from mindpilot.validators.versions import pep440, version_key

RESEMBLANCE = 0.6
"""Share of the file's top-level keys a shipped config must have for the file to "look like" it."""
MIN_SHARED_KEYS = 3
"""Fewer shared keys than this is chance (``model:`` and ``seed:`` are in many schemas), not resemblance."""
MINDFORMERS_KINDS = ("mindformers", "mindformers_pynative")
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:(?:\s|$)", re.MULTILINE)


def add_learned_notes(files: list[dict[str, str]], docs: dict[str, ConfigDoc], ctx: CheckContext) -> None:
    """Name the learned config an unrecognised YAML resembles, and say once when rules lag a learned release."""
    releases = load_learned()
    if not releases:
        return
    for entry in files:
        doc = docs.get(entry["file"])
        if entry.get("kind") == "unknown" and doc is not None and isinstance(doc.data, dict):
            _name_resembled_config(entry["file"], [str(key) for key in doc.data], releases, ctx)
    first = next((e["file"] for e in files if e.get("kind") in MINDFORMERS_KINDS), None)
    newer = _newest_learned_beyond_table(releases)
    if first is not None and newer is not None:
        newest = _table_newest("mindformers") or "?"
        finding = make_finding("learned.rules_may_lag", ctx.lang, file=first, version=newer.version,
                               newest=newest, date=table_date(), learned=newer.learned)
        ctx.findings.append(finding.model_copy(update={"source": f"{finding.source}; {newer.wheel}"}))


def _name_resembled_config(path: str, keys: list[str], releases: tuple[LearnedRelease, ...],
                           ctx: CheckContext) -> None:
    match = resembled_config(keys, releases)
    if match is None:
        return
    release, config, shared = match
    finding = make_finding("learned.unknown_schema", ctx.lang, file=path, version=release.version, config=config,
                           shared=len(shared), total=len(set(keys)), keys=", ".join(sorted(shared)[:8]),
                           learned=release.learned)
    finding = finding.model_copy(update={"source": f"{config} in {release.wheel} (learned {release.learned})"})
    for index, old in enumerate(ctx.findings):
        if old.rule == "yaml.unknown_kind" and old.file == path:
            ctx.findings[index] = finding
            return
    ctx.findings.append(finding)


def resembled_config(keys: list[str], releases: tuple[LearnedRelease, ...]
                     ) -> Optional[tuple[LearnedRelease, str, set[str]]]:
    """(release, shipped config, shared keys) of the config sharing the largest part of ``keys``, or None.

    Ties go to more shared keys, then to the newest release (``releases`` is newest first).
    """
    wanted = set(keys)
    if len(wanted) < MIN_SHARED_KEYS:
        return None
    best: Optional[tuple[LearnedRelease, str, set[str]]] = None
    for release in releases:
        for config, config_keys in shipped_top_keys(release).items():
            shared = wanted & config_keys
            if len(shared) < MIN_SHARED_KEYS or len(shared) < RESEMBLANCE * len(wanted):
                continue
            if best is None or len(shared) > len(best[2]):
                best = (release, config, shared)
    return best


def shipped_top_keys(release: LearnedRelease) -> dict[str, frozenset[str]]:
    """Top-level keys of every config ``release`` ships, read from its cached wheel once per process."""
    wheel = Path(release.wheel)
    try:
        stamp = wheel.stat().st_mtime
    except OSError:
        return {}
    return _top_keys(release.wheel, stamp, tuple(release.configs))


@lru_cache(maxsize=16)
def _top_keys(wheel: str, stamp: float, configs: tuple[str, ...]) -> dict[str, frozenset[str]]:
    del stamp  # part of the cache key only: a re-learned wheel is read again
    keys: dict[str, frozenset[str]] = {}
    try:
        # one open of the archive for every config (learned_config_text opens it once per config), and
        # only the members the release lists, as learned_config_text allows
        with zipfile.ZipFile(wheel) as archive:
            for config in configs:
                try:
                    info = archive.getinfo(config)
                    if info.file_size > MAX_MEMBER_BYTES:
                        continue
                    keys[config] = frozenset(_TOP_KEY.findall(archive.read(info).decode("utf-8", "replace")))
                except KeyError:
                    continue
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error):  # a damaged cache: no match
        return {}
    return keys


def _table_newest(name: str) -> Optional[str]:
    versions = [req.version for stack in load_stacks() if stack.anchor == name
                for req in [stack.requirement(name)] if req and req.version and pep440(req.version)]
    return max(versions, key=version_key) if versions else None


def _newest_learned_beyond_table(releases: tuple[LearnedRelease, ...]) -> Optional[LearnedRelease]:
    newest = _table_newest("mindformers")
    learned = [r for r in releases if r.name == "mindformers" and pep440(r.version) is not None]
    if not learned:
        return None
    top = max(learned, key=lambda r: version_key(r.version))
    if newest is None or version_key(top.version) > version_key(newest):
        return top
    return None
