"""Multi-node msrun, really run: two nodes of the demo job on this machine (node ranks 0 and 1, one CPU worker
each, master 127.0.0.1), the second one over a real OpenSSH server on loopback.

The plan checks (hosts, ssh argv quoting) need nothing; the jobs need the real msrun (mindspore extra) and
take ~40-90 s each on a busy 2-core machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.command import LaunchCommand, find_msrun
from mindpilot.launch.nodes import HostError, parse_hosts, plan_nodes, ssh_argv
from sshd_server import sshd  # noqa: F401  (fixture)
from support import run_cli

needs_msrun = pytest.mark.skipif(find_msrun() is None or importlib.util.find_spec("mindspore") is None,
                                 reason="needs the mindspore extra (msrun)")


def events_of(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def same_mindpilot() -> list[str]:
    """The remote node imports the mindpilot this process imports (a checkout on PYTHONPATH, or installed)."""
    return ["--env", f"PYTHONPATH={os.environ['PYTHONPATH']}"] if os.environ.get("PYTHONPATH") else []


def test_hosts_are_checked_and_counted():
    assert parse_hosts("local, 10.0.0.2,user@node-3", None) == ["local", "10.0.0.2", "user@node-3"]
    for bad in ("local,,h2", "-oProxyCommand=touch /tmp/x", "a b", "h1;reboot"):
        with pytest.raises(HostError):
            parse_hosts(bad, None)
    with pytest.raises(HostError, match="--nodes 3"):
        parse_hosts("h1,h2", 3)


def test_remote_words_are_quoted_for_the_remote_shell_and_the_argv_is_a_list(tmp_path):
    command = LaunchCommand(argv=["/opt/msrun", "--node_rank=1", "--master_addr=10.0.0.1", "--log_dir=x",
                                  "train.py", "--name", "a b; touch /tmp/pwned"],
                            env={"PYTHONPATH": "/my checkout"}, cwd="/work dir", node_rank=1)
    (node,) = plan_nodes("job-1", [command], ["user@node-1"], str(tmp_path), ["Port=2222"], "/usr/bin/python3")
    assert node.argv[:node.argv.index("user@node-1")] == ["ssh", "-T", "-o", "BatchMode=yes", "-o",
                                                          "ServerAliveInterval=15", "-o", "Port=2222"]
    assert node.argv[-2] == "--"
    remote = shlex.split(node.argv[-1])  # what the remote shell will run, word for word
    assert remote[:3] == ["env", "PYTHONPATH=/my checkout", "/usr/bin/python3"]
    assert remote[remote.index("--cwd") + 1] == "/work dir" and "--not-master" not in remote
    assert remote[-2:] == ["--name", "a b; touch /tmp/pwned"]
    assert f"--log_dir={tmp_path / 'node1-remote'}" in remote and node.log_dir == str(tmp_path / "node1")
    assert ssh_argv("h", ["echo", "$HOME"])[-1] == "echo '$HOME'"


def test_a_hostile_argument_reaches_the_remote_program_as_one_word_over_real_ssh(sshd, tmp_path):
    marker = tmp_path / "pwned"
    word = f"a b; touch {marker}; $(touch {marker}) `touch {marker}`"
    done = subprocess.run(ssh_argv(f"{sshd.user}@127.0.0.1", ["printf", "[%s]", word], sshd.options),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"[{word}]" and not marker.exists()


@needs_msrun
@pytest.mark.mindspore
@pytest.mark.slow
def test_two_local_nodes_run_the_real_msrun_job_with_ranks_per_node(tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    started = time.monotonic()
    done = run_cli("launch", "--demo", "--cards", "2", "--hosts", "local,local", "--json", "--log-dir",
                   str(tmp_path / "logs"), env=env, cwd=str(tmp_path), timeout=400)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr + done.stdout[-2000:]
    events = events_of(done.stdout)
    commands = [e for e in events if e["type"] == "command"]
    assert [c["node_rank"] for c in commands] == [0, 1]
    for rank, command in enumerate(commands):
        assert {f"--node_rank={rank}", "--worker_num=2", "--local_worker_num=1",
                "--master_addr=127.0.0.1"} <= set(command["argv"])
    metrics = [e for e in events if e["type"] == "metric"]
    assert {(e["node"], e["rank"]) for e in metrics} == {(0, 0), (1, 1)}
    assert {e["step"] for e in metrics if e["node"] == 1} == set(range(1, 31))
    assert events[-1]["type"] == "exit" and events[-1]["code"] == 0, events[-1]
    job = next(e for e in events if e["type"] == "started")
    folder = Path(job["log_dir"])
    assert folder == (tmp_path / "logs" / job["job"]).resolve()
    assert (folder / "node0" / "worker_0.log").is_file() and (folder / "node1" / "worker_1.log").is_file()
    assert (folder / "node0" / "scheduler.log").is_file()
    assert not (folder / "node1" / "scheduler.log").exists()  # one scheduler, on the master node
    row = json.loads(run_cli("jobs", "--json", env=env).stdout)[0]
    assert row["status"] == "succeeded" and [(n["rank"], n["exit_code"]) for n in row["nodes"]] == [(0, 0), (1, 0)]
    print(f"2-node local msrun job: {seconds:.1f} s")


@needs_msrun
@pytest.mark.mindspore
@pytest.mark.slow
def test_a_node_over_real_ssh_streams_its_logs_and_stop_ends_every_node(sshd, tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    host = f"{sshd.user}@127.0.0.1"
    options = [arg for option in sshd.options for arg in ("--ssh-option", option)]
    started_at = time.monotonic()
    started = run_cli("launch", "--demo", "--cards", "2", "--hosts", f"local,{host}", *options, *same_mindpilot(),
                      "--env", "MINDPILOT_DEMO_STEP_SLEEP=0.5", "--detach", "--json", "--log-dir",
                      str(tmp_path / "logs"), env=env, cwd=str(tmp_path), timeout=120)
    assert started.returncode == 0, started.stderr + started.stdout[-2000:]
    job = events_of(started.stdout)[-1]
    assert job["type"] == "started"
    folder = Path(job["log_dir"])
    mirrored = folder / "node1" / "worker_1.log"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if mirrored.is_file() and "step:[" in mirrored.read_text(errors="replace") and \
                "step:[" in (folder / "node0" / "worker_0.log").read_text(errors="replace"):
            break
        time.sleep(0.5)
    else:
        notes = list((tmp_path / "state").glob("jobs/*/node1-ssh.log"))
        pytest.fail(f"no training step from both nodes: {notes[0].read_text()[-1000:] if notes else ''}")
    streaming = time.monotonic() - started_at
    # The remote node's own folder, on the "remote" host (here the same machine), holds the same log.
    assert (folder / "node1-remote" / "worker_1.log").read_bytes().startswith(mirrored.read_bytes()[:200])
    stopped = run_cli("stop", job["job"], "--json", "--grace", "5", env=env, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    result = json.loads(stopped.stdout)
    assert result["left_pids"] == [] and result["status"] == "stopped"
    time.sleep(2)
    tagged = [p.pid for p in psutil.process_iter(["pid"]) if _tag(p) == job["job"]]
    assert tagged == []  # the remote node's msrun and worker too (the same machine here)
    print(f"ssh node: both nodes training after {streaming:.1f} s; stopped in {time.monotonic() - started_at:.1f} s")


def _tag(process):
    try:
        return process.environ().get("MINDPILOT_JOB_ID")
    except (psutil.Error, OSError):
        return None


@needs_msrun
@pytest.mark.mindspore
@pytest.mark.slow
def test_a_node_that_cannot_be_reached_fails_the_job_and_the_other_node_is_stopped(tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    started_at = time.monotonic()
    done = run_cli("launch", "--demo", "--cards", "2", "--hosts", "local,127.0.0.1", "--ssh-option", "Port=1",
                   "--ssh-option", "ConnectTimeout=5", "--force", "--json", "--log-dir", str(tmp_path / "logs"),
                   env=env, cwd=str(tmp_path), timeout=300)
    assert done.returncode == 4, done.stderr
    events = events_of(done.stdout)
    assert any(e["type"] == "preflight" and e["finding"]["rule"] == "nodes.unreachable" for e in events)
    assert events[-1]["type"] == "exit" and events[-1]["status"] == "failed"
    row = json.loads(run_cli("jobs", "--json", env=env).stdout)[0]
    assert row["error"].startswith("node 1 (127.0.0.1) exited 255") and "refused" in row["error"].lower()
    assert row["nodes"][0]["exit_code"] != 0 and row["alive_pids"] == []
    text = run_cli("jobs", env=env).stdout
    assert "node 1 (127.0.0.1) exited 255" in text
    print(f"unreachable node: job failed and node 0 stopped after {time.monotonic() - started_at:.1f} s")
