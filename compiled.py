"""The knowledge shipped as YAML, compiled at build time to plain JSON that is checked into the repository.

Parsing the YAML (ruamel is pure Python) and validating it (pydantic's import alone) would cost more than
the rest of a quick command, so each loader of shipped knowledge calls :func:`built` with the function that
reads and validates its file. In the package that function has already run, on the developer's machine:
its result sits in ``_built/`` as JSON, and :func:`built` turns that JSON back into the same dataclasses,
enums and texts without the YAML parser or pydantic. JSON holds data only: reading it runs no code (the
earlier pickle cache in the user's cache directory could be swapped by another user; there is no user-writable
cache of shipped knowledge any more).

Each JSON file records the SHA-256 of the YAML it was compiled from. When the YAML changed since (a developer
editing it), the JSON is not used and the YAML is read and validated as before: a stale build is slower,
never wrong about the YAML. ``tests/test_compiled.py`` fails while the checked-in JSON differs from what the
YAML and the loaders make now. After editing a shipped YAML file or a loader, regenerate with:

    .venv/bin/python -m mindpilot.compiled

(``--check`` only reports what is stale, exit 1). The decoder builds only mindpilot's own dataclasses and
enums and :class:`~mindpilot.bilingual.Bilingual`, setting their fields as they were built (as pickle did,
without calling ``__init__`` again).
"""

from __future__ import annotations

import dataclasses
import enum
import gc
import hashlib
import importlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar, Union

from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import PACKAGE_ROOT

T = TypeVar("T")
BUILT_DIR = PACKAGE_ROOT / "_built"
FORMAT = 1
"""Bumped when the encoding changes; files of another format are not used (and the freshness test fails)."""
COMPILED_TYPES = frozenset({
    "mindpilot.launch.failures:Pattern", "mindpilot.launch.failures:Patterns",
    "mindpilot.presets.arch:ModelArch", "mindpilot.presets.reasons:ReasonText",
    "mindpilot.validators.catalog:RuleText", "mindpilot.validators.check.grpo:GrpoSchema",
    "mindpilot.validators.check.model:ModelClass", "mindpilot.validators.check.path_reads:PathField",
    "mindpilot.validators.check.path_reads:PathReads", "mindpilot.validators.check.path_reads:ReadWhen",
    "mindpilot.validators.check.pynative:PynativeSchema", "mindpilot.validators.findings:Severity",
    "mindpilot.validators.kb.codes:CodeBook", "mindpilot.validators.kb.codes:CodeText",
    "mindpilot.validators.kb.frames:DefectException", "mindpilot.validators.kb.frames:FrameworkCode",
    "mindpilot.validators.kb.frames:FrameworkPackage", "mindpilot.validators.kb.frames:RuntimePath",
    "mindpilot.validators.kb.pairs:VersionPair", "mindpilot.validators.kb.pairs:VersionPairs",
    "mindpilot.validators.kb.support:Chip", "mindpilot.validators.kb.support:ChipSupport",
    "mindpilot.validators.kb.support:StackSupport", "mindpilot.validators.kb.support:SupportMatrix",
    "mindpilot.validators.kb.model:Context", "mindpilot.validators.kb.model:KbPattern",
    "mindpilot.validators.kb.model:KbRule", "mindpilot.validators.probe.demo:DemoEnvironment",
    "mindpilot.validators.probe.facts:Checkout", "mindpilot.validators.probe.facts:HostInfo",
    "mindpilot.validators.probe.facts:PythonInfo", "mindpilot.validators.stacks:Requirement",
    "mindpilot.validators.stacks:Stack",
})
"""Every dataclass and enum a compiled file may name (``module:Qualname``). The decoder imports and builds
nothing else, so an edited file that names another module (``mindpilot.__main__``, a bench script) imports
nothing; a loader whose result holds a new type fails to compile until the type is added here."""
_MISS = object()
_recording: Optional[Dict[Tuple[str, str], Any]] = None
"""While :func:`compile_all` runs: every shipped build by (source, name)."""


def shipped(path: Union[str, Path]) -> bool:
    """A knowledge file shipped in the package: YAML under a ``data`` folder, or a book of words
    (:data:`mindpilot.wording.WORDBOOKS`: the TUI's labels, the CLI's messages); or a ``data`` folder of them
    (a build made from all its files: the knowledge base's index of rules).

    The configs and presets we ship are checked like users' files, whose findings need line numbers.
    """
    return _shipped_source(path) is not None


