"""A diagnose report as plain text, the form the CLI prints for ``diagnose`` and for ``check`` of a log."""

from __future__ import annotations

from typing import Any, List

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding
from mindpilot.validators.kb.report import CONFIDENT, UNSURE
from mindpilot.validators.text.columns import WIDTH, wrap
from mindpilot.validators.text.findings import FIX_LABEL, format_finding


def _meta(finding: Finding) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line else (finding.file or "")
    extra = getattr(finding, "time", None)
    count = getattr(finding, "count", 1) or 1
    rank = getattr(finding, "rank", None)
    parts = [f"{where}  [{extra}]" if extra else where, f"rank {rank}" if rank is not None else "",
             f"×{count}" if count > 1 else ""]
    return " ".join(part for part in parts if part)


def report_lines(report: Any, lang: str, width: int = WIDTH) -> List[str]:
    """An analysis report (``launch.router.analyse``: diagnose, or check of a log) as text wrapped to ``width``:
    the root cause once (with its fix and its whole log line), other findings, grouped consequences. Its
    ``notes`` (reading problems) are not included."""
    lines: List[str] = []
    findings = list(report.findings)
    root = report.root_cause
    if root is not None:
        head = root_heading(root, lang)
        lines += wrap(f"▶ {head.title}", "  ", width) + wrap(f"  {head.detail}", "  ", width)
        cause = findings.pop(0) if findings and findings[0].rule == root.rule else None
        if cause is not None:
            lines += _body(cause, lang, "  ", said=root.title, width=width)
        lines.append("")
    for finding in findings:
        if getattr(finding, "consequence", False):
            continue
        lines.append(format_finding(finding, lang, width=width))
        if getattr(finding, "matched", None) is not None:
            lines += wrap("    " + _meta(finding), "      ", width)
            lines += wrap("    > " + whole_line(finding), "      ", width)
    if report.consequences:
        if lines and lines[-1]:
            lines.append("")
        lines.append(make_finding("diagnose.consequences", lang).title)
        for group in report.consequences:
            ranks = ",".join(str(rank) for rank in group.ranks)
            text = make_finding("diagnose.consequence_group" if ranks else "diagnose.consequence_group_unranked",
                                lang, title=group.title, ranks=ranks, files=group.files, count=group.count).title
            lines += wrap("  " + text, "    ", width)
    if not report.findings and report.files:  # logs were read (a check of configs only says so on its own)
        total = sum(scanned.lines for scanned in report.files)
        lines.append(make_finding("diagnose.no_findings", lang, files=len(report.files), lines=total).title)
    return lines


def root_heading(root: Any, lang: str) -> Finding:
    """The root cause's heading, as sure as its ``confidence``: an error no rule knows is said as unsure, a
    catch-all's general explanation as likely (not certain), each with its rank and place."""
    where = f"{root.file}:{root.line}"
    confidence = getattr(root, "confidence", CONFIDENT)
    if confidence != CONFIDENT:
        who = f"rank {root.rank}" if root.rank is not None else ("日志" if lang == "zh" else "the log")
        heading = "diagnose.root_cause_unsure" if confidence == UNSURE else "diagnose.root_cause_likely"
        return make_finding(heading, lang, title=root.title, where=where, who=who)
    return make_finding("diagnose.root_cause" if root.rank is not None else "diagnose.root_cause_single",
                        lang, rank=root.rank, title=root.title, where=where)


def whole_line(finding: Finding) -> str:
    """The whole log line of a finding (a rule matches only part of it), else what matched."""
    return str(getattr(finding, "text", None) or getattr(finding, "matched", None) or "").strip()


def _body(finding: Finding, lang: str, indent: str, said: str, width: int = WIDTH) -> List[str]:
    """A finding's detail, fix and whole log line, without its title and without ``said`` (the root cause,
    said just above)."""
    lines: List[str] = []
    for part in (finding.detail or "").splitlines():
        lines += wrap(indent + part, indent, width)
    if finding.fix:
        fix = finding.fix.splitlines()
        lines.append(f"{indent}{FIX_LABEL['zh' if lang == 'zh' else 'en']}: {fix[0]}")
        lines += [indent + "  " + part for part in fix[1:]]
    meta = _meta(finding)
    lines += wrap(f"{indent}[{finding.rule}] {meta}".rstrip(), indent + "  ", width)
    line = whole_line(finding)
    if line and line != said.strip():
        lines += wrap(f"{indent}> {line}", indent + "  ", width)
    also = str(getattr(finding, "also_text", None) or "").strip()
    if also:  # a later line of the same error the rule knows too (the failed call under CANN's TraceBack)
        lines += wrap(f"{indent}> {also}", indent + "  ", width)
    return lines
