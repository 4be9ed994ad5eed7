"""Jobs without MindSpore: a stand-in msrun with msrun's process layout (workers in their own sessions).

Records are written atomically and listed; the supervisor records the exit status of a detached job;
`stop` leaves no process (checked by pid); a failing rank is the first failure; `jobs --json` and
`attach --json` work from a fresh process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.command import LaunchCommand
from mindpilot.launch.events import ExitEvent, MetricEvent
from mindpilot.launch.job_processes import job_processes
from mindpilot.launch.jobs import JobRecord, list_jobs, load_job, save_job
from mindpilot.launch.runner import start_job, stop_job, watch_job
from mindpilot.presets.preset import Preset
from support import run_cli, wait_for

DATA = Path(__file__).parent / "data" / "launch"


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def fake_job(tmp_path, **env):
    log_dir = tmp_path / "logs"
    argv = [sys.executable, str(DATA / "fake_msrun.py"), "--worker_num=2", "--local_worker_num=2",
            f"--log_dir={log_dir}", "--join=True", str(DATA / "fake_worker.py")]
    preset = Preset(name="fake", script=str(DATA / "fake_worker.py"), cards=2, device="cpu", hang_minutes=5)
    return preset, LaunchCommand(argv=argv, env={k: str(v) for k, v in env.items()}, cwd=str(tmp_path)), log_dir


def test_records_are_saved_atomically_and_listed_newest_first(state):
    for index in range(3):
        save_job(JobRecord(id=f"job-{index}", argv=["msrun"], cwd="/", log_dir="/tmp", started_at=100 + index,
                           status="succeeded", exit_code=0))
    assert [r.id for r in list_jobs()] == ["job-2", "job-1", "job-0"]
    assert not list(state.glob("jobs/*/.*.tmp"))
    assert load_job("job-1").exit_code == 0
    with pytest.raises(KeyError):
        load_job("job-")  # ambiguous prefix


def test_a_running_record_without_processes_becomes_lost(state):
    save_job(JobRecord(id="gone", argv=["msrun"], cwd="/", log_dir="/tmp", status="running", pid=2 ** 22 - 3,
                       supervisor_pid=2 ** 22 - 5))
    assert list_jobs()[0].status == "lost"


def test_job_runs_to_success_with_metrics_of_both_ranks(tmp_path):
    preset, command, log_dir = fake_job(tmp_path, FAKE_STEPS=4, FAKE_SLEEP=0.02)
    record = start_job(preset, command, str(log_dir))
    events = list(watch_job(record.id, lines=False, kb=False))
    metrics = [e for e in events if isinstance(e, MetricEvent)]
    assert {(e.rank, e.step) for e in metrics} == {(r, s) for r in (0, 1) for s in range(1, 5)}
    exit_event = events[-1]
    assert isinstance(exit_event, ExitEvent) and exit_event.code == 0 and exit_event.status == "succeeded"
    assert load_job(record.id).ended_at is not None
    assert str(DATA / "fake_msrun.py") in (record.record_dir / "run.sh").read_text()


def test_unknown_job_ids_are_usage_errors_and_no_jobs_is_an_empty_list(state):
    for command in ("stop", "attach"):
        done = run_cli(command, "no-such-job", env={"MINDPILOT_STATE_DIR": str(state)})
        assert done.returncode == 2 and "no-such-job" in done.stderr and "Traceback" not in done.stderr
    listed = run_cli("jobs", "--json", env={"MINDPILOT_STATE_DIR": str(state)})
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_failing_rank_is_the_first_failure_and_the_code_propagates(tmp_path):
    preset, command, log_dir = fake_job(tmp_path, FAKE_STEPS=50, FAKE_SLEEP=0.05, FAKE_FAIL_RANK=1)
    record = start_job(preset, command, str(log_dir))
    events = list(watch_job(record.id, lines=False, kb=False))
    exit_event = events[-1]
    assert exit_event.code == 1 and exit_event.status == "failed"
    assert exit_event.first_failure["rank"] == 1 and "fake failure on rank 1" in exit_event.first_failure["text"]


def test_stop_leaves_no_process_even_workers_in_their_own_sessions(tmp_path):
    preset, command, log_dir = fake_job(tmp_path, FAKE_STEPS=10_000, FAKE_SLEEP=0.05)
    record = start_job(preset, command, str(log_dir))
    assert wait_for(lambda: len(job_processes(load_job(record.id))) >= 3)
    pids = [p.pid for p in job_processes(load_job(record.id))]
    sessions = {os.getsid(pid) for pid in pids}
    assert len(sessions) >= 3  # msrun + one session per worker, as real msrun does
    assert stop_job(record.id, grace=5) == []
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert wait_for(lambda: load_job(record.id).status == "stopped", 10)


def test_detached_job_survives_its_launcher_and_attach_sees_the_end(tmp_path, state):
    script = tmp_path / "job.py"
    script.write_text("print('hi')\n")
    preset = {"name": "fake", "script": str(DATA / "fake_worker.py"), "cards": 2, "device": "cpu",
              "min_free_gb": 0, "use_checkouts": False}
    # A preset whose "msrun" is the stand-in: run through the real CLI, detached.
    (tmp_path / "fake.json").write_text(json.dumps(preset))
    env = {"FAKE_STEPS": "30", "FAKE_SLEEP": "0.1", "MINDPILOT_STATE_DIR": str(state)}
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "msrun").write_text(f"#!/bin/sh\nexec {sys.executable} {DATA / 'fake_msrun.py'} \"$@\"\n")
    (fake_bin / "msrun").chmod(0o755)
    env["PATH"] = f"{fake_bin}{os.pathsep}{os.environ['PATH']}"
    started = run_cli("launch", str(tmp_path / "fake.json"), "--detach", "--json", "--no-probe",
                      "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path))
    assert started.returncode == 0, started.stderr
    event = [json.loads(line) for line in started.stdout.splitlines()][-1]
    assert event["type"] == "started" and psutil.pid_exists(event["pid"])
    listed = json.loads(run_cli("jobs", "--json", env=env).stdout)
    assert listed[0]["id"] == event["job"] and listed[0]["status"] == "running"
    assert set(listed[0]) >= {"id", "status", "pid", "log_dir", "exit_code"}
    attached = run_cli("attach", event["job"], "--json", env=env)
    assert attached.returncode == 0, attached.stderr
    lines = [json.loads(line) for line in attached.stdout.splitlines()]
    assert lines[-1]["type"] == "exit" and lines[-1]["code"] == 0
    assert {e["rank"] for e in lines if e["type"] == "metric"} == {0, 1}
    finished = json.loads(run_cli("jobs", "--json", env=env).stdout)[0]
    assert finished["status"] == "succeeded" and finished["exit_code"] == 0


def test_ctrl_c_in_the_foreground_stops_the_job(tmp_path, state):
    import signal
    import subprocess

    preset = {"name": "fake", "script": str(DATA / "fake_worker.py"), "cards": 2, "device": "cpu",
              "min_free_gb": 0, "use_checkouts": False}
    (tmp_path / "fake.json").write_text(json.dumps(preset))
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "msrun").write_text(f"#!/bin/sh\nexec {sys.executable} {DATA / 'fake_msrun.py'} \"$@\"\n")
    (fake_bin / "msrun").chmod(0o755)
    env = dict(os.environ, FAKE_STEPS="100000", FAKE_SLEEP="0.05", MINDPILOT_STATE_DIR=str(state),
               PATH=f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    launcher = subprocess.Popen([sys.executable, "-m", "mindpilot", "launch", str(tmp_path / "fake.json"), "--json",
                                 "--no-probe", "--log-dir", str(tmp_path / "logs")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path))
    for line in launcher.stdout:
        event = json.loads(line)
        if event["type"] == "metric":
            break
    record = load_job(event_job(state))
    pids = [p.pid for p in job_processes(record)]
    assert len(pids) >= 3
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(timeout=60) == 130
    assert wait_for(lambda: load_job(record.id).status == "stopped", 10)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def event_job(state) -> str:
    (job,) = [p.parent.name for p in state.glob("jobs/*/job.json")]
    return job
