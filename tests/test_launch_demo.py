"""The demo job through the real msrun on CPU (mindspore extra): few tests, each ~15-40 s.

Launch and detach survival with attach, a rank-1 failure reported as the first failure, and stop
leaving no process behind (checked by pid).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.command import find_msrun
from support import run_cli

pytestmark = [pytest.mark.mindspore, pytest.mark.slow]

if find_msrun() is None or importlib.util.find_spec("mindspore") is None:
    pytest.skip("needs the mindspore extra (msrun)", allow_module_level=True)


@pytest.fixture
def env(tmp_path):
    return {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}


def events_of(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_demo_survives_its_launcher_and_attach_reports_both_ranks_and_exit_0(tmp_path, env):
    full_env = dict(os.environ, **env)
    launcher = subprocess.Popen([sys.executable, "-m", "mindpilot", "launch", "--demo", "--json",
                                 "--log-dir", str(tmp_path / "logs")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=full_env, cwd=str(tmp_path))
    started = None
    for line in launcher.stdout:
        event = json.loads(line)
        if event["type"] == "started":
            started = event
            break
    assert started is not None, launcher.stderr.read()
    launcher.kill()  # the SSH session dies
    launcher.wait()
    time.sleep(0.5)
    assert psutil.pid_exists(started["pid"])
    attached = run_cli("attach", started["job"], "--json", env=env, timeout=240)
    assert attached.returncode == 0, attached.stderr
    events = events_of(attached.stdout)
    metrics = [e for e in events if e["type"] == "metric"]
    assert {e["rank"] for e in metrics} == {0, 1}
    assert {e["step"] for e in metrics if e["rank"] == 1} == set(range(1, 31))
    assert all(isinstance(e["loss"], float) for e in metrics)
    assert events[-1]["type"] == "exit" and events[-1]["code"] == 0 and events[-1]["first_failure"] is None
    assert not [e for e in events if e["type"] == "finding" and e["finding"]["severity"] == "error"]
    jobs = json.loads(run_cli("jobs", "--json", env=env).stdout)
    assert jobs[0]["status"] == "succeeded" and jobs[0]["exit_code"] == 0


def test_rank_1_failure_is_the_first_failure_and_exit_is_4(tmp_path, env):
    done = run_cli("launch", "--demo-fail-rank", "1", "--json", "--log-dir", str(tmp_path / "logs"), env=env,
                   cwd=str(tmp_path), timeout=300)
    assert done.returncode == 4, done.stderr
    events = events_of(done.stdout)
    exit_event = events[-1]
    assert exit_event["type"] == "exit" and exit_event["code"] not in (0, None)
    assert exit_event["first_failure"]["rank"] == 1
    assert "failed on purpose" in exit_event["first_failure"]["text"]
    first = [e for e in events if e["type"] == "finding" and e["first_failure"]]
    assert len(first) == 1 and first[0]["rank"] == 1


def test_stop_leaves_no_process_of_the_job(tmp_path, env, monkeypatch):
    started = run_cli("launch", "--demo", "--detach", "--json", "--env", "MINDPILOT_DEMO_STEP_SLEEP=1",
                      "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path))
    assert started.returncode == 0, started.stderr
    job = events_of(started.stdout)[-1]
    assert job["type"] == "started"
    monkeypatch.setenv("MINDPILOT_STATE_DIR", env["MINDPILOT_STATE_DIR"])
    from mindpilot.launch.job_processes import job_processes
    from mindpilot.launch.jobs import load_job

    deadline = time.monotonic() + 120
    pids: list[int] = []
    while time.monotonic() < deadline:
        pids = [p.pid for p in job_processes(load_job(job["job"]))]
        step_seen = any("step:[" in path.read_text(errors="replace")
                        for path in Path(job["log_dir"]).glob("worker_*.log"))
        if len(pids) >= 4 and step_seen:  # msrun, scheduler, two workers, all training
            break
        time.sleep(0.5)
    assert len(pids) >= 4
    stopped = run_cli("stop", job["job"], "--json", "--grace", "5", env=env)
    assert stopped.returncode == 0, stopped.stderr
    result = json.loads(stopped.stdout)
    assert result["left_pids"] == [] and result["status"] == "stopped"
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
