"""``python -m mindpilot.launch.noderun``: one node's msrun on a remote host, its logs streamed back over ssh.

The launching machine runs ``ssh HOST -- python -m mindpilot.launch.noderun --job ID --log-dir DIR -- msrun
...`` (an argv, each word quoted for the remote shell). The first line on stdin is a JSON object with the
variables to set (so that no value, a token included, shows in the remote process list). This process then

* starts msrun in a session of its own, every process tagged with the job id (``MINDPILOT_JOB_ID``) and
  with this node runner's own mark (``MINDPILOT_NODE_RUN``);
* streams every ``*.log`` of its log folder to stdout as JSON lines ``{"file": NAME, "data": BASE64}``
  (bytes as written: GBK logs arrive intact), which the launcher appends to a local mirror;
* ends with ``{"exit": CODE}`` and exits with msrun's status;
* treats the end of stdin as the launcher gone (``stop``, a dropped ssh): it kills every process it started
  (those carrying its mark), so no worker outlives its job. Only its own: when several nodes of a job run
  on one host (a rehearsal over ssh to the same machine), the other nodes, the supervisor and its ssh
  clients carry the job id too, and a node that ends first must not end them.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Optional

import psutil

from mindpilot.datafiles import json_bounded
from mindpilot.launch.job_guard import JOB_ENV
from mindpilot.launch.job_processes import end_processes, process_environments

CHUNK = 256 * 1024
"""Bytes sent per file per message (a busy log cannot starve the others)."""
MAX_ENV_LINE = 1 << 20
"""The JSON line of variables is at most this long."""


def read_env(stream: IO[bytes]) -> dict[str, str]:
    """The variables from the first stdin line (``{"env": {...}}``); empty when none came."""
    line = stream.readline(MAX_ENV_LINE)
    if not line.strip():
        return {}
    document = json_bounded("node environment", line)
    env = document.get("env") if isinstance(document, dict) else None
    return {str(k): str(v) for k, v in (env or {}).items()}


def apply_env(base: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """``base`` with ``extra`` set; path lists get the new entries in front (as on the launching node)."""
    from mindpilot.launch.command import PREPENDED

    result = dict(base)
    for key, value in extra.items():
        old = result.get(key)
        result[key] = f"{value}{os.pathsep}{old}" if key in PREPENDED and old and value not in old.split(
            os.pathsep) else value
    return result


NODE_ENV = "MINDPILOT_NODE_RUN"
"""Set in the environment of every process a node runner starts: that runner's own mark."""


def node_mark(job_id: str) -> str:
    """A mark no other node runner of ``job_id`` (on this host or another) carries."""
    return f"{job_id}:{os.getpid()}:{secrets.token_hex(4)}"


