"""What ``mindpilot weights`` and ``mindpilot data`` share: the stack, the command print-out, the tracked run.

Both print the exact command for the framework (``--json``: one document), check what can be checked
before running, and with ``--run`` start it as a tracked job (``mindpilot jobs`` lists it; Ctrl-C only
stops watching), wait for it, and check its result. Exit: 0 fine, 1 a finding of severity error,
4 the job failed or could not start.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Optional

from mindpilot.commands.output import emit_json, message, print_findings, words
from mindpilot.exit_codes import ExitCode

FRAMEWORKS = ("mindformers", "mindrlhf-grpo", "mindspeed-llm")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Flags of both steps."""
    parser.add_argument("--framework", choices=FRAMEWORKS, default="mindformers", help="what trains the model")
    parser.add_argument("--model-dir", required=True, help="the Hugging Face model directory (from `model download`)")
    parser.add_argument("--output", help="where the result goes (default: beside the input)")
    parser.add_argument("--checkout", help="the framework checkout the script lives in (default: from the probe)")
    parser.add_argument("--mindformers-version", help="MindFormers version (default: from the probe)")
    parser.add_argument("--python", help="interpreter of the training environment (default: the probed one)")
    parser.add_argument("--no-probe", action="store_true", help="do not probe the environment")
    parser.add_argument("--demo", action="store_true", help="use the demo environment's stack")
    parser.add_argument("--run", action="store_true", help="run it as a tracked job, then check the result")


def stack_for(args: argparse.Namespace) -> Any:
    """The doctor's stack, with the user's flags on top."""
    from dataclasses import replace

    from dataclasses import asdict

    from mindpilot.acquire.stack import Stack, stack_from_facts

    stack = Stack()
    if args.demo or not args.no_probe:
        try:
            from mindpilot.validators.probe import probe_environment

            stack = stack_from_facts(asdict(probe_environment(python=args.python, demo=args.demo, timeout=15.0)))
        except Exception as exc:  # no probe: commands still come out, with the defaults named
            message(f"mindpilot: environment probe failed ({exc}); using defaults")
    changes: dict[str, Any] = {}
    if args.mindformers_version:
        changes["mindformers_version"] = args.mindformers_version
    if args.python:
        changes["python"] = args.python
    if args.checkout:
        key = {"mindformers": "mindformers_dir", "mindrlhf-grpo": "mindrlhf_dir"}.get(args.framework, "mindspeed_dir")
        changes[key] = args.checkout
    return replace(stack, **changes)


def report(command: Any, findings: list, args: argparse.Namespace, lang: str,
           after: Callable[[Any, str, str], list], extra: Optional[dict] = None) -> ExitCode:
    """Print the command and findings, run it when asked, and check the result."""
    from mindpilot.validators.findings import Severity, exit_code_for

    if any(f.severity is Severity.ERROR for f in findings) or not args.run or not command.argv:
        _print(command, findings, args, lang, extra)
        return exit_code_for(findings)
    if not args.json:
        _print(command, findings, args, lang, extra)
    record, code = run_tracked(command, args.json, lang)
    if record is None:
        return ExitCode.LAUNCH_FAILED
    results = after(command, lang, record.log_dir if record else "LOG")
    if args.json:
        emit_json({**command.to_dict(), **(extra or {}), "job": record.id, "exit_code": code,
                   "findings": [f.to_dict() for f in findings + results]})
    else:
        print_findings(results, lang)
    if code != 0:
        return ExitCode.LAUNCH_FAILED
    return exit_code_for(results)


def _print(command: Any, findings: list, args: argparse.Namespace, lang: str, extra: Optional[dict]) -> None:
    if args.json:
        emit_json({**command.to_dict(), **(extra or {}), "findings": [f.to_dict() for f in findings]})
        return
    for line in command.display():
        print(line)
    for line in command.notes:
        print(("# " if command.argv else "") + line)
    print_findings(findings, lang)


def run_tracked(command: Any, quiet: bool, lang: str) -> tuple[Any, Optional[int]]:
    """Start the job and wait for it (printing its console); (None, None) when it could not start."""
    from mindpilot.launch.tool_jobs import console_chunks, start_tool_job
    from mindpilot.launch.runner import LaunchError

    try:
        record = start_tool_job(command)
    except LaunchError as exc:
        message(words("tool_job.cannot_start", lang, error=exc))
        return None, None
    message(words("tool_job.started", lang, job=record.id))
    for record, text in console_chunks(record.id, chunk=1 << 20):
        if text and not quiet:
            message(text.rstrip("\n"))
    return record, record.exit_code
