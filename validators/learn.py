"""Learn a framework release from its wheel: ``pip download --no-deps``, then read what it declares.

ModelArts notebooks reach a pip mirror, so a release newer than mindpilot can be learned where it is
used: the wheel goes into a cache (``<data dir>/wheels``), its METADATA (``Requires-Dist``,
``Requires-Python``), ``mindformers/VERSION_MAP.json`` and the list of shipped ``configs/*.yaml`` are
read from the zip without installing or importing anything, and the result is stored as an overlay
(:mod:`mindpilot.validators.knowledge`) that ``doctor`` and ``check`` use.
"""

from __future__ import annotations

import os
import re
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Mapping, Optional

from mindpilot.datafiles import json_bounded
from mindpilot.validators.declarations import normalize
from mindpilot.userdata import data_dir
from mindpilot.validators.knowledge import LearnedRelease, save_learned, today
from mindpilot.validators.probe.subprocesses import ProcessTimeout, run_captured
from mindpilot.validators.versions import pep440

LEARNABLE = ("mindformers", "mindspore", "vllm-mindspore", "mindrlhf", "msadapter", "mindspore-gs", "torch-npu",
             "mindspeed", "hyper-parallel")
"""Releases worth learning: the frameworks whose declarations the doctor reads."""
MAX_MEMBER_BYTES = 4 << 20
MAX_CONFIGS = 5000
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*([0-9][A-Za-z0-9.+!_-]*))?\s*$")


class LearnError(Exception):
    """The release could not be learned (no index, no such release, not a wheel); one line for the user."""


def parse_target(text: str) -> tuple[str, Optional[str]]:
    """``mindformers==2.2.0`` -> (``mindformers``, ``2.2.0``); ``mindformers`` -> (``mindformers``, None).

    Raises:
        LearnError: not ``NAME`` or ``NAME==VERSION`` of a framework mindpilot reads.
    """
    match = _SPEC.match(text)
    if not match or (match.group(2) and pep440(match.group(2)) is None):
        raise LearnError(f"{text!r}: give NAME==VERSION, for example mindformers==2.1.0")
    name = normalize(match.group(1))
    if name not in LEARNABLE:
        raise LearnError(f"{name}: mindpilot reads the releases of {', '.join(LEARNABLE)}")
    return name, match.group(2)


def learn(target: str, python: Optional[str] = None, timeout: float = 600.0,
          environ: Optional[Mapping[str, str]] = None, directory: Optional[Path] = None) -> LearnedRelease:
    """Download the wheel of ``target`` with pip, read it, store the overlay; returns what was learned.

    Raises:
        LearnError: pip failed (no index reachable, no such release), timed out, or gave no wheel.
    """
    name, version = parse_target(target)
    from mindpilot.userdata import private_dir

    cache = data_dir() / "wheels"
    try:
        private_dir(cache)  # a wheel another user could swap would be read as this release
    except OSError as exc:
        raise LearnError(f"{exc.filename}: {exc.strerror}") from None
    requirement = f"{name}=={version}" if version else name
    from mindpilot.validators.probe.pyenv import ProbeError, resolve_python

    try:
        interpreter = resolve_python(python, environ if environ is not None else os.environ)
    except ProbeError as exc:
        raise LearnError(str(exc)) from None
    argv = [interpreter, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
            "--disable-pip-version-check", "--progress-bar", "off", "-d", str(cache), requirement]
    try:
        done = run_captured(argv, timeout=timeout, env=environ)
    except ProcessTimeout as exc:  # also OutputTooLarge: both say what happened
        raise LearnError(f"pip download {requirement}: {exc}") from None
    except OSError as exc:
        raise LearnError(f"cannot run pip: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise LearnError(_pip_failure(requirement, done.stdout + done.stderr))
    wheel = _downloaded_wheel(cache, name, version, done.stdout)
    release = read_wheel(wheel)
    if release.name != name or (version and pep440(release.version) != pep440(version)):
        raise LearnError(f"{wheel.name}: its METADATA names {release.name!r} {release.version!r}, "
                         f"not {name} {version or ''}".rstrip())
    try:
        save_learned(release, directory)
    except ValueError as exc:
        raise LearnError(f"{wheel.name}: {exc}") from None
    except OSError as exc:
        raise LearnError(f"{exc.filename}: {exc.strerror}") from None
    return release


def _pip_failure(requirement: str, output: str) -> str:
    """One line in the user's terms: no index reached, no such release, or pip's own last words."""
    indexes = re.search(r"Looking in indexes: (.+)", output)
    where = indexes.group(1).strip() if indexes else "the configured index"
    available = re.search(r"\(from versions: ([^)]*)\)", output)
    if available and available.group(1).strip() == "none":
        return (f"no package index answered with {requirement} (looked in {where}); "
                "check the network or point PIP_INDEX_URL at a pip mirror")
    if available:
        versions = available.group(1).strip()
        shown = versions if len(versions) <= 120 else "…" + versions[-120:]
        return f"no wheel of {requirement} on {where} (it has: {shown})"
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("WARNING")]
    return f"pip download {requirement} failed: {' '.join(lines[-2:])[-300:] or 'no output'}"


