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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mindpilot.fileio import write_atomic
from mindpilot.launch.job_guard import carries_job, deletable_log_dir, id_problem

MAX_RECORD = 16 << 20
"""A ``job.json`` larger than this is listed as unreadable, not parsed."""
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


class NodeRecord(BaseModel):
    """One node of a multi-node job: where it runs and the process that stands for it here."""

    model_config = ConfigDict(extra="ignore")

    rank: int
    """msrun ``--node_rank``."""
    host: str = "local"
    """``local`` (a child process here) or the ssh destination."""
    argv: List[str] = Field(default_factory=list)
    """What the supervisor runs for this node: msrun itself, or ``ssh HOST -- ...``."""
    log_dir: str = ""
    """Where this node's worker logs are read here (a mirror of the remote folder for ssh nodes)."""
    remote_log_dir: Optional[str] = None
    """msrun ``--log_dir`` on the remote host (ssh nodes)."""
    pid: Optional[int] = None
    """The local process (msrun, or the ssh client)."""
    pid_create_time: Optional[float] = None
    exit_code: Optional[int] = None


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
    """The job's own log folder (absolute): msrun ``--log_dir``, ``<log root>/<job id>`` for jobs started
    since logs were kept per job; the one shared folder for older records (see :attr:`own_log_dir`)."""
    log_root: Optional[str] = None
    """The log folder the user asked for (preset ``log_dir`` / ``--log-dir``); the job's folder is inside."""
    own_log_dir: bool = False
    """:attr:`log_dir` belongs to this job alone (False: an older record whose folder later jobs reused)."""
    nodes: List[NodeRecord] = Field(default_factory=list)
    """Every node of a multi-node job (empty on one node: :attr:`pid` is msrun's)."""
    leftover_pids: List[int] = Field(default_factory=list)
    """Processes of the job still alive after msrun ended, which the supervisor then killed."""
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
    secret_names: List[str] = Field(default_factory=list)
    """Names of the secret variables the job was given (never their values; see ``launch.job_secrets``)."""
    unreachable_nodes: List[Dict[str, Any]] = Field(default_factory=list)
    """Nodes the last ``stop`` could not reach (``rank``, ``host``, ``error``): their processes may still run."""

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        problem = id_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("log_dir")
    @classmethod
    def _absolute_log_dir(cls, value: str) -> str:
        if not os.path.isabs(value) or "\x00" in value:
            raise ValueError(f"log_dir {value[:80]!r} is not an absolute path")
        return value

    @property
    def record_dir(self) -> Path:
        return jobs_dir() / self.id

    @property
    def msrun_log(self) -> Path:
        """msrun's own console output (status lines, its final error)."""
        return self.record_dir / "msrun.log"

    def is_alive(self) -> bool:
        """msrun (the same process, not a reused pid) still runs; on many nodes, any node's process."""
        return _alive(self.pid, self.pid_create_time) or any(
            _alive(node.pid, node.pid_create_time) for node in self.nodes)

    def logs_state(self) -> str:
        """``present``; ``deleted`` (the folder is gone); ``reused`` (an older record's shared folder)."""
        if not Path(self.log_dir).is_dir():
            return "deleted"
        return "present" if self.own_log_dir else "reused"

    def supervisor_alive(self) -> bool:
        """The supervisor still runs: the process of that pid carries this job's id (it records no create time)."""
        try:
            process = psutil.Process(self.supervisor_pid) if self.supervisor_pid else None
            return process is not None and process.status() != psutil.STATUS_ZOMBIE and carries_job(process, self.id)
        except (psutil.Error, OSError):
            return False

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
                "log_dir": self.log_dir, "logs": self.logs_state(), "exit_code": self.exit_code,
                "started_at": self.started_at, "ended_at": self.ended_at,
                "nodes": [{"rank": n.rank, "host": n.host, "exit_code": n.exit_code} for n in self.nodes],
                "leftover_pids": self.leftover_pids, "error": self.error}


