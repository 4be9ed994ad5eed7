"""What the installed frameworks say they need, in their own words.

A wheel's METADATA lists ``Requires-Dist`` (``mindspore~=2.10.0``) and ``Requires-Python``;
MindFormers also ships ``VERSION_MAP.json`` (MindFormers -> MindSpore -> CANN -> driver, the map its
own ``run_check()`` uses). These are the frameworks' word and go stale never, so the doctor judges by
them first; the stacks table only fills what they do not say (CANN and driver of old releases, the
commits of source checkouts). Pure functions over probed facts: nothing here reads the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Optional

from mindpilot.i18n import Bilingual
from mindpilot.validators.probe.facts import EnvFacts
from mindpilot.validators.versions import pep440, satisfies, valid_spec, version_key

DECLARERS = ("mindformers", "vllm-mindspore", "mindrlhf", "msadapter", "mindspore-gs", "torch-npu", "mindspeed",
             "mindspore")
"""Framework packages whose declarations are read, most telling first (the first one to name a
dependency is the one a finding quotes). Not ``vllm``: vLLM-MindSpore installs it with ``--no-deps`` on
purpose (msadapter stands in for the torch it declares)."""

Origin = Literal["metadata", "version_map", "learned"]
ORIGIN_TEXT = {
    "metadata": Bilingual(zh="它自己的包元数据", en="its own package metadata"),
    "version_map": Bilingual(zh="它自带的 VERSION_MAP.json", en="its own VERSION_MAP.json"),
    "learned": Bilingual(zh="它的发布元数据（mindpilot knowledge learn）",
                         en="its release metadata, learned with mindpilot knowledge learn"),
}
"""How a finding names where an expectation came from."""

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?\s*([^;()@]*?)\s*\)?\s*$")


@dataclass(frozen=True)
class Declared:
    """One thing an installed (or learned) framework release says it needs (a plain dataclass: made per
    doctor run, never validated from outside)."""

    name: str
    """The needed package, PEP 503 normalized (``mindspore``)."""
    spec: str
    """The PEP 440 specifier as declared (``~=2.11.0``); empty means any version."""
    by: str
    """The declaring package (``mindformers``)."""
    by_version: str
    """Its version (``2.1.0``)."""
    origin: Origin = "metadata"
    """Where the words are: the package's METADATA, its VERSION_MAP.json, or a learned release."""
    install: Optional[str] = None
    """The exact version the declarer prefers, when it names one (VERSION_MAP ``prefer``)."""

    def origin_text(self, lang: str) -> str:
        """``its own package metadata`` in ``lang``."""
        return ORIGIN_TEXT[self.origin].get(lang)


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requires(lines: list[str], python_version: str) -> list[tuple[str, str]]:
    """``(name, specifier)`` of the ``Requires-Dist`` lines that apply to this interpreter.

    Lines behind an ``extra ==`` marker are left out (nobody asked for the extra); other markers are
    evaluated for ``python_version`` (``packaging.markers`` is imported only then, to keep start-up fast).
    A line that does not parse is skipped.
    """
    found = []
    for line in lines:
        requirement, _, marker = line.partition(";")
        if marker.strip() and not _marker_holds(marker, python_version):
            continue
        match = _REQUIREMENT.match(requirement)
        if not match or "@" in requirement:
            continue
        spec = match.group(2).replace(" ", "")
        if spec and not valid_spec(spec):
            continue
        found.append((normalize(match.group(1)), spec))
    return found


def _marker_holds(marker: str, python_version: str) -> bool:
    if "extra" in marker:
        return False
    try:
        from packaging.markers import InvalidMarker, Marker

        parts = (python_version.split(".") + ["0", "0"])[:3]
        return Marker(marker.strip()).evaluate({"python_version": ".".join(parts[:2]),
                                                "python_full_version": ".".join(parts)})
    except (InvalidMarker, ValueError, TypeError):
        return False
    except Exception:  # noqa: BLE001 - an odd marker in someone's METADATA must not stop the doctor
        return False


