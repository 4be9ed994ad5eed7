"""Whose code raised an exception: the frames of the traceback above it, and the package each frame is in.

Issue threads are full of errors no message rule can name: a ``NameError`` in a serving framework's helper, an
``UnboundLocalError`` on a branch written for another model, ``'NoneType' object has no attribute`` deep in a
trainer. What they share is where they were raised. When the traceback's last frame lies in a framework's own
package (``site-packages/vllm_ascend/...``, or a source checkout such as ``vllm-ascend/vllm_ascend/...``) and
the exception is a programming error, the likely cause is a defect or an unsupported case of that release, not
the user's settings; when it lies in the user's own script, the user's code is where to look.

The packages, the code that only carries a call for its caller (PyTorch, NumPy, argument checks) and the
exceptions that count are data: ``validators/data/framework_defects.yaml``. This module only reads lines; the
report is changed by :mod:`mindpilot.launch.defect`. A traceback cut before its exception line (a paste cut
short) still has a last frame: :func:`last_frame_of_a_cut_traceback` finds it for the unsure key line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.kb.bytesearch import any_of, offsets
from mindpilot.validators.kb.keyline import key_text, line_rank

DEFECTS_FILE = package_path("validators", "data", "framework_defects.yaml")
MAX_TRACEBACK_LINES = 400
"""Lines above an exception read for its traceback (a deep stack with source lines, a rank's lines among others)."""
FRAME_REACH = 8
"""Lines between the exception and its last frame at most (the frame's source line, 3.11's ``^^^`` markers, a
message over several lines)."""

FRAME = re.compile(r'File "(?P<path>[^"\n]{1,1000})", line (?P<line>\d{1,7}), in (?P<func>\S{1,200})')
EXCEPTION = re.compile(r"(?:builtins\.)?(?P<cls>[A-Z]\w{0,60}(?:Error|Exception))(?:\s?:\s?(?P<message>.*))?$")
_CHAIN = ("During handling of the above exception", "The above exception was the direct cause")
_FORWARDS = re.compile(r"\(\s*\*\w+\s*,\s*\*\*\w+\s*\)")
"""A call that passes its own ``*args, **kwargs`` on: a wrapper's line (a decorator, a guard), not the code that
went wrong."""
_PACKAGES_DIR = re.compile(r"/(?:site|dist)-packages/")
_STDLIB = re.compile(r"/lib/python\d\.\d+/")
_EGG = re.compile(r"^[^/]+\.egg/")
"""An egg's folder under site-packages (``vllm_ascend-0.9.1-py3.10.egg/vllm_ascend/...``)."""
_DOWNLOADED = re.compile(r"/(?:transformers_modules|modelscope_modules)/|/\.cache/(?:huggingface|modelscope)/")
"""Python files a model repository ships and the hub client runs (``trust_remote_code``)."""


@dataclass(frozen=True)
class FrameworkPackage:
    """A framework users run, by its import name."""

    __pydantic_config__ = {"extra": "forbid"}

    module: str
    """The import name: the folder under site-packages (``vllm_ascend``)."""
    name: str
    """What users call it (``vLLM Ascend``)."""
    dists: List[str]
    """Its pip distribution names (to find its version in the log)."""
    source: str


@dataclass(frozen=True)
class RuntimePath:
    """Code whose frames only carry out a call for their caller: a package (``torch/``) or one module."""

    __pydantic_config__ = {"extra": "forbid"}

    path: str
    source: str


@dataclass(frozen=True)
class DefectException:
    """An exception class that, raised by a framework's own line, means that code went wrong."""

    __pydantic_config__ = {"extra": "forbid"}

    name: str
    meaning: Bilingual
    source: str
    message: Optional[str] = None
    """A regex the message must contain (None: every message of the class)."""
    unless: Optional[str] = None
    """A regex of messages that report another failure (an assert quoting a server's error): not this."""
    same_package: bool = False
    """The module the message names (``message``'s group ``module``) must be the framework's own."""


@dataclass(frozen=True)
class FrameworkCode:
    """``validators/data/framework_defects.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    packages: List[FrameworkPackage]
    runtimes: List[RuntimePath]
    exceptions: List[DefectException]


def possessive(name: str) -> str:
    """``vLLM Ascend's``, ``MindFormers'``: a name's English possessive."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def load_framework_code() -> FrameworkCode:
    return compiled.built(DEFECTS_FILE, "framework_code", lambda: load_model(FrameworkCode, DEFECTS_FILE))


_Compiled = Tuple[DefectException, Optional["re.Pattern[str]"], Optional["re.Pattern[str]"]]


@lru_cache(maxsize=1)
def _data() -> Tuple[Dict[str, FrameworkPackage], Tuple[str, ...], List[_Compiled]]:
    code = load_framework_code()
    exceptions = [(entry, re.compile(entry.message) if entry.message else None,
                   re.compile(entry.unless) if entry.unless else None) for entry in code.exceptions]
    return ({entry.module: entry for entry in code.packages}, tuple(entry.path for entry in code.runtimes),
            exceptions)


@dataclass
class Frame:
    """One ``File "...", line N, in f`` of a traceback, with the source line printed under it."""

    path: str
    line: int
    func: str
    code: str = ""
    log_line: int = 0
    """The line of the log the frame is printed on."""


@dataclass
class Owner:
    """Who owns a frame: ``framework`` (``package`` set, ``inner`` the path inside it), ``runtime`` (skip it),
    ``library`` (another installed package: nobody to name) or ``user`` (the job's own code)."""

    kind: str
    package: Optional[FrameworkPackage] = None
    inner: str = ""


def exception_of(text: str) -> Optional[Tuple[str, str]]:
    """``(class, message)`` of an exception line in any wrapping (``[rank0]: KeyError: 'x'``), else None."""
    found = EXCEPTION.match(key_text(text))
    if found is None:
        return None
    return found.group("cls"), (found.group("message") or "").strip()


def candidate(cls: str) -> bool:
    """Whether an exception of class ``cls`` can be a programming error at all (see :func:`defect_meaning`)."""
    return any(entry.name == cls for entry, _, _ in _data()[2])


def defect_meaning(cls: str, message: str, package: Optional[str] = None) -> Optional[DefectException]:
    """The entry that makes ``cls: message``, raised in ``package``'s code (its import name; None for the job's
    own code), a programming error; None for a message a framework raises on purpose about its input, one that
    reports another failure, or a class that is not one."""
    for entry, pattern, unless in _data()[2]:
        if entry.name != cls:
            continue
        found = pattern.search(message) if pattern is not None else None
        if pattern is not None and found is None or unless is not None and unless.search(message):
            continue
        if entry.same_package and (found is None or found.group("module").split(".")[0] != package):
            return None  # another package's module: a version pair, not this code
        return entry
    return None


def traceback_above(lines: Sequence[str], rank: Optional[int]) -> List[Frame]:
    """The frames of the traceback that ends just above the exception, innermost first, from ``lines`` (the log
    lines above the exception, nearest last). Lines of another rank's prefix are passed over; an empty list when
    no frame sits within :data:`FRAME_REACH` lines of the exception."""
    frames: List[Frame] = []
    below: Optional[str] = None
    for back, text in enumerate(reversed(lines[-MAX_TRACEBACK_LINES:]), 1):
        if rank is not None and line_rank(text) not in (None, rank):
            continue
        message = key_text(text)
        if message.startswith("Traceback (most recent call last)") or message.startswith(_CHAIN):
            break
        found = FRAME.search(message)
        if found is None:
            if not frames and back > FRAME_REACH:
                return []
            below = message
            continue
        code = below if below is not None and not FRAME.search(below) else ""
        frames.append(Frame(found.group("path"), int(found.group("line")), found.group("func"),
                            code if not set(code) <= set("^~ ") else "", len(lines) - back + 1))
        below = None
    return frames


def owner_of(path: str) -> Owner:
    """Who owns the code at ``path`` (see :class:`Owner`)."""
    packages, runtimes, _ = _data()
    path = path.replace("\\", "/")
    if _DOWNLOADED.search(path):
        return Owner("library")  # a model's own code, fetched with trust_remote_code: neither the job's nor a framework's
    found = _PACKAGES_DIR.search(path)
    if found is not None:
        inner = _EGG.sub("", path[found.end():])
        if inner.startswith(runtimes):
            return Owner("runtime")
        top = inner.split("/", 1)[0].split(".", 1)[0]
        return Owner("framework", packages[top], inner) if top in packages else Owner("library")
    if path.startswith("<") or _STDLIB.search(path):
        return Owner("runtime")  # the standard library, <frozen importlib._bootstrap>, <string>
    parts = path.split("/")
    for index in range(len(parts) - 2, -1, -1):
        inner = "/".join(parts[index:])
        if inner.startswith(runtimes) and index < len(parts) - 2:
            return Owner("runtime")  # a source build of PyTorch, say
        package = packages.get(parts[index])
        if package is not None and _checkout(parts, index, package):
            return Owner("framework", package, inner)
    return Owner("user")


def _checkout(parts: List[str], index: int, package: FrameworkPackage) -> bool:
    """Whether ``parts[index]`` is the framework's package folder in a source checkout, not a user's folder that
    happens to bear its name: the file sits deeper in it (``mindformers/trainer/x.py``), or the folder above is
    the repository's (``vllm-ascend/vllm_ascend/``, ``src/llamafactory/``, a named copy ``vllm-empty/vllm/``)."""
    if index < len(parts) - 2:
        return True
    above = parts[index - 1].lower().replace("-", "_") if index else ""
    names = {package.module, *(dist.lower().replace("-", "_") for dist in package.dists)}
    return above == "src" or any(above == name or above.startswith(name + "_") for name in names)


def culprit(frames: Sequence[Frame]) -> Optional[Tuple[Frame, Owner]]:
    """The innermost frame that is not a runtime's or a wrapper's, and its owner (None when every frame is)."""
    for frame in frames:
        owner = owner_of(frame.path)
        if owner.kind == "runtime" or _FORWARDS.search(frame.code):
            continue
        return frame, owner
    return None


def deliberate(frame: Frame) -> bool:
    """Whether the frame's own line raises the exception on purpose (``raise X(...)``): the framework checked
    something and its message says what; not a line that went wrong."""
    return frame.code.lstrip().startswith("raise ")


_VERSION = r"v?(\d{1,4}\.\d{1,4}(?:\.\d{1,6})?(?:(?:rc|a|b|\.post|\.dev)\d{1,6})?(?:\+[\w.]{1,40})?)(?![\w.])"
MAX_VERSION_HITS = 4096
"""Places a package's name is looked at for a version (a vLLM log names vllm on most lines)."""


def version_in(data: bytes, package: FrameworkPackage) -> Optional[str]:
    """The package's version as the log shows it: a pip list or freeze line (``vllm-ascend  0.9.1``,
    ``[pip3] vllm_ascend==0.9.1``), an environment report or banner (``vLLM Ascend Version: 0.9.1rc1``,
    ``vllm_ascend version: 0.9.1``) or pip show's ``Name:`` / ``Version:`` lines; None when it shows none."""
    names = sorted({package.module, *package.dists, package.name}, key=len, reverse=True)
    alternatives = "|".join(re.escape(name) for name in names)
    shown = re.compile((r"(?m)^Name: ?(?i:" + alternatives + r")[ \t]*\r?\nVersion: ?" + _VERSION).encode())
    found = shown.search(data) if b"Name:" in data else None
    if found is not None:
        return found.group(1).decode("ascii")
    inline = re.compile((r"(?i:" + alternatives + r")(?:[ _](?i:version))?[ \t]{0,40}(?:==|:|=|[ \t])[ \t]{0,40}"
                         + _VERSION).encode())
    following = offsets(any_of(names, ignore_case=True), data, len(data))
    at = following(0)
    for _ in range(MAX_VERSION_HITS):
        if at is None:
            break
        if not (at and (chr(data[at - 1]).isalnum() or data[at - 1] in b"._-/\\")):  # not part of a name or path
            found = inline.match(data, at)
            if found is not None:
                return found.group(1).decode("ascii")
        at = following(at + 1)
    return None


_CARETS_ONLY = re.compile(r"[\s^~]+")
"""Python 3.11's markers under a frame's statement."""


def last_frame_of_a_cut_traceback(lines: Sequence[str]) -> Optional[Tuple[int, "re.Match[str]", str]]:
    """(index among ``lines``, frame match, statement) of the last frame of a traceback's lines (after its
    ``Traceback`` line) when only frames and their source lines follow (no exception line), else None."""
    frame, found, after_frame = None, None, False
    for index, key in enumerate(lines):
        if not key or _CARETS_ONLY.fullmatch(key):
            continue
        match = FRAME.match(key)
        if match is not None:
            frame, found, after_frame = match, (index, match, key), True
        elif after_frame:  # the frame's source line
            found, after_frame = (index, frame, key), False
        else:
            return None  # an exception line, or other output: the traceback is whole
    return found