def _alive(pid: Optional[int], create_time: Optional[float]) -> bool:
    """The process of that pid still runs and is the one recorded (no create time: nothing to tell it by)."""
    if not pid or create_time is None:
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
    if id_problem(job_id):
        raise KeyError(id_problem(job_id))
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
    """Every readable job, newest first, with ``lost`` detected (:func:`unreadable_jobs` has the rest)."""
    return [entry for entry in job_entries() if isinstance(entry, JobRecord)]


class UnreadableJob(BaseModel):
    """A job folder whose ``job.json`` cannot be read (cut short, edited by hand, wrong shape)."""

    id: str
    path: str
    """The ``job.json`` that failed."""
    error: str
    """Why, in one line."""
    mtime: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "status": "unreadable", "path": self.path, "error": self.error}


def job_entries() -> list[Any]:
    """Every job folder, newest first: a :class:`JobRecord`, or an :class:`UnreadableJob` saying why not."""
    entries: list[Any] = []
    for folder in jobs_dir().iterdir():
        path = folder / "job.json"
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            if path.stat().st_size > MAX_RECORD:
                raise ValueError(f"larger than {MAX_RECORD >> 20} MiB: not a job record")
            record = JobRecord.model_validate_json(path.read_text(encoding="utf-8"))
            if record.id != folder.name:
                raise ValueError(f"the record's id {record.id!r} is not its folder's name")
            entries.append(record.refreshed())
        except (OSError, ValidationError, ValueError, KeyError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            try:
                mtime = folder.stat().st_mtime
            except OSError:
                mtime = 0.0
            entries.append(UnreadableJob(id=folder.name, path=str(path), error=reason[:200], mtime=mtime))
    return sorted(entries, key=lambda e: e.started_at if isinstance(e, JobRecord) else e.mtime, reverse=True)


def unreadable_jobs() -> list[UnreadableJob]:
    return [entry for entry in job_entries() if isinstance(entry, UnreadableJob)]


def latest_job(running: bool = False) -> Optional[JobRecord]:
    """The newest job (``running=True``: the newest still running or starting), or None."""
    for record in list_jobs():
        if not running or record.status in (RUNNING, STARTING):
            return record
    return None


def resolve_job(job_id: Optional[str], running: bool = False) -> JobRecord:
    """The job ``job_id`` names (a unique prefix works), or with None the latest (running) job.

    Raises:
        KeyError: no such job, or no job at all.
    """
    if job_id:
        return load_job(job_id)
    record = latest_job(running)
    if record is None:
        raise KeyError("no running job" if running else "no job yet")
    return record


def running_log_owner(log_dir: str) -> Optional[JobRecord]:
    """A running job whose log folder is ``log_dir`` or holds it (a launch there would mix their logs)."""
    wanted = Path(log_dir).resolve()
    for record in list_jobs():
        if record.status not in (RUNNING, STARTING):
            continue
        theirs = Path(record.log_dir).resolve()
        if wanted == theirs or theirs in wanted.parents:
            return record
    return None


def prune_jobs(keep: int) -> tuple[list[str], list[str]]:
    """Delete all but the ``keep`` newest jobs: records and the job's own log folder.

    Running (or starting) jobs are never pruned and do not count against ``keep``; a log folder shared
    with other jobs (older records) is left alone. Returns ``(pruned ids, running ids kept)``.
    """
    import shutil

    fresh = time.time() - 60  # a folder without its record yet may be a launch in progress
    finished = [e for e in job_entries() if not (isinstance(e, JobRecord) and e.status in (RUNNING, STARTING))
                and not (isinstance(e, UnreadableJob) and e.mtime > fresh)]
    running = [r.id for r in list_jobs() if r.status in (RUNNING, STARTING)]
    pruned = []
    for entry in finished[max(keep, 0):]:
        if isinstance(entry, JobRecord) and entry.own_log_dir and deletable_log_dir(entry.log_dir, entry.id,
                                                                                     state_dir()):
            shutil.rmtree(entry.log_dir, ignore_errors=True)
        if id_problem(entry.id) is None:
            shutil.rmtree(jobs_dir() / entry.id, ignore_errors=True)
        pruned.append(entry.id)
    return pruned, running
