"""What a job record may make mindpilot touch: its own folder, its own log folder, its own processes.

A job record is a file on disk, and anything on disk may have been written by someone else (a shared state
folder, a copied home directory). ``jobs --prune`` deletes folders and ``stop`` signals processes on the
record's word alone, so the record's word is checked here:

- the id is a plain name (no ``/``, no ``..``), and a record counts only in the folder of that name;
- a log folder is deleted only when it lies inside the state folder, or carries the mark the launch wrote
  into the folder it created for the job (:data:`MARK`, holding the job's id), and is not a symlink;
- a process is the job's only when its create time is the recorded one and its environment carries the
  job's id (every process a launch starts inherits it); a record without a create time signals nothing.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Optional

import psutil

JOB_ENV = "MINDPILOT_JOB_ID"
"""Variable set in the environment of every process a job starts (its value: the job's id)."""
_PLAIN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")
MARK = ".mindpilot-job"
"""File the launch writes into the log folder it created for a job, holding the job's id."""


def id_problem(job_id: str) -> Optional[str]:
    """Why ``job_id`` cannot name a job folder (None when it can)."""
    if not _PLAIN_ID.fullmatch(job_id) or ".." in job_id:
        return f"{job_id[:60]!r} is not a job id (letters, digits, '_', '.', '-'; no path)"
    return None


def mark_log_dir(log_dir: str, job_id: str) -> None:
    """Say in the job's new log folder that this launch made it for ``job_id`` (see :func:`launch_made`)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(os.path.join(log_dir, MARK), flags, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as mark:
        mark.write(job_id + "\n")


def deletable_log_dir(log_dir: str, job_id: str, state: Path) -> bool:
    """Whether ``jobs --prune`` may delete ``log_dir`` as the job's own: a real folder named after the job,
    inside the state folder or marked by the launch that created it."""
    path = Path(log_dir)
    if not path.is_absolute() or path.name != job_id:
        return False
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode) or os.path.realpath(path) != os.path.normpath(path):
            return False
    except OSError:
        return False
    if state.resolve() in path.parents:
        return True
    try:
        descriptor = os.open(path / MARK, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(descriptor, "rb") as mark:
        info = os.fstat(mark.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return False
        return mark.read(256).decode("utf-8", "replace").strip() == job_id


def job_process(pid: Optional[int], create_time: Optional[float], job_id: str) -> Optional[psutil.Process]:
    """The live process ``pid`` when it is the job's (recorded create time, job id in its environment)."""
    if not pid or create_time is None:
        return None
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - create_time) >= 1.0 or process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process if carries_job(process, job_id) else None
    except (psutil.Error, OSError):
        return None


def carries_job(process: psutil.Process, job_id: str) -> bool:
    """Whether ``process``'s environment names ``job_id`` (False when it cannot be read)."""
    try:
        return process.environ().get(JOB_ENV) == job_id
    except (psutil.Error, OSError):
        return False
