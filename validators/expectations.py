"""The stack an environment is judged against: the table row, corrected by the frameworks' own word.

The table (``stacks.yaml``) is a hand copy and goes stale; the installed packages' ``Requires-Dist``,
``Requires-Python`` and MindFormers' ``VERSION_MAP.json`` do not. :func:`effective_stack` takes the
chosen row and replaces every pin an installed framework declares itself, and the CANN/driver the
VERSION_MAP names; :func:`release_stack` builds a whole row from a release's own declarations when it
is newer than the table (or was learned with ``mindpilot knowledge learn``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from mindpilot.validators.declarations import Declared, VersionMap, parse_requires
from mindpilot.validators.knowledge import LearnedRelease, load_learned
from mindpilot.validators.probe.facts import EnvFacts
from mindpilot.validators.stacks import Requirement, Stack, load_stacks
from mindpilot.validators.versions import pep440, satisfies, valid_spec, version_key

FRAMEWORK_OF = {"mindformers": "mindformers", "vllm-mindspore": "vllm-mindspore", "torch-npu": "mindspeed-llm"}
"""Anchors a release can be learned for, and the stack family each one heads."""
TITLES = {"mindformers": "MindFormers", "vllm-mindspore": "vLLM-MindSpore", "torch-npu": "torch-npu"}
JUDGED = ("mindspore", "mindformers", "mindrlhf", "vllm", "vllm-mindspore", "msadapter", "mindspore-gs", "torch",
          "torch-npu", "transformers", "hyper-parallel")
"""Declared dependencies the doctor shows and judges (the framework layer; pip checks the rest)."""


def all_stacks() -> tuple[Stack, ...]:
    """Learned releases (as rows, newest first) and then the shipped table; a table row wins on an id clash."""
    table = load_stacks()
    ids = {stack.id for stack in table}
    learned = [release_stack(r.name, r.version, r.requires, r.requires_python,
                             VersionMap(r.version_map, r.wheel) if r.version_map else None, "learned",
                             f"learned from {r.wheel} on {r.learned}")
               for r in load_learned() if r.name in FRAMEWORK_OF]
    return tuple(s for s in learned if s.id not in ids) + table


def newest_learned_map() -> Optional[VersionMap]:
    """The VERSION_MAP of the newest learned MindFormers release (it lists every older release too)."""
    releases: list[LearnedRelease] = [r for r in load_learned() if r.name == "mindformers" and r.version_map]
    if not releases:
        return None
    newest = max(releases, key=lambda r: version_key(r.version))
    return VersionMap(newest.version_map or {}, newest.wheel)


def release_stack(name: str, version: str, requires: list[str], requires_python: Optional[str],
                  version_map: Optional[VersionMap], origin: str, source: str,
                  python_version: str = "3.10") -> Stack:
    """A stack row built only from what release ``name==version`` declares itself."""
    declared = {dep: Declared(name=dep, spec=spec, by=name, by_version=version,
                              origin="learned" if origin == "learned" else "metadata")
                for dep, spec in parse_requires(requires, python_version) if dep in JUDGED and spec}
    if version_map is not None and name == "mindformers" and "mindspore" in declared:
        prefer = version_map.mindspore_for(version)[0]
        if prefer and satisfies(prefer, declared["mindspore"].spec):
            declared["mindspore"] = replace(declared["mindspore"], install=prefer)
    stack = Stack(id=f"{name}-{version}", title=f"{TITLES.get(name, name)} {version}",
                  framework=FRAMEWORK_OF[name], anchor=name,  # type: ignore[arg-type]
                  python=requires_python if requires_python and valid_spec(requires_python) else None,
                  packages=[Requirement(name=name, version=version)], source=source)
    return apply_declarations(stack, declared, version_map, {})


def anchor_version(stack: Stack, facts: EnvFacts) -> Optional[str]:
    """The installed version of the stack's anchor (pip copy, else the checkout's ``__version__``)."""
    checkout = facts.checkouts.get(stack.anchor)
    return facts.packages.get(stack.anchor) or (checkout.version if checkout else None)


def newer_than_known(stack: Stack, facts: EnvFacts, stacks: tuple[Stack, ...]) -> Optional[tuple[str, str]]:
    """(installed, newest known) when the anchor is newer than every row of its family, else None."""
    installed = anchor_version(stack, facts)
    if not installed or pep440(installed) is None:
        return None
    known = [req.version for s in stacks if s.framework == stack.framework and s.anchor == stack.anchor
             for req in [s.requirement(s.anchor)] if req and req.version and pep440(req.version)]
    if not known:
        return None
    newest = max(known, key=version_key)
    # Releases, not builds: torch-npu 2.7.1.post12 is still the 2.7.1 line the MindSpeed rows name.
    return (installed, newest) if _release(installed) > _release(newest) else None


def _release(version: str) -> tuple[int, ...]:
    parsed = pep440(version)
    return tuple(parsed.release) + (0,) * (3 - len(parsed.release)) if parsed else ()


def exact_row(stack: Stack, facts: EnvFacts, stacks: tuple[Stack, ...]) -> Stack:
    """The row of the installed anchor's own release when the table has one (else ``stack``).

    Only where the anchor's version names the release (MindFormers, vLLM-MindSpore): MindSpeed-LLM
    rows share one torch-npu line and are told apart by CANN, which the best fit already weighs.
    """
    installed = anchor_version(stack, facts)
    if not installed or stack.framework not in ("mindformers", "vllm-mindspore"):
        return stack
    for candidate in stacks:
        req = candidate.requirement(candidate.anchor)
        if (candidate.framework == stack.framework and candidate.anchor == stack.anchor and req and req.version
                and not req.commit and req.version == installed):
            return candidate
    return stack


def installed_declarations(facts: EnvFacts, declared: dict[str, Declared],
                           version_map: Optional[VersionMap]) -> dict[str, Declared]:
    """``declared`` plus what the VERSION_MAP says of the installed MindFormers' MindSpore."""
    mindformers = facts.packages.get("mindformers") or (
        facts.checkouts["mindformers"].version if "mindformers" in facts.checkouts else None)
    if version_map is None or not mindformers:
        return declared
    prefer, support = version_map.mindspore_for(mindformers)
    if not prefer or pep440(prefer) is None:  # MindSpore versions are PEP 440; anything else is not trusted
        return declared
    support = [v for v in support if pep440(v) is not None]
    result = dict(declared)
    current = result.get("mindspore")
    if current is not None and current.by == "mindformers":
        if satisfies(prefer, current.spec or ">=0"):
            result["mindspore"] = replace(current, install=prefer)
    elif current is None:
        spec = " || ".join(f"=={v}" for v in dict.fromkeys(support or [prefer]))
        result["mindspore"] = Declared(name="mindspore", spec=spec, by="mindformers", by_version=mindformers,
                                       origin="version_map", install=prefer)
    return result


