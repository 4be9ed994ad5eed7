"""Known-good version stacks: the data model and the loader for ``data/stacks.yaml``.

A stack is one set of versions that its publisher says work together (a MindFormers release
row, a vLLM-MindSpore release, the MindRLHF GRPO install of 2025-08, a MindSpeed-LLM release).
Each row carries its source, and a ``conflicts`` note where sources disagree. Adding a stack is a
YAML edit, never a code change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from mindpilot import compiled
from mindpilot.datafiles import DataFileError, FieldValueError, line_of, package_path, read_yaml, validate
from mindpilot.validators.versions import ascend_matches, satisfies, valid_spec

STACKS_FILE = package_path("validators", "data", "stacks.yaml")
Framework = Literal["mindformers", "vllm-mindspore", "mindrlhf", "mindspeed-llm"]


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name (``vllm_mindspore`` -> ``vllm-mindspore``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Requirement:
    """One component of a stack: a pip package at a version, or a git checkout at a commit."""

    __pydantic_config__ = {"extra": "forbid"}

    name: str
    """Distribution name (normalized on load: ``vllm-mindspore``, ``mindspore-gs``, ``torch-npu``)."""
    version: Optional[str] = None
    """The version to install (``pip install name==version``)."""
    spec: Optional[str] = None
    """PEP 440 specifier of versions that fit (alternatives joined by ``||``); default ``==version``."""
    wheel: Optional[str] = None
    """Wheel URL the stack's install script uses; preferred in the fix command."""
    commit: Optional[str] = None
    """For source installs: the commit (a prefix is enough) the checkout must be at."""
    branch: Optional[str] = None
    """Branch or tag to clone for a source install."""
    repo: Optional[str] = None
    """Clone URL for a source install."""
    optional: bool = False
    """Missing is fine (the stack works without it)."""
    note: Optional[str] = None
    """Anything the user should know about this pin."""
    declared_by: Optional[str] = None
    """``mindformers 2.1.0`` when this pin is what an installed (or learned) release declares itself."""
    origin: Optional[Literal["metadata", "version_map", "learned"]] = None
    """Where a declared pin comes from: package METADATA, VERSION_MAP.json, or a learned release."""

    def __post_init__(self) -> None:
        self.name = normalize(self.name)
        if self.spec is not None and not valid_spec(self.spec):
            raise FieldValueError("spec", f"not a PEP 440 specifier: {self.spec!r}")
        if not (self.version or self.spec or self.commit):
            raise ValueError("give at least one of version, spec or commit")
        if self.spec and "||" in self.spec and not (self.version or self.wheel):
            raise ValueError("a spec with || alternatives needs a version (or wheel) to install")

    @property
    def accepted(self) -> Optional[str]:
        """The specifier a found version must satisfy (None when only a commit is pinned)."""
        return self.spec or (f"=={self.version}" if self.version else None)

    @property
    def expected_text(self) -> str:
        """Short text for the components table: ``2.7.1``, ``~=2.7.0rc1``, ``commit 051d65f``."""
        if self.commit:
            return f"commit {self.commit[:12]}"
        if self.version and (not self.spec or self.spec == f"=={self.version}"):
            return self.version
        return self.spec or self.version or "?"


@dataclass
class Stack:
    """A known-good set of versions."""

    __pydantic_config__ = {"extra": "forbid"}

    id: str
    """Stable id used with ``--stack`` (``mindformers-1.7.0``, ``mindrlhf-grpo-2025-08`` ...)."""
    title: str
    """Human name."""
    framework: Framework
    """Which framework the stack is for; its package is the stack's anchor when choosing."""
    anchor: str
    """The package whose presence says "this environment is meant for this stack"."""
    packages: list[Requirement]
    """Components and their pins."""
    source: str
    """Where the row comes from (document and section, file and line)."""
    released: Optional[str] = None
    """Release date (ISO), when known."""
    default: bool = False
    """The stack to judge against when nothing installed points at any stack."""
    python: Optional[str] = None
    """PEP 440 specifier for the Python version (``||`` for alternatives); None when the source names none."""
    python_recommended: Optional[str] = None
    """The Python version to create an env with (``3.10``)."""
    cann: list[str] = field(default_factory=list)
    """CANN versions that fit (``8.1`` accepts every 8.1.x); empty: not stated by the source."""
    driver: Optional[str] = None
    """Driver/firmware version the source names (older drivers get a warning)."""
    conflicts: Optional[str] = None
    """Where sources disagree, and which one this row follows."""
    ascend_chain: Optional[str] = None
    """When CANN and driver come from MindFormers' VERSION_MAP.json: the chain that names them
    (``MindFormers VERSION_MAP.json: MindSpore 2.11.0 → CANN 9.2.0 → driver 26.2.RC1``), shown in findings."""

    def __post_init__(self) -> None:
        if self.python is not None and not valid_spec(self.python):
            raise FieldValueError("python", f"not a PEP 440 specifier: {self.python!r}")

    def requirement(self, name: str) -> Optional[Requirement]:
        """The requirement for package ``name`` (normalized), if the stack has one."""
        key = normalize(name)
        return next((req for req in self.packages if req.name == key), None)


