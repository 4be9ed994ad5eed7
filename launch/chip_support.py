"""A failing log that shows a chip its stack does not support: say so, with the chips and releases that are.

The stacks' support lists (:mod:`mindpilot.validators.kb.support`) say which chips each release runs on. When the
failing file of a log names the chip (npu-smi's table, CANN's soc_version, an error about ``Ascend310P3``) and
the first stack the log shows does not support that chip, in the release the log shows or in any release, the
finding says so. Over an unsure or likely root cause it becomes the root cause, said as likely (the errors on
an unsupported chip follow from it); under a rule that names the cause it is listed just after it. When only some
releases support the chip and the log shows no release, the releases that do are listed after the root cause.
"""

from __future__ import annotations

from typing import Any, List, Optional

from mindpilot.launch.root_steps import place_over_the_root, root_region
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.kb.frames import load_framework_code, possessive, version_in
from mindpilot.validators.kb.support import (UNSUPPORTED, ChipSeen, StackSupport, chip_in, chips_by_id, stack_in,
                                             supported_elsewhere, verdict)

RULE = "diagnose.chip_unsupported"
DEPENDS = "diagnose.chip_support_depends"


def name_unsupported_chip(report: Any, lang: str, pasted: Optional[bytes] = None) -> None:
    """Add the finding (see the module docstring) to a report with a root cause."""
    region = root_region(report, pasted)
    if region is None:
        return
    root = report.root_cause
    data, first = region
    seen = chip_in(data, first)
    if seen is None:
        return
    stack = stack_in(data)
    if stack is None:
        return  # no stack the matrix knows: nothing to say
    entry = next((entry for entry in stack.chips if entry.chip == seen.chip.id), None)
    package = next(package for package in load_framework_code().packages if package.module == stack.module)
    version = version_in(data, package)
    said = verdict(entry, version) if entry is not None else None
    if entry is not None and said is None and version is None and entry.supported:
        # Only some releases support this chip and the log shows none: which ones, after the root cause.
        report.findings.insert(1, _depends(lang, package.name, seen, entry.supported, root))
    if entry is None or said != UNSUPPORTED:
        return
    old = report.findings[0] if report.findings else None
    place_over_the_root(report, _finding(lang, stack, package.name, seen, version, root, old))


def _depends(lang: str, name: str, seen: ChipSeen, releases: List[str], root: Any) -> Any:
    ranges = (" 或 " if lang == "zh" else " or ").join(releases)
    return make_finding(DEPENDS, lang, file=root.file, line=seen.line, stack=name, stack_s=possessive(name),
                        chip=seen.chip.name.get(lang),
                        written=seen.written, ranges=ranges, extra={"rank": root.rank, "matched": seen.written,
                                                                     "text": seen.written, "chip": seen.chip.id})


def _finding(lang: str, stack: StackSupport, name: str, seen: ChipSeen, version: Optional[str], root: Any,
             old: Any) -> Any:
    """The finding, on the root cause's line (the failure; the chip's line is named in its detail)."""
    zh = lang == "zh"
    chips = chips_by_id()
    everywhere, releases = supported_elsewhere(stack, seen.chip.id, version)
    supports = ("；" if zh else "; ").join(chips[chip].name.get(lang) for chip in everywhere if chip in chips)
    elsewhere = (f"它支持的芯片：{supports}。" if zh else f"The chips it supports: {supports}. ") if supports else ""
    ranges = " 或 ".join(releases) if zh else " or ".join(releases)
    releases_fix = ((f"，或安装支持这块芯片的 {name} 版本（{ranges}）" if zh else
                     f", or install a {name} release that supports this chip ({ranges})") if releases else "")
    entry = next(entry for entry in stack.chips if entry.chip == seen.chip.id)
    note = (entry.note.get(lang) + ("" if zh else " ")) if entry.note is not None else ""
    release = (f" {version} " if zh else f" {version}") if version else ""
    which = ("这个版本" if zh else "this release") if version else ("任何版本" if zh else "any release")
    text = getattr(old, "text", None) or getattr(old, "matched", None) if old is not None else None
    return make_finding(RULE, lang, file=root.file, line=root.line, stack=name, stack_s=possessive(name), release=release,
                        chip=seen.chip.name.get(lang), written=seen.written, chip_line=seen.line, which=which,
                        elsewhere=elsewhere, note=note, releases_fix=releases_fix,
                        extra={"rank": root.rank, "matched": text or seen.written, "text": text or seen.written,
                               "chip_line": seen.line, "stack": stack.module,
                               "chip": seen.chip.id, **({"version": version} if version else {})})
