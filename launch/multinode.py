"""The supervisor of a multi-node job: every node's process, their logs in one place, one exit status.

Called by :mod:`mindpilot.launch.supervise` when the record has ``nodes``. Local nodes run msrun as
children (each in a session of its own); ssh nodes run the node runner (:mod:`~mindpilot.launch.noderun`)
whose JSON lines are written into ``node<rank>/`` here, so the live view reads every node's worker logs
as files. When one node fails, the others are stopped after a short grace (msrun on a surviving node
would otherwise wait out its cluster timeout), and the job's status is the first failure's.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Optional

import psutil

from mindpilot.datafiles import json_bounded
from mindpilot.launch.command import PREPENDED
from mindpilot.launch.jobs import FAILED, RUNNING, JobRecord, NodeRecord, load_job, update_job
from mindpilot.launch.nodes import LOCAL, node_env

PEER_GRACE = 10.0
"""Seconds the other nodes get to end on their own after one node failed."""
MAX_MESSAGE = 8 << 20
"""A node runner's JSON line longer than this is dropped (it sends 256 KiB chunks)."""


def mirror(stream: IO[bytes], folder: Path, notes: IO[bytes]) -> None:
    """Append each ``{"file", "data"}`` message of a node runner to ``folder/<file>``; the rest to ``notes``."""
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        line = stream.readline(MAX_MESSAGE)
        if not line:
            return
        try:
            message = json_bounded("node log stream", line)
            name = message.get("file") if isinstance(message, dict) else None
            if name is None:
                continue  # {"exit": code}: ssh's own status says the same
            if "/" in name or name.startswith(".") or not name.endswith(".log"):
                raise ValueError(f"bad file name {name!r}")
            with open(folder / name, "ab") as log:
                log.write(base64.b64decode(message["data"], validate=True))
        except (ValueError, KeyError, TypeError):
            notes.write(line)
            notes.flush()


def remote_env(record: JobRecord) -> dict[str, str]:
    """The variables a remote node sets: the job's diff (path lists as new entries; values from here)."""
    return {key: value if key in PREPENDED else os.environ.get(key, value) for key, value in record.env.items()}


