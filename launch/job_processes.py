"""A job's processes: finding them (msrun's tree, and the job id every process of a launch inherits in its
environment) and ending them (SIGTERM, then SIGKILL after a grace period).

msrun starts each worker in a session of its own (``preexec_fn=os.setsid``, process_entity/_api.py), so a
signal to msrun's group misses them; the environment tag (:data:`~mindpilot.launch.job_guard.JOB_ENV`)
finds them even once orphaned.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator

import psutil

from mindpilot.launch.job_guard import JOB_ENV, job_process

if TYPE_CHECKING:
    from mindpilot.launch.jobs import JobRecord

_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError)
"""What reading another process may raise: it ended meanwhile, or is not ours to read."""


def job_processes(record: JobRecord) -> list[psutil.Process]:
    """Every live process of the job: msrun, its descendants, and any process tagged with the job id."""
    found: dict[int, psutil.Process] = {}
    roots = [(record.pid, record.pid_create_time)] + [(n.pid, n.pid_create_time) for n in record.nodes]
    for pid, create_time in roots:
        root = job_process(pid, create_time, record.id)
        if root is None:
            continue
        try:
            found[root.pid] = root
            for child in root.children(recursive=True):
                found[child.pid] = child
        except psutil.NoSuchProcess:
            pass
    for process, environ in process_environments():
        if process.pid not in found and process.pid != record.supervisor_pid and environ.get(JOB_ENV) == record.id:
            found[process.pid] = process
    return [process for process in found.values() if _alive(process)]


def end_processes(processes: list[psutil.Process], grace: float) -> list[int]:
    """SIGTERM every process, SIGKILL those still alive after ``grace`` seconds; their pids."""
    for process in processes:
        try:
            process.terminate()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return [process.pid for process in processes]


def tagged_processes() -> dict[str, list[int]]:
    """Pids of every live process carrying a job id (one scan for all jobs: ``jobs`` shows leftovers)."""
    found: dict[str, list[int]] = {}
    for process, environ in process_environments():
        job = environ.get(JOB_ENV)
        if job and _alive(process):
            found.setdefault(job, []).append(process.pid)
    return found


def process_environments() -> Iterator[tuple[psutil.Process, dict[str, str]]]:
    """Every other process whose environment can be read, with that environment (this process left out)."""
    me = os.getpid()
    for process in psutil.process_iter(["pid"]):
        if process.pid == me:
            continue
        try:
            environ = process.environ()
        except _GONE:
            continue
        yield process, environ


def _alive(process: psutil.Process) -> bool:
    """Running or sleeping, not a zombie waiting for its parent; False when it is gone."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except _GONE:
        return False
