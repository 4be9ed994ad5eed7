"""``mindpilot diagnose PATH...``: name the known error in logs, and the rank that failed first.

PATH is a log file, an msrun log directory, a job id, a launch script, a config, or ``-`` for a pasted
report on stdin; each is classified once by :mod:`mindpilot.launch.router`, which ``check`` shares, so
both commands find the same. Without PATH it checks the environment for conditions that cause known errors.
"""

from __future__ import annotations

import argparse
import sys

from mindpilot.commands.output import (CommandError, add_format_argument, emit_ci, emit_json, lang_of, message,
                                       print_findings, print_report, words)
from mindpilot.exit_codes import ExitCode


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
    parser.add_argument("--python", metavar="PATH", default=None,
                        help="the interpreter that ran the job (a path, a command, or a conda env name): without "
                             "PATH, the environment to check; with PATH, where the package versions a fix names "
                             "are read (default: the one running mindpilot)")
    add_format_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    lang = lang_of(args)
    if not args.paths:
        return _environment(args, lang)
    from mindpilot.launch.router import InputError, analyse
    from mindpilot.validators.findings import exit_code_for
    from mindpilot.validators.npu_defaults import environment_defaults

    if "-" in args.paths and sys.stdin.isatty():
        message(words("diagnose.paste_prompt", lang))
    installed = _job_interpreter_versions(args.python, lang) if args.python else None
    try:
        cards, hbm = environment_defaults(None, None)  # as `check` does: the same findings for a config
        report = analyse(args.paths, lang, cards=cards, hbm_gb=hbm, installed=installed)
    except InputError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from exc
    if emit_ci(args, report.findings, "diagnose"):
        return exit_code_for(report.findings)
    if args.json:
        emit_json(report.to_dict())
    else:
        print_report(report, lang)
        _say_clean(report, lang)
    return exit_code_for(report.findings)


def _job_interpreter_versions(python: str, lang: str):
    """The versions of the packages the rules' texts name, as the job's interpreter ``python`` has them
    (doctor's probe: a subprocess; nothing of the job's frameworks is imported here)."""
    from mindpilot.validators.kb import load_kb
    from mindpilot.validators.kb.installed import names_in, probed_versions
    from mindpilot.validators.probe import ProbeError

    texts = (text.get(code) for rule in load_kb().rules.values() for text in (rule.title, rule.cause, rule.fix)
             for code in ("en", "zh"))
    try:
        return probed_versions(python, names_in(texts), lang)
    except ProbeError as exc:
        from mindpilot.redact import redact_text, secret_values

        raise CommandError(redact_text(f"--python {python}: cannot probe the interpreter: {exc}", secret_values()),
                           ExitCode.ENVIRONMENT) from None


def _say_clean(report, lang: str) -> None:
    """A config, script or preset in which nothing was found still gets a line (logs say so in the report)."""
    if report.findings or report.files:
        return
    from mindpilot.launch.router import input_label

    inputs = ", ".join(f"{entry['file']} ({input_label(entry['kind'], lang)})" for entry in report.inputs)
    message(words("diagnose.inputs_clean", lang, inputs=inputs))


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
            message(words("diagnose.environment_clean", lang))
    return exit_code_for(findings)
