"""The values of a job's secrets, for the viewer that shows its logs from another shell.

``attach`` (or the TUI) may run in a shell that never exported the job's ``HF_TOKEN``, or the secret came from
the preset itself; masking only the viewer's own secrets would then show it. The job record keeps the names of
the secret variables the job was given (never their values); while the job runs, their values are read from
the environment of its own processes (the supervisor and msrun: a process is the job's only when its
environment carries the job's id), so the viewer masks them wherever they appear in a line.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

import psutil

from mindpilot.launch.job_guard import JOB_ENV
from mindpilot.launch.jobs import JobRecord
from mindpilot.redact import is_secret_variable

MIN_SECRET_LENGTH = 4
"""Shorter values ("1", "on") would mask unrelated text."""


def secret_names(env: Mapping[str, str]) -> list[str]:
    """Names of the secret variables in a job's environment (what the record keeps)."""
    return sorted(name for name, value in env.items() if is_secret_variable(name, value))


def job_secret_values(record: JobRecord) -> list[str]:
    """Values of the job's secret variables, read from its running processes; longest first (empty once it ended)."""
    pids = [record.pid, record.supervisor_pid, *(node.pid for node in record.nodes)]
    for pid in pids:
        environ = _job_environ(pid, record.id)
        if environ is not None:
            return _values(environ, record.secret_names)
    return []


def _job_environ(pid: Optional[int], job_id: str) -> Optional[dict]:
    if not pid:
        return None
    try:
        environ = psutil.Process(pid).environ()
    except (psutil.Error, OSError):
        return None
    return environ if environ.get(JOB_ENV) == job_id else None


def _values(environ: Mapping[str, str], names: Iterable[str]) -> list[str]:
    wanted = set(names)
    values = {value for name, value in environ.items()
              if (name in wanted or is_secret_variable(name, value)) and len(value) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)
