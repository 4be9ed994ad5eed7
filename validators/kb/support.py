"""Which chips each stack release supports, and which chip and stacks a log shows.

Issue threads show a whole family of failures whose cause is no message at all: vLLM Ascend on a first-generation
910ProB, SGLang on a 300I Duo, MindSpeed on a 310P. The log names the chip (npu-smi's table, CANN's
soc_version, an error about ``Ascend310P3``) and the stack (its module paths, its banner, its pip line); the
stacks' own documentation says which chips each release supports. That matrix is data,
``validators/data/support_matrix.yaml``; :mod:`mindpilot.launch.chip_support` adds the finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.kb.bytesearch import any_of, offsets

MATRIX_FILE = package_path("validators", "data", "support_matrix.yaml")
MAX_CHIP_HITS = 256
"""Lines holding a chip's literal read in one log (a log listing every chip on many lines stops here)."""
SUPPORTED, UNSUPPORTED = "supported", "unsupported"


@dataclass(frozen=True)
class Chip:
    """A chip family and what a log shows of it."""

    __pydantic_config__ = {"extra": "forbid"}

    id: str
    name: Bilingual
    literals: List[str]
    """What every match of ``regex`` holds: found first, in one pass over the log."""
    regex: str
    source: str


@dataclass(frozen=True)
class ChipSupport:
    """One stack's word on one chip: the releases that support it and those that do not (PEP 440 ranges)."""

    __pydantic_config__ = {"extra": "forbid"}

    chip: str
    supported: List[str] = field(default_factory=list)
    unsupported: List[str] = field(default_factory=list)
    note: Optional[Bilingual] = None
    """What the stack says about this chip besides (experimental, a separate image, no plan)."""


@dataclass(frozen=True)
class StackSupport:
    """The chips one stack supports, by release."""

    __pydantic_config__ = {"extra": "forbid"}

    module: str
    """The stack's import name in ``framework_defects.yaml`` (its name and pip names are there)."""
    seen: List[str]
    """Words the stack's log holds (a module path, a banner)."""
    chips: List[ChipSupport]
    source: str


@dataclass(frozen=True)
class SupportMatrix:
    """``validators/data/support_matrix.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    chips: List[Chip]
    stacks: List[StackSupport]


def load_support_matrix() -> SupportMatrix:
    return compiled.built(MATRIX_FILE, "support_matrix", lambda: load_model(SupportMatrix, MATRIX_FILE))


@lru_cache(maxsize=1)
def _chip_patterns() -> Tuple[Any, List[Tuple[Chip, "re.Pattern[bytes]"]]]:
    chips = load_support_matrix().chips
    return (any_of(sorted({literal for chip in chips for literal in chip.literals})),
            [(chip, re.compile(chip.regex.encode())) for chip in chips])


@lru_cache(maxsize=1)
def _seen_finders() -> Tuple[Any, List[Any]]:
    stacks = load_support_matrix().stacks
    return any_of(sorted({word for stack in stacks for word in stack.seen})), [any_of(stack.seen) for stack in stacks]


def stack_in(data: bytes) -> Optional[StackSupport]:
    """The first stack of the matrix whose words the log holds, or None (one pass when it holds none)."""
    anyone, finders = _seen_finders()
    if anyone.search(data) is None:
        return None
    stacks = load_support_matrix().stacks
    return next((stack for stack, finder in zip(stacks, finders) if finder.search(data)), None)


def chips_by_id() -> Dict[str, Chip]:
    return {chip.id: chip for chip in load_support_matrix().chips}


@dataclass
class ChipSeen:
    """The chip a log shows: its family, the name as written and the line it is on."""

    chip: Chip
    written: str
    line: int


def chip_in(data: bytes, first_line: int = 1) -> Optional[ChipSeen]:
    """The first chip the log names on a line that names no other family (a list of chips names none in
    particular); None when it names none. Lines are found by the chips' literals in one pass (at most
    :data:`MAX_CHIP_HITS` of them), then read by each chip's regex."""
    finder, patterns = _chip_patterns()
    following = offsets(finder, data, len(data))
    pos = following(0)
    for _ in range(MAX_CHIP_HITS):
        if pos is None:
            return None
        begin = data.rfind(b"\n", 0, pos) + 1
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        line = data[begin:end]
        hits = [(found.start(), chip, found.group(0)) for chip, pattern in patterns for found in [pattern.search(line)]
                if found is not None]
        if hits and len({chip.id for _, chip, _ in hits}) == 1:
            at, chip, written = min(hits, key=lambda hit: hit[0])
            return ChipSeen(chip, written.decode("ascii", "replace"), first_line + data.count(b"\n", 0, begin))
        pos = following(end + 1)
    return None


def verdict(entry: ChipSupport, version: Optional[str]) -> Optional[str]:
    """:data:`SUPPORTED`, :data:`UNSUPPORTED` or None (not known) for the release ``version`` (None: the log
    shows no release; then only "every release" answers)."""
    for status, ranges in ((UNSUPPORTED, entry.unsupported), (SUPPORTED, entry.supported)):
        if "" in ranges:
            return status
        if version is not None and any(_within(version, spec) for spec in ranges):
            return status
    return None


def _within(version: str, spec: str) -> bool:
    try:
        return Version(version) in SpecifierSet(spec, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def supported_elsewhere(stack: StackSupport, chip_id: str, version: Optional[str]) -> Tuple[List[str], List[str]]:
    """The chips the stack supports (in the release ``version``, or in every release when None), and the
    releases that support ``chip_id`` (PEP 440 ranges; empty when none does)."""
    supported = [entry.chip for entry in stack.chips if verdict(entry, version) == SUPPORTED]
    releases = next((list(entry.supported) for entry in stack.chips if entry.chip == chip_id), [])
    return supported, releases