def apply_declarations(stack: Stack, declared: dict[str, Declared], version_map: Optional[VersionMap],
                       found: dict[str, str]) -> Stack:
    """``stack`` with every pin a framework declares itself replaced by its own words.

    Commit pins (source checkouts) stay: metadata cannot speak for a commit. CANN and driver follow the
    VERSION_MAP entry of the MindSpore that is (or is to be) installed, when the map has one (MindFormers
    stacks only: vLLM-MindSpore and MindRLHF publish their own CANN lists).
    """
    packages: list[Requirement] = []
    for req in stack.packages:
        claim = declared.get(req.name)
        packages.append(req if claim is None or req.commit or not claim.spec else _requirement(claim, req))
    names = {req.name for req in packages}
    packages += [_requirement(claim, None) for name, claim in declared.items()
                 if name not in names and name in JUDGED and claim.spec]
    update: dict = {"packages": packages}
    mindspore = next((r for r in packages if r.name == "mindspore"), None)
    if version_map is not None and mindspore is not None and stack.framework == "mindformers":
        target = found.get("mindspore")
        if not (target and mindspore.accepted and satisfies(target, mindspore.accepted)):
            target = mindspore.version or _lowest_named(mindspore.spec or "")
        cann, supported = version_map.cann_for(target) if target else (None, [])
        if cann:
            update["cann"] = list(dict.fromkeys(supported or [cann]))
            update["driver"] = version_map.driver_for(cann)[0] or stack.driver
            update["source"] = f"{stack.source}; CANN and driver: {version_map.path}"
            driver = f" → driver {update['driver']}" if update["driver"] else ""
            update["ascend_chain"] = f"MindFormers VERSION_MAP.json: MindSpore {target} → CANN {cann}{driver}"
    return replace(stack, **update)


