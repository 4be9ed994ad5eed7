"""Run the installed framework's self-test as a tracked job and read its console back (``doctor --deep``).

The command and the reading of its output are :mod:`mindpilot.validators.selftest`; this is the part that
starts processes, so it lives with the other job starters (the core's validators never start jobs).
"""

from __future__ import annotations

from typing import Optional

from mindpilot.validators.selftest import DEFAULT_TIMEOUT, JOB_NAME, parse_console, selftest_command, selftest_findings


def start_selftest(python: Optional[str], timeout: float = DEFAULT_TIMEOUT):
    """Start the self-test of ``python`` (path, command or conda env name) as a tracked job; its record.

    Raises:
        ProbeError: the interpreter does not exist.
        LaunchError: the job could not start.
    """
    import os

    from mindpilot.launch.tool_jobs import start_tool_job
    from mindpilot.launch.jobs import state_dir
    from mindpilot.validators.probe.pyenv import ProbeError, resolve_python

    interpreter = resolve_python(python, os.environ)
    if not (os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)):
        raise ProbeError(f"no Python interpreter at {interpreter}")
    workdir = state_dir() / JOB_NAME  # run_check writes ./output and ./rank_0 where it runs: ours, not the user's
    workdir.mkdir(parents=True, exist_ok=True)
    return start_tool_job(selftest_command(interpreter, str(workdir), timeout))


def read_selftest(record, lang: str, max_bytes: int = 64 << 20) -> tuple:
    """``(SelfTest, findings)`` from a finished self-test job's console (at most ``max_bytes`` read)."""
    try:
        with open(record.msrun_log, "rb") as handle:
            text = handle.read(max_bytes).decode("utf-8", errors="replace")
    except OSError:
        text = ""
    test = parse_console(text.splitlines())
    return test, selftest_findings(test, record.exit_code, lang, job=record.id, log=str(record.msrun_log),
                                   status=record.status)
