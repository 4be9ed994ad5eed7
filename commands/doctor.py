"""``mindpilot doctor``: probe an Ascend environment and judge it against a known-good stack.

Human text is a compact components table (fits 80 columns) followed by the findings with their
fix commands; ``--json`` prints ``DoctorReport.to_dict``. Exit 1 when a finding is an error,
3 when the environment cannot be probed.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any, Optional, TextIO

from mindpilot.commands.output import (CommandError, add_format_argument, emit_ci, emit_json, lang_of, print_findings,
                                       words, words_for)
from mindpilot.exit_codes import ExitCode
from mindpilot.validators.text.columns import pad, short



def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``doctor``."""
    parser = subparsers.add_parser(
        "doctor", parents=[common],
        help="probe CANN / driver / NPUs / Python packages and check they fit a known-good stack",
        description="Probe an Ascend environment (CANN, driver, NPUs, mindspore, mindformers, mindrlhf, vllm ...) "
                    "and judge it against a known-good stack, with exact fix commands.")
    parser.add_argument("--python", metavar="PATH", default=None,
                        help="interpreter to probe: a path, a command, or a conda env name such as MindSpore "
                             "(default: the one running mindpilot)")
    parser.add_argument("--root", metavar="DIR", default="/",
                        help="read host files (/usr/local/Ascend, /dev) under DIR (default: /)")
    parser.add_argument("--stack", metavar="NAME", default=None,
                        help="judge against this stack id (default: the best fit to what is installed)")
    parser.add_argument("--demo", action="store_true", help="the built-in demo environment (8x 910B, CANN 8.2.RC1)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up probing the interpreter after this long (default: 20; with --deep, "
                             "end the self-test after this long, default: 900)")
    parser.add_argument("--deep", action="store_true",
                        help="run the installed framework's own self-test (mindformers.run_check(), else "
                             "mindspore.run_check()) in the interpreter as a tracked job, and explain each stage")
    parser.add_argument("--list-stacks", action="store_true", help="list the known stack ids and exit")
    add_format_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    """Probe, judge, print; the exit code follows the findings."""
    from mindpilot.validators.doctor import run_doctor
    from mindpilot.validators.findings import exit_code_for
    from mindpilot.validators.probe import ProbeError

    lang = lang_of(args)
    if args.list_stacks:
        return _list_stacks(args)
    timeout = _timeout(args)
    if args.deep:
        if args.demo:
            raise CommandError("--deep runs a real self-test: it has no demo", ExitCode.USAGE)
        from mindpilot.commands.doctor_deep import run_deep

        return run_deep(args, lang, timeout)
    if not args.demo and not os.path.isdir(args.root):
        raise CommandError(f"--root {args.root}: no such directory", ExitCode.USAGE)
    try:
        report = run_doctor(python=args.python, root=args.root, stack=args.stack, demo=args.demo, lang=lang,
                            timeout=timeout)
    except KeyError as exc:
        raise CommandError(str(exc.args[0]), ExitCode.USAGE) from None
    except ProbeError as exc:
        from mindpilot.redact import redact_text, secret_values

        raise CommandError(redact_text(f"cannot probe the environment: {exc}", secret_values()),
                           ExitCode.ENVIRONMENT) from None
    _emit(args, report, lang)
    return exit_code_for(report.findings)


def _timeout(args: argparse.Namespace) -> float:
    """``--timeout``, else the self-test's own limit with ``--deep`` and 20 s for the probe; positive and finite."""
    if args.deep and args.timeout is None:
        from mindpilot.validators.selftest import DEFAULT_TIMEOUT

        return DEFAULT_TIMEOUT
    timeout = 20.0 if args.timeout is None else args.timeout
    if not (timeout > 0 and math.isfinite(timeout)):
        raise CommandError(f"--timeout must be a positive number of seconds, got {timeout:g}", ExitCode.USAGE)
    return timeout


def _emit(args: argparse.Namespace, report: Any, lang: str) -> None:
    """The report as CI annotations, JSON or text on stdout."""
    try:
        if emit_ci(args, report.findings, "doctor"):
            pass
        elif args.json:
            emit_json(report.to_dict())
        else:
            print_report(report, lang)
    except BrokenPipeError:  # `mindpilot doctor | head`: the reader left, which is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _list_stacks(args: argparse.Namespace) -> ExitCode:
    from mindpilot.validators.expectations import all_stacks

    stacks = all_stacks()
    if args.json:
        from dataclasses import asdict

        emit_json([asdict(stack) for stack in stacks])
    else:
        for stack in stacks:
            cann = "/".join(stack.cann) or "-"
            sys.stdout.write(f"{stack.id:<24} CANN {cann:<12.12} {stack.title}\n")
    return ExitCode.OK


def _cell(text: Optional[str], width: int) -> str:
    """``text`` cut with an ellipsis and padded to exactly ``width`` terminal columns (linear in ``text``:
    an 80 KB version string is one pass, not one pass per character cut)."""
    return pad(short(text or "-", width), width)


def print_report(report, lang: str, stream: Optional[TextIO] = None) -> None:
    """The components table (80 columns) and the findings."""
    out = stream or sys.stdout
    texts = words_for("doctor.", lang)
    head = [texts[f"head_{name}"] for name in ("component", "found", "expected", "status")]
    out.write(f"{texts['stack']}: {report.stack}\n")
    out.write(f"{_cell(head[0], 16)} {_cell(head[1], 26)} {_cell(head[2], 24)} {head[3]}\n")
    for row in report.components:
        status = texts.get(f"status_{row.status.value}", row.status.value)
        out.write(f"{_cell(row.name, 16)} {_cell(row.found, 26)} {_cell(row.expected, 24)} {status}\n")
    for line in _facts_lines(report.environment, lang):
        out.write(line + "\n")
    out.write("\n")
    out.flush()
    print_findings(report.findings, lang, out)


def _facts_lines(env: dict, lang: str) -> list[str]:
    """Host and checkout facts under the table, one short line each."""
    host = env.get("host") or {}
    parts = [f"{host['cpus']} CPU" if host.get("cpus") else None,
             words("doctor.memory", lang, gb=host["mem_gb"]) if host.get("mem_gb") else None,
             (words("doctor.disk_free", lang, dir=host.get("work_dir"), gb=host["disk_free_gb"])
              if host.get("disk_free_gb") is not None else None),
             "ModelArts" if env.get("modelarts") else None]
    lines = [words("doctor.host", lang, facts=", ".join(p for p in parts if p))]
    for name, checkout in (env.get("checkouts") or {}).items():
        state = [checkout.get("branch") or words("doctor.detached_head", lang)]
        if checkout.get("dirty"):
            state.append(words("doctor.dirty", lang))
        lines.append(words("doctor.checkout", lang, name=name, path=checkout.get("path"),
                           commit=checkout.get("short") or "?", state=", ".join(state)))
    return lines
