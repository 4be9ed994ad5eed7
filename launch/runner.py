"""Start, watch and stop jobs: the lifecycle behind ``launch``, ``attach``, ``stop`` and the TUI.

A foreground job dies with the SSH session in the seeds. Here every job runs under a supervisor in a
session of its own (``start_new_session=True``), so closing the terminal never kills it, and
``--detach`` only means "do not watch". :func:`watch_job` is the live view as an iterator of events;
:func:`stop_job` signals every process of the job and checks with psutil that none is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

import psutil

from mindpilot.launch.command import LaunchCommand, check_command, masked_env, render_run_sh, write_run_sh
from mindpilot.launch.events import ExitEvent, StartedEvent, TailEvent
from mindpilot.launch.jobs import (FAILED, JOB_ENV, RUNNING, STARTING, STOPPED, JobRecord, job_processes,
                                   load_job, new_job_id, save_job, state_dir, update_job)
from mindpilot.launch.logdir import set_aside_previous_logs
from mindpilot.launch.tail import LogFollower
from mindpilot.presets.preset import Preset

FINAL = ("succeeded", "failed", "stopped", "lost")


class LaunchError(RuntimeError):
    """The job could not be started."""


def start_job(preset: Preset, command: LaunchCommand, log_dir: str, wait_started: float = 15.0) -> JobRecord:
    """Start ``command`` under a supervisor and return the record once msrun runs (or failed to start).

    Raises:
        LaunchError: the supervisor did not come up, or msrun could not be executed.
        UnsafeCommandError: a variable name or a NUL byte no process can take (before any record is written).
    """
    check_command(command)
    # The record shows secrets as *** (the supervisor inherits the real values through its environment).
    preset_record = preset.model_dump(mode="json")
    preset_record["env"] = masked_env(preset_record.get("env") or {})
    record = JobRecord(id=new_job_id(preset.name), name=preset.name, argv=command.argv, env=masked_env(command.env),
                       cwd=command.cwd, log_dir=str(Path(log_dir).resolve()), preset=preset_record)
    set_aside_previous_logs(record.log_dir)  # else the live view replays the last run's steps and errors
    save_job(record)
    # The exact command, re-runnable by hand: `bash <state>/jobs/<id>/run.sh`.
    write_run_sh(str(record.record_dir / "run.sh"), render_run_sh([command], preset))
    env = command.full_env()
    env[JOB_ENV] = record.id
    env["MINDPILOT_STATE_DIR"] = str(state_dir())
    env["PYTHONUNBUFFERED"] = "1"
    with open(record.record_dir / "supervisor.log", "ab") as errors:
        supervisor = subprocess.Popen([sys.executable, "-m", "mindpilot.launch.supervise", record.id],
                                      cwd=command.cwd, env=env, stdin=subprocess.DEVNULL,
                                      stdout=errors, stderr=subprocess.STDOUT, start_new_session=True)
    record = update_job(record.id, supervisor_pid=supervisor.pid)
    deadline = time.monotonic() + wait_started
    while time.monotonic() < deadline:
        record = load_job(record.id)
        if record.pid or record.status in FINAL:
            break
        if supervisor.poll() is not None:
            break
        time.sleep(0.05)
    record = load_job(record.id)
    if record.status == FAILED and record.pid is None:
        raise LaunchError(record.error or "msrun did not start")
    if record.pid is None:
        detail = _tail_text(record.record_dir / "supervisor.log")
        if record.status == STARTING:
            update_job(record.id, status=FAILED, error="supervisor did not start msrun")
        raise LaunchError("the job supervisor did not start msrun" + (f": {detail}" if detail else ""))
    return record


def _tail_text(path: Path, limit: int = 400) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-limit:].strip()
    except OSError:
        return ""


def job_finished(job_id: str) -> bool:
    """The job has a final status, or nothing is left that could give it one."""
    record = load_job(job_id).refreshed()
    return record.status in FINAL


def started_event(record: JobRecord) -> StartedEvent:
    return StartedEvent(job=record.id, pid=record.pid, log_dir=record.log_dir, pgid=record.pgid)


def watch_job(job_id: str, *, lang: str = "en", hang_after: Optional[float] = None, kb: bool = True,
              lines: bool = True, poll_interval: float = 0.05, from_start: bool = True,
              stop: Optional[Callable[[], bool]] = None) -> Iterator[TailEvent]:
    """Events of a job's logs until it ends, then an :class:`ExitEvent` with the first failure.

    ``stop()`` true ends the watch early without an ExitEvent (detach: the job goes on).
    """
    record = load_job(job_id)
    if hang_after is None:
        hang_after = float(record.preset.get("hang_minutes", 10.0)) * 60
    follower = LogFollower(record.log_dir, [record.msrun_log], hang_after=hang_after or None, kb=kb,
                           lang=lang, from_start=from_start, lines=lines)
    try:
        while True:
            if stop is not None and stop():
                return
            if job_finished(job_id):
                yield from follower.drain()
                break
            events = follower.poll()
            yield from events
            if not events and not follower.behind:
                time.sleep(poll_interval)
    finally:
        follower.close()
    record = load_job(job_id)
    first = follower.failures.first_failure() if record.status != "succeeded" else None
    yield ExitEvent(code=record.exit_code, status=record.status, first_failure=first.to_dict() if first else None)


def stop_job(job_id: str, grace: float = 10.0) -> list[int]:
    """SIGTERM to every process of the job (and their groups), wait ``grace`` s, SIGKILL the rest.

    Returns the pids still alive afterwards (empty when the stop worked).
    """
    record = update_job(job_id, stop_requested=True)
    processes = job_processes(record)
    own_group = os.getpgrp()
    groups = set()
    for process in processes:
        try:
            groups.add(os.getpgid(process.pid))
        except OSError:
            pass
    for group in groups - {own_group}:
        _signal_group(group, signal.SIGTERM)
    for process in processes:
        _signal(process, signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        _signal(process, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    # The supervisor records the exit status once msrun is gone; give it a moment.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and load_job(job_id).status in (RUNNING, STARTING):
        if not load_job(job_id).supervisor_alive():
            update_job(job_id, status=STOPPED, ended_at=time.time())
            break
        time.sleep(0.05)
    return [p.pid for p in job_processes(load_job(job_id))]


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except OSError:
        pass


def _signal(process: psutil.Process, sig: int) -> None:
    try:
        process.send_signal(sig)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
