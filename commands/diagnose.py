"""``mindpilot diagnose PATH...``: name the known error in logs, and the rank that failed first.

PATH is a log file, an msrun log directory, a launch script, or ``-`` for a pasted report on stdin.
Without PATH it checks the environment for conditions that cause known errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, TextIO

from mindpilot.commands.output import (CommandError, add_format_argument, emit_ci, emit_json, format_finding,
                                       lang_of, message, print_findings)
from mindpilot.exit_codes import ExitCode
from mindpilot.validators.findings import Finding, exit_code_for


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "diagnose", parents=[common],
        help="explain training errors in logs (file, msrun log dir, script, or - for stdin)",
        description="Match logs against the knowledge base of known Ascend training errors. "
                    "For an msrun log directory, name the first failing rank and group the timeouts "
                    "that follow. Without PATH, check this environment for known causes of errors.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="log file, msrun log directory (scheduler.log + worker_*.log), launch script, or -")
    parser.add_argument("--python", default=None, help="interpreter to probe when no PATH is given")
    add_format_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    lang = lang_of(args)
    if not args.paths:
        return _environment(args, lang)
    from mindpilot.launch.postmortem import add_unknown_first_error
    from mindpilot.validators.kb.diagnose import DiagnoseInputError, diagnose_paths

    if "-" in args.paths and sys.stdin.isatty():
        message("粘贴日志或报错，按 Ctrl-D 结束：" if lang == "zh" else "paste the log or report, then Ctrl-D:")
    try:
        report = diagnose_paths(args.paths, lang)
    except DiagnoseInputError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from exc
    add_unknown_first_error(report, lang)  # the live view's "first error" when no known rule matches
    if emit_ci(args, report.findings, "diagnose"):
        return exit_code_for(report.findings)
    if args.json:
        emit_json(report.to_dict())
    else:
        print_report(report, lang)
    return exit_code_for(report.findings)


def _environment(args: argparse.Namespace, lang: str) -> ExitCode:
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


def _where(finding: Finding) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line else (finding.file or "")
    extra = getattr(finding, "time", None)
    return f"{where}  [{extra}]" if extra else where


def print_report(report, lang: str, stream: Optional[TextIO] = None) -> None:
    """The report as text: root cause, other errors, grouped consequences, reading problems."""
    from mindpilot.validators.catalog import make_finding

    out = stream or sys.stdout
    lines: List[str] = []
    root = report.root_cause
    if root is not None:
        if root.rank is not None:
            head = make_finding("diagnose.root_cause", lang, rank=root.rank, title=root.title,
                                where=f"{root.file}:{root.line}")
        else:
            head = make_finding("diagnose.root_cause_single", lang, title=root.title,
                                where=f"{root.file}:{root.line}")
        lines += [f"▶ {head.title}", f"  {head.detail}", ""]
    for finding in report.findings:
        if getattr(finding, "consequence", False):
            continue
        lines.append(format_finding(finding, lang))
        count = getattr(finding, "count", 1)
        rank = getattr(finding, "rank", None)
        meta = [f"rank {rank}" if rank is not None else "", f"×{count}" if count > 1 else ""]
        lines.append("    " + " ".join(part for part in [_where(finding)] + meta if part))
        lines.append("    > " + str(getattr(finding, "matched", ""))[:200])
    if report.consequences:
        lines.append("")
        lines.append(make_finding("diagnose.consequences", lang).title)
        for group in report.consequences:
            ranks = ",".join(str(rank) for rank in group.ranks) or "-"
            lines.append("  " + make_finding("diagnose.consequence_group", lang, title=group.title, ranks=ranks,
                                             files=group.files, count=group.count).title)
    if not report.findings:
        total = sum(scanned.lines for scanned in report.files)
        lines.append(make_finding("diagnose.no_findings", lang, files=len(report.files), lines=total).title)
    out.write("\n".join(lines) + ("\n" if lines else ""))
    out.flush()
    for note in report.notes:
        message(format_finding(note, lang))