@lru_cache(maxsize=4)
def load_stacks(path: Path = STACKS_FILE) -> tuple[Stack, ...]:
    """All stacks in file order; duplicate ids, unknown anchors or several defaults are errors."""
    return compiled.built(path, "stacks", lambda: _read_stacks(path))


def _read_stacks(path: Path) -> tuple[Stack, ...]:
    document = read_yaml(path)
    stacks = validate(list[Stack], document or [], str(path), document)
    seen: set[str] = set()
    for index, stack in enumerate(stacks):
        line = line_of(document, [index, "id"])
        if stack.id in seen:
            raise DataFileError(str(path), line, "id", f"duplicate stack id {stack.id!r}")
        seen.add(stack.id)
        if stack.requirement(stack.anchor) is None:
            raise DataFileError(str(path), line_of(document, [index, "anchor"]), "anchor",
                                f"{stack.anchor!r} is not one of the stack's packages")
    if sum(stack.default for stack in stacks) != 1:
        raise DataFileError(str(path), None, "default", "exactly one stack must have default: true")
    return tuple(stacks)


def get_stack(stack_id: str, stacks: Optional[tuple[Stack, ...]] = None) -> Stack:
    """The stack with this id.

    Raises:
        KeyError: no such stack (the message lists the known ids).
    """
    for stack in stacks or load_stacks():
        if stack.id == stack_id:
            return stack
    known = ", ".join(s.id for s in stacks or load_stacks())
    raise KeyError(f"unknown stack {stack_id!r}; known stacks: {known}")


@dataclass
class StackChoice:
    """Which stack fits an environment best, and why (the ``why`` facts, not yet a sentence)."""

    stack: Stack
    """The chosen stack."""
    fitting: list[str] = field(default_factory=list)
    """``name version`` of the components that fit it."""
    total: int = 0
    """How many components the stack names."""
    how: Literal["given", "best-fit", "cann", "default", "declared"] = "best-fit"
    """Chosen with ``--stack``, as the best fit, by the CANN version alone, as the default, or built from
    what a release newer than the table declares itself."""


def found_version(name: str, packages: dict[str, str], checkout_versions: dict[str, str]) -> Optional[str]:
    """The installed version of ``name``: the pip package, else the checkout's ``__version__``."""
    return packages.get(name) or checkout_versions.get(name)


def requirement_fits(req: Requirement, version: Optional[str], commit: Optional[str]) -> bool:
    """Whether what is installed meets ``req`` (commit prefix for source pins, PEP 440 otherwise)."""
    if req.commit:
        return bool(commit) and (commit.startswith(req.commit) or req.commit.startswith(commit))
    return version is not None and req.accepted is not None and satisfies(version, req.accepted)


def choose_stack(packages: dict[str, str], checkouts: dict[str, tuple[Optional[str], Optional[str]]],
                 cann: Optional[str], stacks: Optional[tuple[Stack, ...]] = None) -> StackChoice:
    """The stack that best fits what is installed.

    Args:
        packages: installed versions by normalized name.
        checkouts: ``{name: (version, commit)}`` of source checkouts.
        cann: the CANN version found, if any.

    Scoring: a stack counts only if its anchor package (mindformers, vllm-mindspore, mindrlhf,
    torch-npu) is present; then 2 points per fitting component, 1 per present-but-different
    component, 1 for a fitting CANN. The richest fitting stack wins (a GRPO environment also holds
    vllm-mindspore and mindformers, and the GRPO row names them all). Ties go to file order (newer first).
    """
    stacks = stacks or load_stacks()
    checkout_versions = {name: v for name, (v, _) in checkouts.items() if v}
    best: Optional[tuple[float, int, StackChoice]] = None
    for order, stack in enumerate(stacks):
        scored = _score(stack, packages, checkouts, checkout_versions, cann)
        if scored is not None and (best is None or (scored[0], -order) > (best[0], -best[1])):
            best = (scored[0], order, StackChoice(stack=stack, fitting=scored[1], total=len(stack.packages)))
    if best is not None:
        return best[2]
    default = next(stack for stack in stacks if stack.default)
    if cann:  # nothing installed yet: the MindFormers release made for this CANN is the natural target
        for stack in stacks:
            if stack.framework == default.framework and any(ascend_matches(cann, c) for c in stack.cann):
                return StackChoice(stack=stack, total=len(stack.packages), how="cann")
    return StackChoice(stack=default, total=len(default.packages), how="default")


def _score(stack: Stack, packages: dict[str, str], checkouts: dict[str, tuple[Optional[str], Optional[str]]],
           checkout_versions: dict[str, str], cann: Optional[str]) -> Optional[tuple[float, list[str]]]:
    """``(score, fitting components)`` of ``stack`` for what is installed (see :func:`choose_stack`); None
    when its anchor package is not there."""
    present = {req.name for req in stack.packages
               if found_version(req.name, packages, checkout_versions) or req.name in checkouts}
    if stack.anchor not in present:
        return None
    score = 0.0
    fitting = []
    for req in stack.packages:
        version = found_version(req.name, packages, checkout_versions)
        commit = checkouts.get(req.name, (None, None))[1]
        if requirement_fits(req, version, commit):
            score += 2
            fitting.append(f"{req.name} {version or commit}")
        elif req.name in present:
            score += 1
    if cann and any(ascend_matches(cann, c) for c in stack.cann):
        score += 1
    return score, fitting
