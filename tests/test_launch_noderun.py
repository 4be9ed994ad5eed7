"""The remote node runner without ssh: it streams its logs as JSON lines that the launcher mirrors byte for byte
(GBK included), and the end of its stdin (ssh gone, `stop`) kills every process of its job on that host.

The node's "msrun" is the stand-in of ``tests/data/launch`` (workers in sessions of their own, like msrun).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.multinode import mirror
from mindpilot.launch.noderun import LogStreamer, read_env

DATA = Path(__file__).parent / "data" / "launch"


def tagged(job: str) -> list[int]:
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("MINDPILOT_JOB_ID") == job and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (psutil.Error, OSError):
            continue
    return found


def test_streamed_logs_are_mirrored_byte_for_byte_and_bad_lines_are_kept_aside(tmp_path):
    source, target = tmp_path / "remote", tmp_path / "mirror"
    source.mkdir()
    gbk = "步骤 1 损失 0.5\n".encode("gbk")
    (source / "worker_3.log").write_bytes(b"step 1\n" + gbk)
    out = io.StringIO()
    streamer = LogStreamer(source, out)
    streamer.pump()
    with open(source / "worker_3.log", "ab") as log:
        log.write(b"step 2 partial")
    streamer.pump()
    lines = out.getvalue().encode() + b'{"file": "../evil.log", "data": "AAAA"}\nnot json\n{"exit": 0}\n'
    notes = io.BytesIO()
    mirror(io.BytesIO(lines), target, notes)
    assert (target / "worker_3.log").read_bytes() == b"step 1\n" + gbk + b"step 2 partial"
    assert not (tmp_path / "evil.log").exists() and sorted(p.name for p in target.iterdir()) == ["worker_3.log"]
    assert notes.getvalue().splitlines() == [b'{"file": "../evil.log", "data": "AAAA"}', b"not json"]


def test_the_end_of_stdin_kills_the_nodes_job_and_workers(tmp_path):
    job = f"noderun-test-{os.getpid()}"
    argv = [sys.executable, "-m", "mindpilot.launch.noderun", "--job", job, "--log-dir", str(tmp_path / "logs"),
            "--", sys.executable, str(DATA / "fake_msrun.py"), "--worker_num=2", "--local_worker_num=2",
            f"--log_dir={tmp_path / 'logs'}", "--join=True", str(DATA / "fake_worker.py")]
    runner = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    runner.stdin.write(json.dumps({"env": {"FAKE_STEPS": "100000", "FAKE_SLEEP": "0.05"}}).encode() + b"\n")
    runner.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(tagged(job)) < 3:
        time.sleep(0.1)
    pids = tagged(job)
    assert len(pids) >= 3, runner.stderr.read1(2000) if runner.poll() is not None else pids  # msrun + 2 workers
    first = json.loads(runner.stdout.readline())
    assert first["file"].endswith(".log")
    runner.stdin.close()  # what a dropped ssh connection looks like from the remote side
    assert runner.wait(timeout=30) == 143
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and tagged(job):
        time.sleep(0.1)
    assert tagged(job) == []
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_line_nested_10000_deep_from_a_node_is_set_aside_not_a_traceback(tmp_path):
    deep = b"[" * 10000 + b"]" * 10000
    notes = io.BytesIO()
    mirror(io.BytesIO(b'{"file": "worker_0.log", "data": "AAAA"}\n' + deep + b"\n"), tmp_path / "mirror", notes)
    assert notes.getvalue().splitlines() == [deep]
    assert (tmp_path / "mirror" / "worker_0.log").read_bytes() == b"\x00\x00\x00"
    with pytest.raises(ValueError, match="nested deeper"):
        read_env(io.BytesIO(b'{"env": ' + deep + b"}\n"))
