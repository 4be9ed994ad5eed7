"""The job store: one log folder per job, ``jobs`` tells deleted logs and unreadable records, ``--prune``
never touches a running job, ``attach``/``stop`` default to the latest job, a running job's log folder is
refused, and msrun killed by SIGKILL leaves no worker behind.

The processes are the stand-in msrun of ``tests/data/launch`` (msrun's layout: workers in sessions of
their own); the real msrun runs in ``test_launch_demo.py`` and ``test_launch_multinode.py``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import psutil
import pytest

from mindpilot.launch.command import LaunchCommand
from mindpilot.launch.job_guard import MARK, mark_log_dir
from mindpilot.launch.job_processes import job_processes
from mindpilot.launch.jobs import JobRecord, latest_job, list_jobs, load_job, prune_jobs, save_job, unreadable_jobs
from mindpilot.launch.runner import LaunchError, start_job, stop_job
from mindpilot.presets.preset import Preset
from support import run_cli, wait_for

DATA = Path(__file__).parent / "data" / "launch"


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def cli(state, *args):
    return run_cli(*args, env={"MINDPILOT_STATE_DIR": str(state)})


def fake(tmp_path, steps=10_000):
    argv = [sys.executable, str(DATA / "fake_msrun.py"), "--worker_num=2", "--local_worker_num=2",
            f"--log_dir={tmp_path / 'logs'}", "--join=True", str(DATA / "fake_worker.py")]
    env = {"FAKE_STEPS": str(steps), "FAKE_SLEEP": "0.05"}
    preset = Preset(name="fake", script=str(DATA / "fake_worker.py"), cards=2, device="cpu")
    return preset, LaunchCommand(argv=argv, env=env, cwd=str(tmp_path))


def finished(job_id, log_dir, started_at, own=True):
    save_job(JobRecord(id=job_id, argv=["msrun"], cwd="/", log_dir=str(log_dir), own_log_dir=own,
                       started_at=started_at, status="failed", exit_code=1))


def test_each_job_writes_its_own_folder_and_a_second_job_keeps_the_first_ones_logs(tmp_path):
    preset, command = fake(tmp_path, steps=3)
    first = start_job(preset, command, str(tmp_path / "logs"))
    second = start_job(preset, command, str(tmp_path / "logs"))
    for record in (first, second):
        assert record.log_dir == str((tmp_path / "logs" / record.id).resolve()) and record.own_log_dir
        assert f"--log_dir={record.log_dir}" in record.argv
    assert wait_for(lambda: all(load_job(r.id).status == "succeeded" for r in (first, second)))
    for record in (first, second):
        assert sorted(p.name for p in Path(record.log_dir).iterdir()) == [MARK, "worker_0.log", "worker_1.log"]
        assert load_job(record.id).logs_state() == "present"


def test_jobs_says_when_logs_were_deleted_and_lists_an_unreadable_record_with_its_path(tmp_path, state):
    finished("gone-1", tmp_path / "logs" / "gone-1", 100)
    finished("kept-1", tmp_path, 200)
    (state / "jobs" / "broken-1").mkdir(parents=True)
    (state / "jobs" / "broken-1" / "job.json").write_text('{"id": "broken-1", "argv": [')
    assert [u.id for u in unreadable_jobs()] == ["broken-1"]
    text = cli(state, "jobs")
    assert text.returncode == 0, text.stderr
    assert f"{tmp_path / 'logs' / 'gone-1'} (deleted)" in text.stdout
    assert "broken-1" in text.stdout and "unreadable" in text.stdout
    assert str(state / "jobs" / "broken-1" / "job.json") in text.stdout
    rows = {row["id"]: row for row in json.loads(cli(state, "jobs", "--json").stdout)}
    assert rows["gone-1"]["logs"] == "deleted" and rows["kept-1"]["logs"] == "present"
    assert rows["broken-1"]["status"] == "unreadable" and rows["broken-1"]["path"].endswith("job.json")


def test_prune_keeps_the_newest_finished_jobs_and_never_a_running_one(tmp_path, state):
    for index in range(4):
        folder = tmp_path / "logs" / f"old-{index}"
        folder.mkdir(parents=True)
        (folder / "worker_0.log").write_text("x\n")
        mark_log_dir(str(folder), f"old-{index}")  # as the launch that made the folder does
        finished(f"old-{index}", folder, 100 + index)
    shared = tmp_path / "shared"
    shared.mkdir()
    finished("legacy-0", shared, 50, own=False)
    save_job(JobRecord(id="live-0", argv=["msrun"], cwd="/", log_dir=str(tmp_path), started_at=10,
                       status="running", pid=os.getpid(), pid_create_time=psutil.Process().create_time()))
    done = cli(state, "jobs", "--prune", "2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sorted(result["pruned"]) == ["legacy-0", "old-0", "old-1"] and result["running_kept"] == ["live-0"]
    assert [r.id for r in list_jobs()] == ["old-3", "old-2", "live-0"]
    assert not (tmp_path / "logs" / "old-0").exists() and (tmp_path / "logs" / "old-3").is_dir()
    assert shared.is_dir()  # a folder other jobs shared is not this job's to delete
    assert prune_jobs(0)[0] == ["old-3", "old-2"] and [r.id for r in list_jobs()] == ["live-0"]
    assert cli(state, "jobs", "--prune", "-1").returncode == 2


def test_attach_and_stop_without_an_id_take_the_latest_job(tmp_path, state):
    assert cli(state, "stop").returncode == 2
    assert "no job" in cli(state, "attach").stderr
    preset, command = fake(tmp_path)
    record = start_job(preset, command, str(tmp_path / "logs"))
    finished("older", tmp_path, 1)
    assert latest_job().id == record.id and latest_job(running=True).id == record.id
    stopped = cli(state, "stop", "--json", "--grace", "5")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["id"] == record.id and record.id in stopped.stderr
    attached = cli(state, "attach", "--json")
    assert attached.returncode == 4  # the latest job, stopped: attach replays it and exits like launch
    lines = [json.loads(line) for line in attached.stdout.splitlines()]
    assert lines[0]["job"] == record.id and lines[-1]["status"] == "stopped"


def test_a_launch_into_a_running_jobs_log_folder_is_refused_with_one_line(tmp_path, state):
    preset, command = fake(tmp_path)
    record = start_job(preset, command, str(tmp_path / "logs"))
    try:
        with pytest.raises(LaunchError, match=record.id):
            start_job(preset, command, record.log_dir)
        (tmp_path / "p.json").write_text(json.dumps({"name": "p", "script": str(DATA / "fake_worker.py"),
                                                     "cards": 1, "device": "cpu", "use_checkouts": False}))
        done = run_cli("launch", str(tmp_path / "p.json"), "--no-probe", "--log-dir", record.log_dir,
                       env={"MINDPILOT_STATE_DIR": str(state)}, cwd=str(tmp_path))
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and record.id in done.stderr
        assert len(list_jobs()) == 1 and load_job(record.id).status == "running"
    finally:
        assert stop_job(record.id, grace=5) == []


def test_sigkill_of_msrun_leaves_no_worker_running_and_jobs_records_the_leftovers(tmp_path, state):
    preset, command = fake(tmp_path)
    record = start_job(preset, command, str(tmp_path / "logs"))
    assert wait_for(lambda: len(job_processes(load_job(record.id))) >= 3)
    workers = [p.pid for p in job_processes(load_job(record.id)) if p.pid != record.pid]
    os.kill(record.pid, signal.SIGKILL)
    assert wait_for(lambda: load_job(record.id).status == "failed")
    final = load_job(record.id)
    assert final.exit_code == -9 and sorted(final.leftover_pids) == sorted(workers)
    for pid in workers:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    row = json.loads(cli(state, "jobs", "--json").stdout)[0]
    assert row["alive_pids"] == [] and sorted(row["leftover_pids"]) == sorted(workers)


@pytest.mark.mindspore
@pytest.mark.slow
def test_sigkill_of_the_real_msrun_leaves_no_worker_scheduler_or_tail_process(tmp_path, state):
    from mindpilot.launch.command import find_msrun

    if find_msrun() is None:
        pytest.skip("needs the mindspore extra (msrun)")
    started = run_cli("launch", "--demo", "--detach", "--json", "--env", "MINDPILOT_DEMO_STEP_SLEEP=1",
                      "--log-dir", str(tmp_path / "logs"), env={"MINDPILOT_STATE_DIR": str(state)}, cwd=str(tmp_path))
    assert started.returncode == 0, started.stderr
    job = json.loads(started.stdout.splitlines()[-1])
    record = load_job(job["job"])
    assert wait_for(lambda: any("step:[" in p.read_text(errors="replace")
                                for p in Path(record.log_dir).glob("worker_*.log")), 180)
    others = [p for p in job_processes(load_job(record.id)) if p.pid != record.pid]
    names = sorted(p.name() for p in others)
    assert len(others) >= 4, names  # scheduler, two workers, their `tail -f` followers
    os.kill(record.pid, signal.SIGKILL)
    assert wait_for(lambda: load_job(record.id).status == "failed", 60)
    assert load_job(record.id).exit_code == -9
    assert sorted(load_job(record.id).leftover_pids) == sorted(p.pid for p in others)
    for process in others:
        assert not psutil.pid_exists(process.pid) or process.status() == psutil.STATUS_ZOMBIE
    row = json.loads(cli(state, "jobs", "--json").stdout)[0]
    assert row["id"] == record.id and row["alive_pids"] == []


def test_processes_left_by_a_finished_job_are_shown_and_stop_without_an_id_ends_them(tmp_path, state):
    import subprocess

    finished("killed-1", tmp_path, 100)  # msrun and its supervisor gone (kill -9 of both), a worker left
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                              env=dict(os.environ, MINDPILOT_JOB_ID="killed-1"), start_new_session=True)
    try:
        assert wait_for(lambda: "killed-1" in cli(state, "jobs").stdout)
        text = cli(state, "jobs").stdout
        assert "1 process(es) of this job still run: mindpilot stop killed-1" in text
        assert json.loads(cli(state, "jobs", "--json").stdout)[0]["alive_pids"] == [orphan.pid]
        stopped = cli(state, "stop", "--grace", "5")
        assert stopped.returncode == 0, stopped.stderr
        assert "killed-1" in stopped.stderr and orphan.wait(timeout=10) is not None
        assert "still run" not in cli(state, "jobs").stdout
    finally:
        if orphan.poll() is None:
            orphan.kill()
