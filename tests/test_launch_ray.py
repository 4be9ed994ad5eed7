"""Ray for MindSpeed-RL: `launch --ray` prints each node's ``ray start`` (NPU resources included) and reads
``ray status``; a real Ray head on 127.0.0.1, started with the printed head command, is found ready, and a
plan with more nodes than joined is an error. ``ray_status_2_60.txt`` is the output of ``ray status`` of a
real Ray 2.60 head started the same way (the layout the parser reads: "Active:" and "Total Usage:").
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.ray import find_ray, parse_ray_status, ray_findings, ray_start_argv, wait_for_ray
from support import run_cli

DATA = Path(__file__).parent / "data" / "launch"


def test_head_and_worker_commands_carry_the_npu_resources_as_one_word():
    head = ray_start_argv("10.0.0.1", 8, head=True)
    assert head[:3] == ["ray", "start", "--head"] and "--port=6766" in head
    assert '--resources={"NPU":8}' in head and "--node-ip-address=10.0.0.1" in head
    worker = ray_start_argv("10.0.0.1", 8, head=False, node_ip="10.0.0.2")
    assert worker == ["ray", "start", "--address=10.0.0.1:6766", '--resources={"NPU":8}', "--node-ip-address=10.0.0.2"]
    assert shlex.split(shlex.join(worker)) == worker


def test_ray_status_of_a_real_head_is_read():
    status = parse_ray_status((DATA / "ray_status_2_60.txt").read_text())
    assert status.nodes == 1 and status.total["NPU"] == 2.0 and status.total["CPU"] == 1.0
    assert [f.rule for f in ray_findings(None, "not installed", 2, 8)] == ["ray.not_running"]
    text = (DATA / "ray_status_2_60.txt").read_text()
    assert [f.rule for f in ray_findings(text, None, 1, 2)] == ["ray.ready"]
    assert [f.rule for f in ray_findings(text, None, 2, 2)] == ["ray.nodes_missing", "ray.npus_short"]


def _free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not 10002 <= port <= 19999:  # Ray's own worker port range
            return port


@pytest.fixture
def ray_head():
    """A real Ray head on 127.0.0.1 from the printed head command; its processes are stopped by pid."""
    ray = find_ray()
    if ray is None:
        pytest.skip("ray is not installed (pip install ray, part of the test extra)")
    temp = tempfile.mkdtemp(prefix="mpray")  # Ray's socket paths must stay short
    port = _free_port()
    argv = ray_start_argv("127.0.0.1", 2, head=True, port=port, dashboard_port=_free_port())
    argv = [ray, *argv[1:], "--num-cpus=1", "--include-dashboard=false", f"--temp-dir={temp}"]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    # `ray start` returns before its raylet has registered; on a loaded machine `ray status` still shows 0
    # nodes for a few seconds. A user's cluster is up long before launch reads it: wait as they would.
    output, _ = wait_for_ray(f"127.0.0.1:{port}", 1, timeout=90)
    assert output is not None and parse_ray_status(output).nodes == 1, output
    print(f"ray head up in {time.monotonic() - started:.1f} s")
    try:
        yield port
    finally:
        ours = [p for p in psutil.process_iter(["cmdline"]) if temp in " ".join(p.info["cmdline"] or [])]
        for process in ours:
            process.terminate()
        _, alive = psutil.wait_procs(ours, timeout=15)
        for process in alive:
            process.kill()


@pytest.mark.slow
def test_a_real_local_ray_head_is_ready_and_a_missing_node_is_named(ray_head):
    env = {"RAY_USAGE_STATS_ENABLED": "0"}
    ready = run_cli("launch", "--demo", "--ray", "--nodes", "1", "--cards", "2", "--master-addr", "127.0.0.1",
                    "--master-port", str(ray_head), "--json", env=env, timeout=120)
    assert ready.returncode == 0, ready.stderr + ready.stdout
    events = [json.loads(line) for line in ready.stdout.splitlines()]
    assert events[0]["type"] == "ray" and events[0]["argv"][2] == "--head"
    assert [e["finding"]["rule"] for e in events if e["type"] == "preflight"] == ["ray.ready"]
    short = run_cli("launch", "--demo", "--ray", "--nodes", "2", "--cards", "4", "--master-addr", "127.0.0.1",
                    "--master-port", str(ray_head), "--json", env=env, timeout=120)
    assert short.returncode == 1
    events = [json.loads(line) for line in short.stdout.splitlines()]
    assert [e["argv"][2] for e in events if e["type"] == "ray"] == ["--head", f"--address=127.0.0.1:{ray_head}"]
    assert [e["finding"]["rule"] for e in events if e["type"] == "preflight"] == ["ray.nodes_missing",
                                                                                  "ray.npus_short"]


@pytest.mark.slow
def test_launch_starts_the_head_itself_with_hosts_local_and_finds_it_ready():
    if find_ray() is None:
        pytest.skip("ray is not installed (pip install ray, part of the test extra)")
    temp = tempfile.mkdtemp(prefix="mpray")  # RAY_TMPDIR: where this cluster's sessions go (short socket paths)
    port = _free_port()
    try:
        done = run_cli("launch", "--demo", "--ray", "--hosts", "local", "--cards", "2", "--master-port", str(port),
                       "--json", env={"RAY_TMPDIR": temp, "RAY_USAGE_STATS_ENABLED": "0"}, timeout=300)
        assert done.returncode == 0, done.stderr + done.stdout[-2000:]
        events = [json.loads(line) for line in done.stdout.splitlines()]
        assert [(e["node_rank"], e["ok"]) for e in events if e["type"] == "ray_start"] == [(0, True)]
        assert [e["finding"]["title"] for e in events if e["type"] == "preflight"] == [
            "Ray cluster ready: 1 node(s), 2 NPU(s)"]
    finally:
        ours = [p for p in psutil.process_iter(["cmdline"]) if temp in " ".join(p.info["cmdline"] or [])]
        for process in ours:
            process.terminate()
        _, alive = psutil.wait_procs(ours, timeout=15)
        for process in alive:
            process.kill()
