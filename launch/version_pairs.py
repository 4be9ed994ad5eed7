"""A failing log whose releases are not a pair (vLLM Ascend 0.9.1rc1 on vLLM 0.9.2, torch_npu 2.1.0 on torch
2.5.1, MindFormers 1.8.0 on MindSpore 2.6.0): say so, with the release that goes with it.

The pairs and the stacks' naming rules are :mod:`mindpilot.validators.kb.pairs`. Over an unsure or likely root
cause the finding becomes the root cause, said as likely (a plug-in built for another release fails in many
ways, whatever its message); under a rule that names the cause it is listed just after it.
"""

from __future__ import annotations

from typing import Any, Optional

from mindpilot.launch.root_steps import place_over_the_root, root_region
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.kb.frames import possessive
from mindpilot.validators.kb.pairs import StackUnpaired, Unpaired, stack_unpaired_in, unpaired_in

RULE = "diagnose.versions_unpaired"
STACK_RULE = "diagnose.stack_unpaired"


def name_unpaired_versions(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """Add the finding (see the module docstring) to a report with a root cause."""
    region = root_region(report, pasted)
    if region is None:
        return
    root = report.root_cause
    old = report.findings[0] if report.findings else None
    found = unpaired_in(region[0])
    if found is not None:
        finding = _finding(lang, found, root, old)
    else:
        needs = stack_unpaired_in(region[0])
        if needs is None:
            return
        finding = _stack_finding(lang, needs, root, old)
    place_over_the_root(report, finding)


def _quoted(old: Any) -> Optional[str]:
    return (getattr(old, "text", None) or getattr(old, "matched", None)) if old is not None else None


def _stack_finding(lang: str, needs: StackUnpaired, root: Any, old: Any) -> Any:
    """The finding for a release whose requirements the other release misses, on the root cause's line."""
    text = _quoted(old)
    alternatives = [part.strip() for part in needs.spec.split("||")]
    spec = (" 或 " if lang == "zh" else " or ").join(alternatives)
    return make_finding(STACK_RULE, lang, file=root.file, line=root.line, anchor=needs.anchor.name,
                        anchor_version=needs.anchor_version, needed=needs.needed.name, spec=spec,
                        install=alternatives[0], seen=needs.seen, dist=needs.needed.dists[0],
                        extra={"rank": root.rank, "matched": text, "text": text, "stack": needs.stack.id,
                               "versions": {needs.anchor.module: needs.anchor_version, needs.needed.module: needs.seen}})


def _finding(lang: str, found: Unpaired, root: Any, old: Any) -> Any:
    """The finding, on the root cause's line (the failure)."""
    text = _quoted(old)
    return make_finding(RULE, lang, file=root.file, line=root.line, first=found.first.name,
                        first_s=possessive(found.first.name),
                        first_version=found.first_version, second=found.second.name,
                        second_version=found.second_version, wanted=found.wanted, naming=found.pair.rule.get(lang),
                        second_dist=found.second.dists[0],
                        extra={"rank": root.rank, "matched": text, "text": text,
                               "versions": {found.pair.first: found.first_version,
                                            found.pair.second: found.second_version}})
