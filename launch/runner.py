"""Start, watch and stop jobs: the lifecycle behind ``launch``, ``attach``, ``stop`` and the TUI.

A job run in the foreground dies with the SSH session. Here every job runs under a supervisor in a
session of its own (``start_new_session=True``), so closing the terminal never kills it, and
``--detach`` only means "do not watch". :func:`watch_job` is the live view as an iterator of events;
:func:`stop_job` signals every process of the job and checks with psutil that none is left.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import psutil

from mindpilot.launch.command import LaunchCommand, check_command, masked_env, render_run_sh, write_run_sh
from mindpilot.launch.events import ExitEvent, StartedEvent, TailEvent
from mindpilot.launch.jobs import (FAILED, RUNNING, STARTING, STOPPED, JobRecord, load_job, new_job_id,
                                   running_log_owner, save_job, state_dir, update_job)
from mindpilot.launch.job_guard import JOB_ENV, mark_log_dir
from mindpilot.launch.job_processes import job_processes
from mindpilot.launch.job_secrets import job_secret_values, secret_names
from mindpilot.launch.tail import LogFollower
from mindpilot.presets.preset import MAX_HANG_MINUTES, Preset

FINAL = ("succeeded", "failed", "stopped", "lost")


class LaunchError(RuntimeError):
    """The job could not be started."""


def job_log_dir(log_root: str, job_id: str) -> str:
    """The job's own log folder: ``<log root>/<job id>`` (absolute)."""
    return str(Path(log_root).expanduser().resolve() / job_id)


def with_log_dir(argv: list[str], log_dir: str) -> list[str]:
    """``argv`` with msrun's ``--log_dir=`` pointed at ``log_dir`` (added when missing from an msrun argv)."""
    flag = f"--log_dir={log_dir}"
    result = list(argv)
    for index, part in enumerate(argv):
        if part.startswith("--log_dir="):  # msrun's flags come before the script's: the first is msrun's
            result[index] = flag
            return result
    if not argv or Path(argv[0]).name != "msrun":
        return result  # a one-process tool job (weights, data) or a shell script: no msrun flag to set
    return [argv[0], flag, *argv[1:]]


def refuse_busy_log_dir(log_root: str) -> None:
    """Raise :class:`LaunchError` when a running job writes into ``log_root`` (its folder or inside it)."""
    owner = running_log_owner(log_root)
    if owner is not None:
        raise LaunchError(f"log folder {log_root} belongs to running job {owner.id}; "
                          f"stop it first (mindpilot stop {owner.id}) or choose another --log-dir")


def start_job(preset: Preset, command: LaunchCommand, log_dir: str, wait_started: float = 15.0,
              job_id: Optional[str] = None) -> JobRecord:
    """Start ``command`` under a supervisor and return the record once msrun runs (or failed to start).

    ``log_dir`` is the log root: the job writes into a folder of its own inside it
    (:func:`job_log_dir`), so no job ever overwrites or replays another's logs.

    Raises:
        LaunchError: a running job owns ``log_dir``, the supervisor did not come up, or msrun could not
            be executed.
        UnsafeCommandError: a variable name or a NUL byte no process can take (before any record is written).
    """
    check_command(command)
    job_id = job_id or new_job_id(preset.name)
    refuse_busy_log_dir(log_dir)
    own = job_log_dir(log_dir, job_id)
    # The record shows secrets as *** (the supervisor inherits the real values through its environment).
    record = JobRecord(id=job_id, name=preset.name, argv=with_log_dir(command.argv, own),
                       env=masked_env(command.env), cwd=command.cwd, log_dir=own,
                       log_root=str(Path(log_dir).expanduser().resolve()), own_log_dir=True,
                       preset=_recorded_preset(preset))
    command = LaunchCommand(argv=record.argv, env=command.env, cwd=command.cwd, node_rank=command.node_rank,
                            notes=command.notes)
    return _supervised(record, [command], preset, wait_started)


def start_nodes_job(preset: Preset, commands: list[LaunchCommand], hosts: list[str], log_dir: str,
                    wait_started: float = 30.0, job_id: Optional[str] = None, ssh_options: tuple = (),
                    remote_python: Optional[str] = None) -> JobRecord:
    """Start every node of a multi-node job (``hosts[r]`` runs node ``r``; ``local`` here) under one supervisor.

    Raises:
        LaunchError: as :func:`start_job`; also when a node's process cannot be started.
    """
    from mindpilot.launch.nodes import plan_nodes

    for command in commands:
        check_command(command)
    job_id = job_id or new_job_id(preset.name)
    refuse_busy_log_dir(log_dir)
    own = job_log_dir(log_dir, job_id)
    nodes = plan_nodes(job_id, commands, hosts, own, ssh_options, remote_python)
    record = JobRecord(id=job_id, name=preset.name, argv=nodes[0].argv, env=masked_env(commands[0].env),
                       cwd=commands[0].cwd, log_dir=own, log_root=str(Path(log_dir).expanduser().resolve()),
                       own_log_dir=True, preset=_recorded_preset(preset), nodes=nodes)
    with_dirs = [LaunchCommand(argv=with_log_dir(c.argv, n.remote_log_dir or n.log_dir), env=c.env, cwd=c.cwd,
                               node_rank=c.node_rank, notes=c.notes) for c, n in zip(commands, nodes)]
    return _supervised(record, with_dirs, preset, wait_started)


