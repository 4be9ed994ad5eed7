"""``mindpilot doctor --deep``: run the installed framework's own self-test and say what each stage found.

The self-test runs in the target interpreter as a tracked job (``mindpilot jobs`` lists it, ``attach``
follows it, ``stop`` ends it); its console is shown live on stderr (with ``--json`` too), the findings follow on stdout.
Ctrl-C stops watching, not the job.
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import CommandError, emit_ci, emit_json, message, print_findings, words
from mindpilot.exit_codes import ExitCode


def run_deep(args: argparse.Namespace, lang: str, timeout: float) -> ExitCode:
    """Start the self-test, follow it, read its stages; exit per the findings (3: no interpreter, 4: no job)."""
    from mindpilot.launch.tool_jobs import console_chunks
    from mindpilot.launch.runner import LaunchError
    from mindpilot.validators.findings import exit_code_for
    from mindpilot.validators.probe import ProbeError
    from mindpilot.launch.selftest import read_selftest, start_selftest
    from mindpilot.validators.selftest import quote

    try:
        record = start_selftest(args.python, timeout)
    except ProbeError as exc:
        raise CommandError(f"cannot run the self-test: {exc}", ExitCode.ENVIRONMENT) from None
    except LaunchError as exc:
        raise CommandError(f"cannot start the self-test: {exc}", ExitCode.LAUNCH_FAILED) from None
    message(words("doctor.selftest_started", lang, job=record.id))
    job_id = record.id
    try:
        for record, text in console_chunks(job_id, chunk=1 << 20):
            if text:  # stderr even with --json: stdout carries only the document
                for line in text.splitlines():
                    message(quote(line) if line.strip() else "")
    except KeyboardInterrupt:
        message(f"mindpilot attach {job_id}")
        return ExitCode.INTERRUPTED
    test, findings = read_selftest(record, lang)
    if emit_ci(args, findings, "doctor"):
        pass
    elif args.json:
        emit_json({"job": record.id, "selftest": test.which, "exit_code": record.exit_code,
                   "stages": [{"stage": s.name, "status": s.status, "quote": s.quote, "error": s.error}
                              for s in test.stages],
                   "findings": [finding.to_dict() for finding in findings]})
    else:
        print_findings(findings, lang)
    return exit_code_for(findings)