def declared_by_packages(facts: EnvFacts, tracked: set[str], first: Optional[str] = None) -> dict[str, Declared]:
    """What installed framework packages require of the ``tracked`` packages, one entry per need.

    ``first`` (the stack's anchor) speaks first, then :data:`DECLARERS` in order; the first to name a
    package is the one judged (pip would have refused a real contradiction at install time).
    """
    found: dict[str, Declared] = {}
    order = ([first] if first else []) + [d for d in DECLARERS if d != first]
    for declarer in order:
        details = facts.package_details.get(declarer)
        if details is None:
            continue
        for name, spec in parse_requires(details.requires, facts.python.version):
            if name in tracked and name not in found and name != declarer:
                found[name] = Declared(name=name, spec=spec, by=declarer, by_version=details.version)
    return found


class VersionMap:
    """MindFormers' ``VERSION_MAP.json``: ``{"mf": {v: {prefer, support}}, "ms": {...}, "cann": {...}}``."""

    def __init__(self, document: dict, path: str) -> None:
        self.document = document if isinstance(document, dict) else {}
        self.path = path

    def _entry(self, level: str, version: str) -> tuple[Optional[str], list[str]]:
        table = self.document.get(level)
        entry = table.get(version) if isinstance(table, dict) else None
        if not isinstance(entry, dict):
            return None, []
        support = entry.get("support") if isinstance(entry.get("support"), list) else []
        support = [str(v) for v in support if isinstance(v, str) and _version_like(v)]
        prefer = entry.get("prefer")
        return (prefer if isinstance(prefer, str) and _version_like(prefer) else None), support

    def mindspore_for(self, mindformers: str) -> tuple[Optional[str], list[str]]:
        """(preferred, supported) MindSpore versions of a MindFormers release (its base version)."""
        parsed = pep440(mindformers)
        key = parsed.base_version if parsed else mindformers
        return self._entry("mf", key)

    def cann_for(self, mindspore: str) -> tuple[Optional[str], list[str]]:
        """(preferred, supported) CANN versions of a MindSpore release (``2.10.0`` -> ``9.1.0``)."""
        parsed = pep440(mindspore)
        prefer, support = self._entry("ms", parsed.base_version if parsed else mindspore)
        if prefer is None and parsed is not None:  # 2.7.1.post1 is a 2.7.1
            release = ".".join(str(p) for p in parsed.release[:3])
            prefer, support = self._entry("ms", release)
        return prefer, support

    def driver_for(self, cann: str) -> tuple[Optional[str], list[str]]:
        """(preferred, supported) driver versions of a CANN release."""
        return self._entry("cann", cann)

    def mindformers_versions(self) -> list[str]:
        """Every MindFormers release the map names."""
        table = self.document.get("mf")
        return sorted(table, key=version_key) if isinstance(table, dict) else []

    def mindformers_accepting(self, mindspore: str) -> list[str]:
        """MindFormers releases whose supported MindSpore list names ``mindspore`` (oldest first)."""
        releases = []
        for release in self.mindformers_versions():
            prefer, support = self.mindspore_for(release)
            if any(satisfies(mindspore, f"=={v}") or satisfies(mindspore, f"=={v}.*")
                   for v in support + ([prefer] if prefer else [])):
                releases.append(release)
        return releases


def _version_like(text: str) -> bool:
    """A PEP 440 version (``2.10.0``) or an Ascend one (``8.0.RC3``, ``26.2.RC1``): nothing else is trusted."""
    return len(text) < 40 and (pep440(text) is not None or re.fullmatch(r"\d+(\.[0-9A-Za-z]+){1,4}", text) is not None)


def installed_version_map(facts: EnvFacts) -> Optional[VersionMap]:
    """The ``VERSION_MAP.json`` of the MindFormers Python imports (else the first one found)."""
    if not facts.version_maps:
        return None
    origin = facts.import_origins.get("mindformers")
    for path, document in facts.version_maps.items():
        if origin and path.startswith(origin.rstrip("/") + "/"):
            return VersionMap(document, path)
    path, document = next(iter(facts.version_maps.items()))
    return VersionMap(document, path)