def _recorded_preset(preset: Preset) -> dict:
    """The preset as recorded with the job: secrets as ``***``."""
    document = preset.model_dump(mode="json")
    document["env"] = masked_env(document.get("env") or {})
    return document


def _supervised(record: JobRecord, commands: list[LaunchCommand], preset: Preset,
                wait_started: float) -> JobRecord:
    """Save the record, write its run.sh, start the supervisor and wait until msrun runs."""
    env = commands[0].full_env()
    record.secret_names = secret_names(env)
    _write_record(record, commands, preset)
    env[JOB_ENV] = record.id
    env["MINDPILOT_STATE_DIR"] = str(state_dir())
    env["PYTHONUNBUFFERED"] = "1"
    with open(record.record_dir / "supervisor.log", "ab") as errors:
        supervisor = subprocess.Popen([sys.executable, "-m", "mindpilot.launch.supervise", record.id],
                                      cwd=record.cwd, env=env, stdin=subprocess.DEVNULL,
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


def recorded_hang_minutes(preset: dict) -> float:
    """The ``hang_minutes`` a job record holds, when it is what a preset accepts (a record is a file anyone
    may have edited): a finite number above 0 and at most ``MAX_HANG_MINUTES``; else the default 10."""
    value = preset.get("hang_minutes") if isinstance(preset, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
            and 0 < value <= MAX_HANG_MINUTES:
        return float(value)
    return 10.0


def _write_record(record: JobRecord, commands: list[LaunchCommand], preset: Preset) -> None:
    """Make the job's log folder, write its record and run.sh; when that fails (a full disk), remove the
    folders this made, so no empty job is left behind, and raise an ``OSError`` that names the folder.

    Raises:
        OSError: with ``filename`` the job's record folder (or the path that failed).
    """
    made = [folder for folder in (Path(record.log_dir), record.record_dir) if not os.path.lexists(folder)]
    try:
        Path(record.log_dir).mkdir(parents=True, exist_ok=True)
        mark_log_dir(record.log_dir, record.id)
        save_job(record)
        # The exact command, re-runnable by hand: `bash <state>/jobs/<id>/run.sh [NODE_RANK]`.
        write_run_sh(str(record.record_dir / "run.sh"), render_run_sh(commands, preset))
    except OSError as exc:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        inside = exc.filename and record.record_dir in Path(exc.filename).parents  # a temp file: name its folder
        raise OSError(exc.errno, f"cannot write the job's record: {exc.strerror or exc}",
                      str(record.record_dir) if inside or not exc.filename else exc.filename) from None


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
              stop: Optional[Callable[[], bool]] = None, secrets: Iterable[str] = ()) -> Iterator[TailEvent]:
    """Events of a job's logs until it ends, then an :class:`ExitEvent` with the first failure.

    Every line shown is masked with the values of the job's secrets: those read from its running processes
    (``launch.job_secrets``) and ``secrets``, which the launcher itself knows.

    ``stop()`` true ends the watch early without an ExitEvent (detach: the job goes on).
    """
    record = load_job(job_id)
    if hang_after is None:
        hang_after = recorded_hang_minutes(record.preset) * 60
    follower = LogFollower(record.log_dir, [record.msrun_log], hang_after=hang_after or None, kb=kb,
                           lang=lang, from_start=from_start, lines=lines,
                           secrets=[*job_secret_values(record), *secrets])
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
    """SIGTERM to every process of the job (and their groups), wait ``grace`` s, SIGKILL the rest; then ask
    each ssh node to end the job on its host, and record those that did not answer (``unreachable_nodes``).

    Returns the local pids still alive afterwards (empty when the stop worked here).
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
    record = load_job(job_id)
    if record.nodes:  # ending the ssh clients here proves nothing about the remote nodes: ask each one
        from mindpilot.launch.multinode import stop_remote_nodes

        record = update_job(job_id, unreachable_nodes=stop_remote_nodes(record, grace))
    return [p.pid for p in job_processes(record)]


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
