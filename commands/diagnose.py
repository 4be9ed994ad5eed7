"""``mindpilot diagnose PATH...``: name the known error in logs, and the rank that failed first.

PATH is a log file, an msrun log directory, a job id, a launch script, a config, or ``-`` for a pasted
report on stdin; each is classified once by :mod:`mindpilot.launch.router`, which ``check`` shares, so
both commands find the same. Without PATH it checks the environment for conditions that cause known errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, List, Optional, TextIO

from mindpilot.commands.output import (CommandError, add_format_argument, emit_ci, emit_json, lang_of, message,
                                       print_findings)
from mindpilot.exit_codes import ExitCode
from mindpilot.validators.text.columns import wrap

if TYPE_CHECKING:
    from mindpilot.validators.findings import Finding


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "diagnose", parents=[common],
        help="explain training errors in logs (file, msrun log dir, script, or - for stdin)",
        description="Match logs against the knowledge base of known Ascend training errors. "
                    "For an msrun log directory, name the first failing rank and group the timeouts "
                    "that follow. Without PATH, check this environment for known causes of errors.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="log file, msrun log directory (scheduler.log + worker_*.log), job id, launch script, "
                             "YAML config, or - for a paste")
    parser.add_argument("--python", default=None, help="interpreter to probe when no PATH is given")
    add_format_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    lang = lang_of(args)
    if not args.paths:
        return _environment(args, lang)
    from mindpilot.commands.check import environment_defaults
    from mindpilot.launch.router import InputError, analyse
    from mindpilot.validators.findings import exit_code_for

    if "-" in args.paths and sys.stdin.isatty():
        message("粘贴日志或报错，按 Ctrl-D 结束：" if lang == "zh" else "paste the log or report, then Ctrl-D:")
    try:
        cards, hbm = environment_defaults(None, None)  # as `check` does: the same findings for a config
        report = analyse(args.paths, lang, cards=cards, hbm_gb=hbm)
    except InputError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from exc
    if emit_ci(args, report.findings, "diagnose"):
        return exit_code_for(report.findings)
    if args.json:
        emit_json(report.to_dict())
    else:
        print_report(report, lang)
    return exit_code_for(report.findings)


def _environment(args: argparse.Namespace, lang: str) -> ExitCode:
    from mindpilot.validators.findings import exit_code_for
    from mindpilot.validators.kb.envcheck import probe_and_check

    try:
        findings = probe_and_check(lang, python=args.python)
    except RuntimeError as exc:
        raise CommandError(str(exc), ExitCode.ENVIRONMENT) from exc
    if emit_ci(args, findings, "diagnose"):
        return exit_code_for(findings)
    if args.json:
        emit_json({"findings": [finding.to_dict() for finding in findings], "root_cause": None})
    else:
        if findings:
            print_findings(findings, lang)
        else:
            message("环境中没有发现已知的出错条件。" if lang == "zh" else "no known cause of errors found in this environment.")
    return exit_code_for(findings)


def _meta(finding: Finding) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line else (finding.file or "")
    extra = getattr(finding, "time", None)
    count = getattr(finding, "count", 1) or 1
    rank = getattr(finding, "rank", None)
    parts = [f"{where}  [{extra}]" if extra else where, f"rank {rank}" if rank is not None else "",
             f"×{count}" if count > 1 else ""]
    return " ".join(part for part in parts if part)


def print_report(report, lang: str, stream: Optional[TextIO] = None) -> None:
    """The report as text: the root cause once (with its fix), other findings, grouped consequences,
    reading problems."""
    from mindpilot.validators.catalog import make_finding
    from mindpilot.validators.text.findings import format_finding

    out = stream or sys.stdout
    lines: List[str] = []
    findings = list(report.findings)
    root = report.root_cause
    if root is not None:
        where = f"{root.file}:{root.line}"
        head = make_finding("diagnose.root_cause" if root.rank is not None else "diagnose.root_cause_single",
                            lang, rank=root.rank, title=root.title, where=where)
        lines += wrap(f"▶ {head.title}", "  ") + wrap(f"  {head.detail}", "  ")
        cause = findings.pop(0) if findings and findings[0].rule == root.rule else None
        if cause is not None:
            lines += _body(cause, lang, "  ", said=root.title)
        lines.append("")
    for finding in findings:
        if getattr(finding, "consequence", False):
            continue
        lines.append(format_finding(finding, lang))
        if getattr(finding, "matched", None) is not None:
            lines.append("    " + _meta(finding))
            lines.append("    > " + str(finding.matched)[:200])
    if report.consequences:
        if lines and lines[-1]:
            lines.append("")
        lines.append(make_finding("diagnose.consequences", lang).title)
        for group in report.consequences:
            ranks = ",".join(str(rank) for rank in group.ranks)
            text = make_finding("diagnose.consequence_group" if ranks else "diagnose.consequence_group_unranked",
                                lang, title=group.title, ranks=ranks, files=group.files, count=group.count).title
            lines += wrap("  " + text, "    ")
    if not report.findings:
        total = sum(scanned.lines for scanned in report.files)
        lines.append(make_finding("diagnose.no_findings", lang, files=len(report.files), lines=total).title)
    out.write("\n".join(lines) + ("\n" if lines else ""))
    out.flush()
    for note in report.notes:
        message(format_finding(note, lang))


def _body(finding: Finding, lang: str, indent: str, said: str) -> List[str]:
    """A finding's detail, fix and matched line, without its title and without ``said`` (the root cause,
    said just above)."""
    from mindpilot.validators.text.findings import FIX_LABEL

    lines: List[str] = []
    for part in (finding.detail or "").splitlines():
        lines += wrap(indent + part, indent)
    if finding.fix:
        fix = finding.fix.splitlines()
        lines.append(f"{indent}{FIX_LABEL['zh' if lang == 'zh' else 'en']}: {fix[0]}")
        lines += [indent + "  " + part for part in fix[1:]]
    meta = _meta(finding)
    lines.append(f"{indent}[{finding.rule}] {meta}".rstrip())
    matched = str(getattr(finding, "matched", None) or "")
    if matched and matched.strip() != said.strip():
        lines.append(f"{indent}> " + matched[:200])
    return lines
