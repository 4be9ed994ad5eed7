"""Releases that must come as a pair (vLLM Ascend with vLLM, torch_npu with PyTorch), and whether a log's do.

Many failures on Ascend are a plug-in built for another release of what it plugs into: an attribute the other side
no longer has, an argument it does not take, a symbol it does not export. When a log shows both releases
(a pip list, an environment report, a banner) the stacks' own naming rule tells whether they are a pair.
The pairs are data, ``validators/data/version_pairs.yaml``; a release's own requirements of another package
(MindFormers of MindSpore) come from the version stacks, ``validators/data/stacks.yaml``.
:mod:`mindpilot.launch.version_pairs` adds the finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.kb.frames import FrameworkPackage, load_framework_code, version_in

PAIRS_FILE = package_path("validators", "data", "version_pairs.yaml")


@dataclass(frozen=True)
class VersionPair:
    """``first`` is built for one release of ``second``: their first ``same`` numbers are equal."""

    __pydantic_config__ = {"extra": "forbid"}

    first: str
    second: str
    same: int
    rule: Bilingual
    """The stack's naming rule, in words."""
    source: str
    first_versions: Optional[str] = None
    """A PEP 440 range: the releases of ``first`` named after ``second`` (None: all)."""


@dataclass(frozen=True)
class VersionPairs:
    """``validators/data/version_pairs.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    pairs: List[VersionPair]
    packages: List[FrameworkPackage] = field(default_factory=list)


def load_version_pairs() -> VersionPairs:
    return compiled.built(PAIRS_FILE, "version_pairs", lambda: load_model(VersionPairs, PAIRS_FILE))


def packages_by_module() -> Dict[str, FrameworkPackage]:
    """Every package a pair names, by import name."""
    return {package.module: package for package in [*load_framework_code().packages, *load_version_pairs().packages]}


@dataclass
class Unpaired:
    """Two releases the log shows that are not a pair, and the release of ``second`` that ``first`` is for."""

    pair: VersionPair
    first: FrameworkPackage
    second: FrameworkPackage
    first_version: str
    second_version: str
    wanted: str


def unpaired_in(data: bytes) -> Optional[Unpaired]:
    """The first pair of the data file whose two releases the log shows and that do not match, or None."""
    packages = packages_by_module()
    for pair in load_version_pairs().pairs:
        first, second = packages[pair.first], packages[pair.second]
        first_version = version_in(data, first)
        second_version = version_in(data, second) if first_version else None
        if not first_version or not second_version:
            continue
        wanted = _wanted(pair, first_version, second_version)
        if wanted is not None:
            return Unpaired(pair, first, second, first_version, second_version, wanted)
    return None


def _wanted(pair: VersionPair, first_version: str, second_version: str) -> Optional[str]:
    """The release of ``second`` that ``first_version`` is for, when ``second_version`` is not it; else None."""
    try:
        first, second = Version(first_version), Version(second_version)
    except InvalidVersion:
        return None
    if first.is_devrelease or second.is_devrelease or len(first.release) < pair.same:
        return None  # a development build's number says nothing of what it was built against
    if pair.first_versions and first not in SpecifierSet(pair.first_versions, prereleases=True):
        return None
    wanted = first.release[:pair.same]
    if tuple(second.release[:pair.same]) + (0,) * (pair.same - len(second.release[:pair.same])) == wanted:
        return None
    return ".".join(str(number) for number in wanted)


@dataclass
class StackUnpaired:
    """A release whose own requirements (a row of the version stacks) the log's other release does not meet."""

    stack: Any
    """The :class:`~mindpilot.validators.stacks.Stack` whose anchor release the log shows."""
    anchor: FrameworkPackage
    anchor_version: str
    needed: FrameworkPackage
    spec: str
    """What the anchor release requires of ``needed`` (PEP 440)."""
    seen: str
    """The release of ``needed`` the log shows."""


def stack_unpaired_in(data: bytes) -> Optional[StackUnpaired]:
    """The first known stack (``validators/data/stacks.yaml``) whose anchor release the log shows with another
    package's release that this anchor's requirements exclude (MindFormers 1.8.0 with MindSpore 2.6.0), or None.
    Only requirements the release states as a range (its package metadata, its version map) are read."""
    from mindpilot.validators.stacks import load_stacks, normalize, requirement_fits

    seen: Dict[str, Optional[str]] = {}

    def version_of(name: str) -> Optional[str]:
        if name not in seen:
            seen[name] = version_in(data, _package(name))
        return seen[name]

    for stack in load_stacks():
        anchor = next((req for req in stack.packages if req.name == normalize(stack.anchor) and req.version), None)
        shown = version_of(stack.anchor) if anchor is not None else None
        if shown is None or not _same_release(shown, anchor.version):
            continue
        for req in stack.packages:
            if req is anchor or not req.spec or req.optional or req.commit:
                continue
            found = version_of(req.name)
            if found is not None and _valid(found) and not requirement_fits(req, found, None):
                return StackUnpaired(stack, _package(stack.anchor), shown, _package(req.name), req.spec, found)
    return None


def _package(name: str) -> FrameworkPackage:
    """The package a distribution name stands for (its known names when it is a framework's)."""
    from mindpilot.validators.stacks import normalize

    for package in packages_by_module().values():
        if normalize(name) in {normalize(package.module), *(normalize(dist) for dist in package.dists)}:
            return package
    return FrameworkPackage(module=name.replace("-", "_"), name=name, dists=[name], source="its pip name")


def _valid(version: str) -> bool:
    try:
        return not Version(version).is_devrelease
    except InvalidVersion:
        return False


def _same_release(shown: str, listed: str) -> bool:
    try:
        return Version(shown).release == Version(listed).release
    except InvalidVersion:
        return False