def kill_job(job_id: str, mark: Optional[str], grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process on this host that this node runner started (tagged with ``job_id``
    and its ``mark``; with no mark, every process of the job here: ``--stop``); not this one."""
    found = [process for process, environ in process_environments()
             if environ.get(JOB_ENV) == job_id and (mark is None or environ.get(NODE_ENV) == mark)]
    return end_processes(found, grace)


class LogStreamer:
    """New bytes of every ``*.log`` in one folder, as JSON lines on a stream."""

    def __init__(self, log_dir: Path, out: IO[str]) -> None:
        self.log_dir = log_dir
        self.out = out
        self.offsets: dict[str, int] = {}

    def pump(self) -> bool:
        """Send what is new; True when some file had more than one chunk waiting."""
        behind = False
        try:
            names = sorted(entry.name for entry in os.scandir(self.log_dir)
                           if entry.name.endswith(".log") and entry.is_file())
        except OSError:
            return False
        for name in names:
            offset = self.offsets.get(name, 0)
            try:
                with open(self.log_dir / name, "rb") as handle:
                    size = os.fstat(handle.fileno()).st_size
                    if size < offset:
                        offset = 0  # truncated: start over
                    handle.seek(offset)
                    data = handle.read(CHUNK)
            except OSError:
                continue
            if data:
                self.offsets[name] = offset + len(data)
                self.send({"file": name, "data": base64.b64encode(data).decode("ascii")})
                behind = behind or offset + len(data) < size
        return behind

    def send(self, document: dict) -> None:
        self.out.write(json.dumps(document) + "\n")
        self.out.flush()


def run_node(job_id: str, log_dir: str, cwd: str, argv: list[str], env: dict[str, str],
             out: IO[str], stdin: Optional[IO[bytes]] = None, poll: float = 0.2, mark: Optional[str] = None) -> int:
    """Start msrun, stream its logs until it ends, return its exit code (kill the job on stdin EOF)."""
    folder = Path(log_dir)
    folder.mkdir(parents=True, exist_ok=True)
    full = apply_env(dict(os.environ), env)
    mark = mark or node_mark(job_id)
    full[JOB_ENV] = job_id
    full[NODE_ENV] = mark
    full["PYTHONUNBUFFERED"] = "1"
    with open(folder / "msrun.log", "ab") as console:
        try:
            process = subprocess.Popen(argv, cwd=cwd or None, env=full, stdin=subprocess.DEVNULL, stdout=console,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            print(f"noderun: cannot start {argv[0]} in {cwd or '.'}: {exc.strerror or exc}", file=sys.stderr)
            return 127
    gone = _end_of(stdin) if stdin is not None else threading.Event()
    streamer = LogStreamer(folder, out)
    while process.poll() is None:
        if gone.is_set():
            kill_job(job_id, mark)
            process.wait()
            return 143
        if not streamer.pump():
            time.sleep(poll)
    code = process.returncode
    while streamer.pump():
        pass
    streamer.pump()
    kill_job(job_id, mark)  # workers or tail processes msrun left behind
    streamer.send({"exit": code})
    return code


def _end_of(stdin: IO[bytes]) -> threading.Event:
    """An event set once ``stdin`` ends (the ssh client went away: the node must stop), read in a daemon thread."""
    gone = threading.Event()

    def watch() -> None:
        # The descriptor, not the buffered reader: a daemon thread blocked holding the reader's lock makes
        # the interpreter abort at exit ("could not acquire lock for <stdin>"), and ssh report a failure.
        try:
            descriptor = stdin.fileno()
            while os.read(descriptor, 4096):
                pass
        except (AttributeError, OSError, ValueError):
            while stdin.read(4096):
                pass
        gone.set()

    threading.Thread(target=watch, daemon=True).start()
    return gone


def stop_here(job_id: str, grace: float = 5.0) -> int:
    """``--stop``: end the job's processes on this host; print ``{"stopped": [...], "left": [...]}``; 0 when none
    is left. ``mindpilot stop`` runs it over ssh: an answer is the proof that the node was reached."""
    ended = kill_job(job_id, None, grace)
    left = [pid for pid in ended if psutil.pid_exists(pid) and _not_zombie(pid)]
    print(json.dumps({"stopped": ended, "left": left}), flush=True)
    return 0 if not left else 1


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mindpilot.launch.noderun",
                                     description="run one node's msrun and stream its logs (used over ssh)")
    parser.add_argument("--job", required=True)
    parser.add_argument("--stop", action="store_true",
                        help="end every process of the job on this host (mindpilot stop), print those left")
    parser.add_argument("--log-dir")
    parser.add_argument("--cwd", default="")
    parser.add_argument("--not-master", action="store_true",
                        help="rehearsal node on the master's machine: msrun must not start a second scheduler")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.stop:
        return stop_here(args.job)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or not args.log_dir:
        parser.error("give --log-dir and the msrun command after --")
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the end of stdin says the launcher is gone
    try:
        env = read_env(sys.stdin.buffer)
    except ValueError as exc:
        print(f"noderun: the first stdin line is not a JSON object of variables: {exc}", file=sys.stderr)
        return 2

    mark = node_mark(args.job)

    def terminate(_signum, _frame):
        kill_job(args.job, mark)
        sys.exit(143)

    signal.signal(signal.SIGTERM, terminate)
    if args.not_master:
        from mindpilot.launch.nodes import not_master_bin

        folder = not_master_bin(Path(args.log_dir).parent / (Path(args.log_dir).name + "-bin"))
        env["PATH"] = folder + (os.pathsep + env["PATH"] if env.get("PATH") else "")
    code = run_node(args.job, args.log_dir, args.cwd, command, env, sys.stdout, sys.stdin.buffer, mark=mark)
    return 0 if code == 0 else (code if 0 < code < 256 else 1)


if __name__ == "__main__":
    sys.exit(main())
