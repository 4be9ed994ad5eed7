"""Keep the last run's logs out of the next run's live view.

Launching twice with the same log dir (the demo's ``demo_msrun_log``, MindFormers' ``output/msrun_log``)
used to replay the previous run: the tail read the old ``worker_*.log`` before msrun truncated them, so a
healthy job showed the last job's steps and its "first failing rank". msrun itself overwrites them, so the
user lost them anyway. Before a start they are moved, not deleted, to ``<log_dir>.previous/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from mindpilot.launch.tail import WORKER_LOG

RUN_LOGS = ("scheduler.log",)
"""Fixed names msrun writes in its log dir, beside ``worker_N.log`` / ``<name>_N.log``."""


def is_run_log(name: str) -> bool:
    """A file msrun writes for one run (and the live view follows)."""
    return name in RUN_LOGS or WORKER_LOG.match(name) is not None


def set_aside_previous_logs(log_dir: str) -> Optional[Path]:
    """Move the last run's logs from ``log_dir`` to ``<log_dir>.previous/``; return that dir if any moved.

    Only the run logs move; anything else in the directory (checkpoints, the user's files) stays. Logs
    already in ``.previous`` from the run before are replaced: one previous run is kept.
    """
    directory = Path(log_dir)
    if not directory.is_dir():
        return None
    logs = [entry for entry in directory.iterdir() if entry.is_file() and is_run_log(entry.name)]
    if not logs:
        return None
    previous = directory.parent / (directory.name + ".previous")
    previous.mkdir(parents=True, exist_ok=True)
    for old in previous.iterdir():
        if old.is_file() and is_run_log(old.name):
            old.unlink()
    for log in logs:
        os.replace(log, previous / log.name)
    return previous