def _shipped_source(path: Union[str, Path]) -> Optional[str]:
    """The path of a shipped knowledge file or folder relative to the package (see :func:`shipped`), else None;
    the path is resolved once, a file's folder once per folder (a start-up checks some eighty files)."""
    given = Path(path)
    folder = False
    try:
        if given.is_symlink():
            resolved = given.resolve()
        elif given.suffix in (".yaml", ".yml"):
            resolved = _resolved(given.parent) / given.name
        elif given.is_dir():
            resolved, folder = _resolved(given), True
        else:
            return None
    except OSError:
        return None
    if (not folder and resolved.suffix not in (".yaml", ".yml")) or PACKAGE_ROOT not in resolved.parents:
        return None
    parts = resolved.relative_to(PACKAGE_ROOT).parts
    from mindpilot.wording import WORDBOOKS

    in_data = "data" in (parts if folder else parts[:-1])
    if "tests" in parts or not (in_data or parts in WORDBOOKS.values()):
        return None
    return "/".join(parts)


def _resolved(folder: Path) -> Path:
    """A folder's real path: an absolute one's worked out once (a relative one depends on the working directory)."""
    return _resolved_absolute(folder) if folder.is_absolute() else folder.resolve()


@lru_cache(maxsize=64)
def _resolved_absolute(folder: Path) -> Path:
    return folder.resolve()


def built_file(source: str, name: str, directory: Path = BUILT_DIR) -> Path:
    """The JSON of build ``name`` of the shipped file ``source`` (a path relative to the package)."""
    return directory / f"{source.replace('/', '.')}.{name}.json"


def _digest(path: Union[str, Path]) -> Optional[str]:
    """The SHA-256 of a file; of a folder, over the names and digests of its YAML files (a build made from all of
    them is stale once any changes, comes or goes)."""
    try:
        path = Path(path)
        if not path.is_dir():
            return hashlib.sha256(path.read_bytes()).hexdigest()
        files = sorted(file for file in path.iterdir() if file.suffix in (".yaml", ".yml"))
        return hashlib.sha256("".join(f"{file.name}\0{_digest(file)}\n" for file in files).encode()).hexdigest()
    except OSError:
        return None


def built(path: Union[str, Path], name: str, build: Callable[[], T]) -> T:
    """``build()`` (which reads and validates the shipped file ``path``) as compiled into ``_built/``.

    A file outside the shipped knowledge, a missing or stale compiled file, or one that does not decode
    into today's types: ``build()`` runs.
    """
    source = _shipped_source(path)
    if source is None:
        return build()
    if _recording is not None:
        result = build()
        _recording[(source, name)] = result
        return result
    cached = _read_built(path, built_file(source, name))
    return build() if cached is _MISS else cached


def _read_built(path: Union[str, Path], file: Path) -> Any:
    # Bytes, not text: json reads UTF-8 itself, without a newline translation pass. The collector is paused
    # while thousands of objects that all stay alive are made (it would walk them again and again).
    collecting = gc.isenabled()
    gc.disable()
    try:
        entry = json.loads(file.read_bytes(), object_hook=_decode_object)
    except (OSError, ValueError, TypeError, AttributeError, ImportError, RecursionError):
        return _MISS
    finally:
        if collecting:
            gc.enable()
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("sha256") != _digest(path):
        return _MISS
    return entry.get("data", _MISS)


def encode(value: Any) -> Any:
    """``value`` as JSON types. Every JSON object written has exactly one key, naming what it holds."""
    if isinstance(value, enum.Enum):  # before str and int: ``Severity`` is a str too
        return {f"enum:{_type_name(type(value))}": encode(value.value)}
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) else value
    if type(value).__name__ == "ScalarBoolean":  # ruamel's bool (an int subclass)
        return bool(value)
    if isinstance(value, (int, float)):
        return int(value) if isinstance(value, int) else float(value)
    if isinstance(value, dict):
        return {"map": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, frozenset):
        return {"frozenset": sorted((encode(item) for item in value), key=json.dumps)}
    if isinstance(value, Bilingual):
        return {"text": [value.zh, value.en]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        state = vars(value) if hasattr(value, "__dict__") else {
            spec.name: getattr(value, spec.name) for spec in dataclasses.fields(value)}
        return {f"object:{_type_name(type(value))}": [[key, encode(item)] for key, item in state.items()]}
    raise TypeError(f"cannot compile a {type(value).__name__} to JSON")


def _type_name(kind: type) -> str:
    name = f"{kind.__module__}:{kind.__qualname__}"
    if name not in COMPILED_TYPES:
        raise TypeError(f"{name} is not in compiled.COMPILED_TYPES (add it there if it is shipped knowledge)")
    return name


def _decode_object(obj: Dict[str, Any]) -> Any:
    """The value a one-key JSON object written by :func:`encode` stands for (the entry's header: as is)."""
    if len(obj) != 1:
        return obj
    (tag, body), = obj.items()
    if tag == "text":  # the commonest, then objects: a start-up decodes thousands
        return Bilingual(zh=body[0], en=body[1])
    kind, _, name = tag.partition(":")
    if kind == "object":
        cls, fields, slotted = _dataclass(name)
        state = dict(body)
        if not fields <= state.keys():  # the class gained a field since the build: read the YAML instead
            raise ValueError(f"{name} has fields the compiled file lacks")
        instance = cls.__new__(cls)
        if slotted:
            for key, item in state.items():
                object.__setattr__(instance, key, item)
        else:  # one update instead of a call per field (a frozen class's __setattr__ is bypassed either way)
            instance.__dict__.update(state)
        return instance
    if kind == "enum":
        return _enum_member(name, body)
    if tag == "map":
        return {_hashable(key): item for key, item in body}
    if tag == "tuple":
        return tuple(body)
    if tag == "frozenset":
        return frozenset(_hashable(item) for item in body)
    raise ValueError(f"unknown tag {tag!r}")


@lru_cache(maxsize=None)
def _enum_member(name: str, value: Any) -> Any:
    return _resolve(name, enum.Enum)(value)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=None)