def _downloaded_wheel(cache: Path, name: str, version: Optional[str], pip_output: str) -> Path:
    stem = name.replace("-", "_")
    named = re.findall(r"(?:Saved|File was already downloaded)\s+(\S+\.whl)", pip_output)
    for text in reversed(named):
        path = Path(text)
        if not path.is_absolute():
            path = cache / path.name
        if path.is_file():
            return path
    pattern = f"{stem}-{version}-*.whl" if version else f"{stem}-*.whl"
    found = sorted(cache.glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise LearnError(f"pip gave no wheel of {name}{'==' + version if version else ''} (only wheels can be read)")
    return found[-1]


def read_wheel(wheel: Path) -> LearnedRelease:
    """What a wheel declares: METADATA, VERSION_MAP.json, shipped configs (nothing is extracted or run).

    Raises:
        LearnError: not a readable wheel, or no METADATA in it.
    """
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = archive.infolist()
            metadata = next((m for m in members if re.fullmatch(r"[^/]+\.dist-info/METADATA", m.filename)), None)
            if metadata is None:
                raise LearnError(f"{wheel.name}: no METADATA in the wheel")
            message = Parser().parsestr(_read(archive, metadata))
            maps = [m for m in members if re.fullmatch(r"[^/]+/VERSION_MAP\.json", m.filename)]
            # nested past the bound (900 deep) is a ValueError here, not a RecursionError when it is stored
            version_map = json_bounded(f"{wheel.name}:{maps[0].filename}", _read(archive, maps[0])) if maps else None
            configs = [m.filename for m in members
                       if re.match(r"(?:[^/]+/)?configs/.+\.ya?ml$", m.filename)][:MAX_CONFIGS]
    except (OSError, zipfile.BadZipFile, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise LearnError(f"{wheel.name}: not a readable wheel ({exc})") from None
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise LearnError(f"{wheel.name}: METADATA names no Name/Version")
    return LearnedRelease(name=normalize(name), version=version, requires=message.get_all("Requires-Dist") or [],
                          requires_python=message.get("Requires-Python"),
                          version_map=version_map if isinstance(version_map, dict) else None,
                          configs=configs, wheel=str(wheel), learned=today())


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> str:
    if member.file_size > MAX_MEMBER_BYTES:
        raise ValueError(f"{member.filename} is larger than {MAX_MEMBER_BYTES} bytes")
    return archive.read(member).decode("utf-8")


def learned_config_text(release: LearnedRelease, member: str) -> str:
    """The text of one shipped config (``configs/deepseek3/x.yaml``) from the cached wheel, for ``check``.

    Raises:
        LearnError: the config is not one the release ships, or the cached wheel is gone.
    """
    if member not in release.configs:
        raise LearnError(f"{release.name} {release.version} ships no {member}")
    try:
        with zipfile.ZipFile(release.wheel) as archive:
            return _read(archive, archive.getinfo(member))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
        raise LearnError(f"cannot read {member} from {release.wheel} ({exc}); learn the release again") from None
