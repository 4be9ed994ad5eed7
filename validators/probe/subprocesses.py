"""Run a helper process with a hard timeout that also kills everything it started.

A probed interpreter can hang (a ``.pth`` file that blocks, a broken NFS mount on ``sys.path``),
and so can ``npu-smi`` or ``git`` on a sick host. Each runs in its own process group so that a
timeout kills the whole group, not just the direct child.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Mapping, Optional, Sequence


class ProcessTimeout(Exception):
    """The process did not finish in time and was killed."""


def run_captured(argv: Sequence[str], timeout: float, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run ``argv`` (never through a shell) and return its output as text.

    Raises:
        ProcessTimeout: it ran longer than ``timeout`` seconds; its process group was killed.
        OSError: the program could not be started (missing, not executable).
    """
    process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=dict(env) if env is not None else None,
                               cwd=cwd, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ProcessTimeout(f"{argv[0]} did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode,
                                       stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError):
        pass