def _dataclass(name: str) -> Tuple[type, frozenset, bool]:
    """mindpilot's dataclass named ``module:Qualname``, the names of its fields, and whether its instances
    lack a ``__dict__`` (``__slots__``)."""
    cls = _resolve(name, None)
    return cls, frozenset(spec.name for spec in dataclasses.fields(cls)), not hasattr(cls.__new__(cls), "__dict__")


@lru_cache(maxsize=None)
def _resolve(name: str, base: Optional[type]) -> type:
    """The dataclass (``base`` None) or enum of :data:`COMPILED_TYPES` named ``module:Qualname``; nothing else."""
    if name not in COMPILED_TYPES:  # checked before any import: a module's import runs its code
        raise ValueError(f"not a compiled type: {name!r}")
    module_name, _, qualname = name.partition(":")
    target: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    ok = isinstance(target, type) and (issubclass(target, base) if base is not None
                                       else dataclasses.is_dataclass(target))
    if not ok:
        raise ValueError(f"not a compiled type: {name!r}")
    return target


def _loaders() -> list:
    """Every loader of shipped knowledge: calling them all builds every compiled file."""
    from mindpilot import wording
    from mindpilot.launch import failures
    from mindpilot.presets import models, reasons
    from mindpilot.validators import catalog, knowledge, stacks
    from mindpilot.validators.check import grpo, model, path_reads, pynative
    from mindpilot.validators.kb import codes, frames, pairs, support
    from mindpilot.validators.kb import knowledge as kb
    from mindpilot.validators.probe import demo

    return [wording.load_all, reasons.reason_texts, models.load_catalogue, demo.load_demo_environment, kb.load_kb,
            stacks.load_stacks, catalog.load_catalog, model.model_classes, grpo.grpo_schema, pynative.pynative_schema,
            failures._load_patterns, knowledge.table_date, path_reads.path_reads, codes._load_codebook,
            frames.load_framework_code, support.load_support_matrix, pairs.load_version_pairs]


def compile_all() -> Dict[str, str]:
    """Every compiled file's name and JSON text, built now from the YAML (imports ruamel and pydantic)."""
    global _recording
    _recording = {}
    try:
        for loader in _loaders():
            loader()
        recorded = dict(_recording)
    finally:
        _recording = None
    files = {}
    for (source, name), result in sorted(recorded.items()):
        entry = {"format": FORMAT, "source": source, "sha256": _digest(PACKAGE_ROOT / source),
                 "data": encode(result)}
        files[built_file(source, name, Path()).name] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"),
                                                                  sort_keys=True) + "\n"
    return files


def stale(directory: Path = BUILT_DIR) -> list:
    """Names of the compiled files in ``directory`` that differ from a build now, are missing or are extra."""
    wanted = compile_all()
    present = {file.name for file in directory.glob("*.json")} if directory.is_dir() else set()
    differ = [name for name, text in wanted.items()
              if name not in present or (directory / name).read_text(encoding="utf-8") != text]
    return sorted(differ + sorted(present - set(wanted)))


def main(argv: Optional[list] = None) -> int:
    """Write ``_built/`` again (or, with ``--check``, list what is stale and exit 1)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mindpilot.compiled", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list stale compiled files; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        names = stale()
        for name in names:
            print(f"stale: _built/{name}", file=sys.stderr)
        return 1 if names else 0
    from mindpilot.fileio import write_atomic

    files = compile_all()
    BUILT_DIR.mkdir(exist_ok=True)
    for old in BUILT_DIR.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        write_atomic(BUILT_DIR / name, text)
    print(f"{len(files)} files in {BUILT_DIR}")
    return 0


if __name__ == "__main__":  # run as a script: use the module the loaders import, not this copy of it
    from mindpilot.compiled import main as compiled_main

    sys.exit(compiled_main())