def with_python(stack: Stack, requires_python: Optional[str]) -> Stack:
    """``stack`` whose Python range also honours the anchor's own ``Requires-Python``."""
    if not requires_python or not valid_spec(requires_python) or "||" in (stack.python or ""):
        return stack
    minors = [f"3.{minor}.0" for minor in range(0, 20)]
    if stack.python and all(satisfies(v, requires_python) for v in minors if satisfies(v, stack.python)):
        return stack  # the row is already as strict (">=3.9,<3.12" implies ">=3.7")
    parts = [p.strip() for p in (stack.python or "").split(",") if p.strip()]
    parts += [p.strip() for p in requires_python.split(",") if p.strip() and p.strip() not in parts]
    return replace(stack, python=",".join(parts))


def _requirement(claim: Declared, table: Optional[Requirement]) -> Requirement:
    install = claim.install if claim.install and satisfies(claim.install, claim.spec) else None
    wheel = None
    if install is None and table is not None and table.version and satisfies(table.version, claim.spec):
        install, wheel = table.version, table.wheel
    return Requirement(name=claim.name, version=install, spec=claim.spec, wheel=wheel,
                       note=table.note if table else None, declared_by=f"{claim.by} {claim.by_version}",
                       origin=claim.origin)


def forward_release(declarer: str, declarer_version: str, dependency: str, found: str,
                    version_map: Optional[VersionMap], stacks: tuple[Stack, ...]) -> Optional[str]:
    """The oldest known release of ``declarer`` newer than ``declarer_version`` that accepts ``dependency found``.

    This is the forward fix when a dependency is newer than what the installed declarer asks for.
    """
    candidates = []
    if version_map is not None and declarer == "mindformers" and dependency == "mindspore":
        candidates += version_map.mindformers_accepting(found)
    for stack in stacks:
        anchor, need = stack.requirement(declarer), stack.requirement(dependency)
        if anchor and anchor.version and need and need.accepted and satisfies(found, need.accepted):
            candidates.append(anchor.version)
    newer = [v for v in candidates if pep440(v) and version_key(v) > version_key(declarer_version)]
    return min(newer, key=version_key) if newer else None


def newer_than_spec(found: str, spec: str) -> bool:
    """Whether ``found`` lies above every version ``spec`` names (so installing ``spec`` would go back)."""
    named = [part.strip().lstrip("=~<>!").rstrip(".*") for alt in spec.split("||") for part in alt.split(",")]
    versions = [v for v in named if pep440(v)]
    return bool(versions) and pep440(found) is not None and all(version_key(found) > version_key(v) for v in versions)


def _lowest_named(spec: str) -> Optional[str]:
    """The first version a specifier names (``~=2.12.0`` -> ``2.12.0``), or None."""
    for part in spec.replace("||", ",").split(","):
        text = part.strip().lstrip("=~<>!").rstrip(".*")
        if pep440(text):
            return text
    return None


def newest_known(name: str) -> Optional[str]:
    """The newest release of ``name`` any row knows (table or learned), for "newer than we know" notes."""
    versions = [req.version for stack in all_stacks() for req in [stack.requirement(name)]
                if req and req.version and pep440(req.version) and stack.anchor == name]
    return max(versions, key=version_key) if versions else None