def _start(record: JobRecord, node: NodeRecord, master_addr: str) -> subprocess.Popen:
    folder = Path(node.log_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if node.host == LOCAL:
        env = node_env(dict(os.environ), node, master_addr, record.record_dir / f"node{node.rank}-bin")
        with open(folder / "msrun.log", "ab") as console:
            return subprocess.Popen(node.argv, cwd=record.cwd, env=env, stdin=subprocess.DEVNULL, stdout=console,
                                    stderr=subprocess.STDOUT, start_new_session=True)
    notes = open(record.record_dir / f"node{node.rank}-ssh.log", "ab")
    process = subprocess.Popen(node.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=notes,
                               start_new_session=True)
    process.stdin.write((json.dumps({"env": remote_env(record)}) + "\n").encode())
    process.stdin.flush()  # stdin stays open: its end tells the remote node runner to stop the node
    threading.Thread(target=mirror, args=(process.stdout, folder, notes), daemon=True).start()
    return process


def _signal_all(processes: dict[int, subprocess.Popen], sig: int) -> None:
    for process in processes.values():
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except OSError:
                pass


def supervise_nodes(job_id: str) -> int:
    """Run every node of the job to the end; return the job's exit code (the first failing node's)."""
    record = load_job(job_id)
    started = _start_nodes(record)
    if started is None:
        return 127
    processes, nodes = started
    first = nodes[0]
    update_job(job_id, status=RUNNING, nodes=nodes, pid=first.pid, pgid=first.pid,
               pid_create_time=first.pid_create_time)

    def forward(signum, _frame):  # stop: pass it on to every node (ssh nodes: the remote runner stops)
        _signal_all(processes, signum)

    signal.signal(signal.SIGTERM, forward)
    codes, first_failure, orphaned = _wait_nodes(record, processes)
    if orphaned:
        return 143
    changes: dict = {"nodes": [n.model_copy(update={"exit_code": codes.get(n.rank)}) for n in nodes]}
    if first_failure is not None and not load_job(job_id).stop_requested:
        changes["error"] = _failure_text(record, nodes[[n.rank for n in nodes].index(first_failure)],
                                         codes[first_failure])
    update_job(job_id, **changes)
    return codes[first_failure] if first_failure is not None else 0


def _start_nodes(record: JobRecord) -> Optional[tuple[dict[int, subprocess.Popen], list[NodeRecord]]]:
    """Start every node: the processes by rank and the node records with their pids; None when one could not
    start (the others are stopped and the job is recorded as failed)."""
    master_addr = str(record.preset.get("master_addr") or "127.0.0.1")
    processes: dict[int, subprocess.Popen] = {}
    nodes = []
    for node in record.nodes:
        try:
            process = _start(record, node, master_addr)
        except OSError as exc:
            _signal_all(processes, signal.SIGTERM)
            update_job(record.id, status=FAILED, exit_code=127, ended_at=time.time(),
                       error=f"node {node.rank} ({node.host}): cannot start {node.argv[0]}: {exc}")
            return None
        processes[node.rank] = process
        try:
            created: Optional[float] = psutil.Process(process.pid).create_time()
        except psutil.NoSuchProcess:
            created = None
        nodes.append(node.model_copy(update={"pid": process.pid, "pid_create_time": created}))
    return processes, nodes


def _wait_nodes(record: JobRecord,
                processes: dict[int, subprocess.Popen]) -> tuple[dict[int, int], Optional[int], bool]:
    """Wait for every node; their exit codes, the rank that failed first (None: none did), and whether the
    job's record was deleted meanwhile.

    The other nodes get :data:`PEER_GRACE` seconds after a failure (their own errors may say more), then
    SIGTERM. A deleted record ends the job: nobody could follow or stop it any more.
    """
    codes: dict[int, int] = {}
    failed_at: Optional[float] = None
    first_failure: Optional[int] = None
    peers_stopped = orphaned = False
    next_look = time.monotonic() + 1.0
    while len(codes) < len(processes):
        for rank, process in processes.items():
            if rank not in codes and process.poll() is not None:
                codes[rank] = process.returncode
                if process.returncode != 0 and first_failure is None:
                    first_failure, failed_at = rank, time.monotonic()
        if failed_at is not None and not peers_stopped and time.monotonic() - failed_at > PEER_GRACE:
            _signal_all(processes, signal.SIGTERM)
            peers_stopped = True
        if not orphaned and time.monotonic() >= next_look:
            next_look = time.monotonic() + 1.0
            orphaned = not (record.record_dir / "job.json").is_file()
            if orphaned:
                _signal_all(processes, signal.SIGTERM)
        time.sleep(0.1)
    return codes, first_failure, orphaned


def _failure_text(record: JobRecord, node: NodeRecord, code: int) -> str:
    """``node 1 (host) exited 255: <ssh's last line>`` for the record and ``jobs``."""
    text = f"node {node.rank} ({node.host}) exited {code}"
    if node.host != LOCAL:
        try:
            lines = (record.record_dir / f"node{node.rank}-ssh.log").read_bytes()[-2000:].decode(
                "utf-8", "replace").strip().splitlines()
        except OSError:
            lines = []
        if lines:
            text += f": {lines[-1][:300]}"
    return text


REMOTE_STOP_TIMEOUT = 20.0
"""Seconds a remote node gets to answer ``mindpilot stop`` (connection included) beyond the grace."""


def stop_remote_nodes(record: JobRecord, grace: float) -> list[dict]:
    """Ask every ssh node of the job, over a new connection, to end the job's processes on its host.

    Ending the ssh client here only closes the node runner's stdin; whether the remote node heard it is
    known only from an answer. Returns the nodes that did not answer (unreachable, timed out, or processes
    left), each ``{"rank", "host", "error"}``: their processes may still run.
    """
    unreachable = []
    for node in record.nodes:
        if node.host == LOCAL or "--" not in node.argv:
            continue
        try:
            done = subprocess.run(_stop_argv(node.argv, record.id), capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=grace + REMOTE_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            unreachable.append({"rank": node.rank, "host": node.host, "error": "no answer in time"})
            continue
        except OSError as exc:
            unreachable.append({"rank": node.rank, "host": node.host, "error": str(exc)})
            continue
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or [""])[-1]
            unreachable.append({"rank": node.rank, "host": node.host,
                                "error": f"ssh exited {done.returncode}" + (f": {last[:300]}" if last else "")})
    return unreachable


def _stop_argv(argv: list[str], job_id: str) -> list[str]:
    """The node's ssh argv with the remote words ``[env PYTHONPATH=..] PYTHON -m mindpilot.launch.noderun``
    followed by ``--job ID --stop`` instead of the run."""
    import shlex

    split = len(argv) - 1 - argv[::-1].index("--")
    remote = shlex.split(argv[split + 1]) if split + 1 < len(argv) else []
    module = remote.index("mindpilot.launch.noderun") + 1 if "mindpilot.launch.noderun" in remote else len(remote)
    return [argv[0], "-o", "ConnectTimeout=10", *argv[1:split + 1],
            shlex.join(remote[:module] + ["--job", job_id, "--stop"])]
