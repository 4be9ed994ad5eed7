"""Job records: what was started, as which processes, and how it ended, kept across SSH sessions.

Each job is one JSON file in the state directory (platformdirs' user state dir, or
``$MINDPILOT_STATE_DIR``), written atomically, so ``mindpilot jobs``, ``attach`` and ``stop`` work from a
new shell after the SSH session that launched the job is gone. The supervisor process
(:mod:`mindpilot.launch.supervise`) writes the exit status when msrun ends.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import psutil
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mindpilot.fileio import write_atomic

JOB_ENV = "MINDPILOT_JOB_ID"
"""Every process of a job carries this variable: how ``stop`` finds workers that left msrun's group."""
RUNNING, SUCCEEDED, FAILED, STOPPED, LOST, STARTING = "running", "succeeded", "failed", "stopped", "lost", "starting"


def state_dir() -> Path:
    """Where job records live: ``$MINDPILOT_STATE_DIR`` or the platform's user state directory."""
    override = os.environ.get("MINDPILOT_STATE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_state_dir

    return Path(user_state_dir("mindpilot"))


def jobs_dir() -> Path:
    path = state_dir() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


class JobRecord(BaseModel):
    """One launched job."""

    model_config = ConfigDict(extra="ignore")

    id: str
    """Short id, e.g. ``demo-20261125-110203-a1b2``."""
    name: str = "job"
    """The preset's name."""
    status: str = STARTING
    """starting, running, succeeded, failed, stopped, or lost (supervisor gone without a status)."""
    argv: List[str]
    """The msrun argv."""
    env: Dict[str, str] = Field(default_factory=dict)
    """Variables set on top of the user's environment (path lists: new entries only)."""
    cwd: str
    """Working directory of msrun."""
    log_dir: str
    """msrun ``--log_dir`` (absolute)."""
    preset: Dict[str, Any] = Field(default_factory=dict)
    """The preset the job was made from."""
    started_at: float = Field(default_factory=time.time)
    """POSIX time of the start."""
    ended_at: Optional[float] = None
    """POSIX time msrun ended."""
    supervisor_pid: Optional[int] = None
    """The process that waits for msrun and records its exit status."""
    pid: Optional[int] = None
    """msrun's pid."""
    pgid: Optional[int] = None
    """msrun's process group (its own session)."""
    pid_create_time: Optional[float] = None
    """psutil create_time of msrun, to tell it from a later process that reused the pid."""
    exit_code: Optional[int] = None
    """msrun's exit status; negative: killed by that signal."""
    stop_requested: bool = False
    """``mindpilot stop`` was asked; a signal death then counts as stopped, not failed."""
    error: Optional[str] = None
    """Why the job could not start, when it could not."""

    @property
    def record_dir(self) -> Path:
        return jobs_dir() / self.id

    @property
    def msrun_log(self) -> Path:
        """msrun's own console output (status lines, its final error)."""
        return self.record_dir / "msrun.log"

    def is_alive(self) -> bool:
        """msrun (the same process, not a reused pid) still runs."""
        return _alive(self.pid, self.pid_create_time)

    def supervisor_alive(self) -> bool:
        return _alive(self.supervisor_pid, None)

    def refreshed(self) -> "JobRecord":
        """The record with ``lost`` set when nothing is left to finish it."""
        if self.status in (RUNNING, STARTING) and not self.is_alive() and not self.supervisor_alive():
            fresh = load_job(self.id)
            if fresh.status in (RUNNING, STARTING):
                fresh.status = LOST
                save_job(fresh)
            return fresh
        return self

    def summary(self) -> dict[str, Any]:
        """The row of ``mindpilot jobs --json``."""
        return {"id": self.id, "name": self.name, "status": self.status, "pid": self.pid,
                "log_dir": self.log_dir, "exit_code": self.exit_code, "started_at": self.started_at,
                "ended_at": self.ended_at}


def _alive(pid: Optional[int], create_time: Optional[float]) -> bool:
    if not pid:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(process.create_time() - create_time) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def new_job_id(name: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:24] or "job"
    return f"{safe}-{stamp}-{secrets.token_hex(2)}"


def _path(job_id: str) -> Path:
    return jobs_dir() / job_id / "job.json"


def save_job(record: JobRecord) -> None:
    """Write the record atomically (temp file in the same directory, then ``os.replace``), mode 0600."""
    path = _path(record.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600: the record names the user's paths and command line; only its owner reads it.
    write_atomic(path, json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2), mode=0o600)


def load_job(job_id: str) -> JobRecord:
    """Read a job record.

    Raises:
        KeyError: no job with that id (prefixes that match exactly one job are accepted).
    """
    path = _path(job_id)
    if not path.is_file():
        matches = [p.parent.name for p in jobs_dir().glob("*/job.json") if p.parent.name.startswith(job_id)]
        if len(matches) != 1:
            raise KeyError(job_id)
        path = _path(matches[0])
    try:
        return JobRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        raise KeyError(f"{job_id}: unreadable job record {path}: {exc}") from exc


def update_job(job_id: str, **changes: Any) -> JobRecord:
    """Load, change and save a record."""
    record = load_job(job_id)
    for key, value in changes.items():
        setattr(record, key, value)
    save_job(record)
    return record


def list_jobs() -> list[JobRecord]:
    """Every readable job, newest first, with ``lost`` detected."""
    records = []
    for path in jobs_dir().glob("*/job.json"):
        try:
            records.append(JobRecord.model_validate_json(path.read_text(encoding="utf-8")).refreshed())
        except (OSError, ValidationError, ValueError, KeyError):
            continue
    return sorted(records, key=lambda r: r.started_at, reverse=True)


def job_processes(record: JobRecord) -> list[psutil.Process]:
    """Every live process of the job: msrun, its descendants, and any process tagged with the job id.

    msrun starts each worker in a session of its own (``preexec_fn=os.setsid``, process_entity/_api.py),
    so a signal to msrun's group misses them; the environment tag finds them even once orphaned.
    """
    found: dict[int, psutil.Process] = {}
    if record.is_alive():
        root = psutil.Process(record.pid)
        found[root.pid] = root
        try:
            for child in root.children(recursive=True):
                found[child.pid] = child
        except psutil.NoSuchProcess:
            pass
    me = os.getpid()
    for process in psutil.process_iter(["pid"]):
        if process.pid in found or process.pid == me or process.pid == record.supervisor_pid:
            continue
        try:
            if process.environ().get(JOB_ENV) == record.id:
                found[process.pid] = process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    alive = []
    for process in found.values():
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive
