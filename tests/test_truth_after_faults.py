"""What a job's record says after faults is what happened (docs/security.md, "Truth after faults").

msrun is a stand-in on PATH (a shell script that writes a worker log and exits), so each job takes seconds;
ssh is a real OpenSSH server on loopback (``tests/sshd_server.py``), so both nodes run on this machine, as
the rehearsal of a 2-node job does.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import psutil
from sshd_server import sshd, start_sshd  # noqa: F401  (fixture)
from support import run_cli, wait_for
from test_tui_launch import fake_launch  # noqa: F401  (the launch core replaced by fakes)


def _stub_msrun(tmp_path: Path, node0_seconds: float, node1_seconds: float) -> Path:
    """msrun: writes ``worker_<node rank>.log`` with one step, sleeps per node, exits 0."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    msrun = bin_dir / "msrun"
    msrun.write_text(
        "#!/bin/sh\nr=0\nfor a in \"$@\"; do case \"$a\" in --log_dir=*) d=\"${a#--log_dir=}\";; "
        "--node_rank=*) r=\"${a#--node_rank=}\";; esac; done\nmkdir -p \"$d\"\n"
        f"if [ \"$r\" = 0 ]; then sleep {node0_seconds}; else sleep {node1_seconds}; fi\n"
        "echo 'step:[    1/    1], loss: 1.0' > \"$d/worker_$r.log\"\nexit 0\n")
    msrun.chmod(0o755)
    return bin_dir


def _preset(tmp_path: Path, **extra) -> Path:
    preset = tmp_path / "job.json"
    preset.write_text(json.dumps({"name": "two", "script": str(tmp_path / "train.py"), "cards": 2, "nodes": 2,
                                  "device": "cpu", "use_checkouts": False, "min_free_gb": 0, **extra}))
    (tmp_path / "train.py").write_text("")
    return preset


def _env(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state"), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _remote(sshd) -> list[str]:  # noqa: F811
    pythonpath = os.pathsep.join(p for p in sys.path if p and Path(p, "mindpilot").is_dir()) or os.getcwd()
    options = [arg for option in sshd.options for arg in ("--ssh-option", option)]
    return ["--hosts", f"local,{sshd.user}@127.0.0.1", *options, "--remote-python", sys.executable,
            "--env", f"PYTHONPATH={os.environ.get('PYTHONPATH') or pythonpath}"]


def test_a_two_node_run_over_ssh_whose_ranks_all_finish_is_recorded_as_succeeded(sshd, tmp_path):  # noqa: F811
    bin_dir = _stub_msrun(tmp_path, node0_seconds=4, node1_seconds=0)  # the ssh node ends first
    env = _env(tmp_path, bin_dir)
    done = run_cli("launch", str(_preset(tmp_path)), "--no-probe", "--force", "--json", *_remote(sshd),
                   "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path), timeout=180)
    row = json.loads(run_cli("jobs", "--json", env=env).stdout)[0]
    assert row["status"] == "succeeded", (row, done.stderr[-2000:])
    assert [(n["rank"], n["exit_code"]) for n in row["nodes"]] == [(0, 0), (1, 0)]
    assert done.returncode == 0, done.stderr[-2000:]


def test_stop_reports_a_node_it_cannot_reach_as_unreachable(tmp_path):
    (tmp_path / "sshd").mkdir()
    server, listener = start_sshd(tmp_path / "sshd")  # its own: this test stops it
    bin_dir = _stub_msrun(tmp_path, node0_seconds=60, node1_seconds=60)
    env = _env(tmp_path, bin_dir)
    started = run_cli("launch", str(_preset(tmp_path)), "--no-probe", "--force", "--detach", "--json",
                      *_remote(server), "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path), timeout=120)
    assert started.returncode == 0, started.stderr
    job = json.loads(started.stdout.strip().splitlines()[-1])["job"]
    try:
        assert wait_for(lambda: _remote_runner(job) is not None and _remote_msrun(job) is not None, timeout=30)
        remote = _remote_runner(job)
        remote.suspend()  # the remote node hangs: it no longer hears the end of its stdin
        listener.terminate()  # and its host takes no new connection
        listener.wait(timeout=10)
        stopped = run_cli("stop", job, "--json", "--grace", "2", env=env, timeout=120)
        result = json.loads(stopped.stdout)
        assert stopped.returncode == 4, stopped.stdout + stopped.stderr
        assert result["status"] == "unreachable" and [n["rank"] for n in result["unreachable"]] == [1], result
        # (On a real remote host that node would still run; here its processes share this machine, where the
        # local part of stop ends every process of the job, so only the report can be checked.)
        text = run_cli("stop", job, "--grace", "1", env=env, timeout=120)
        said = text.stdout + text.stderr
        assert text.returncode == 4 and "node 1" in said and "unreachable" in said and "no process left" not in said
    finally:
        for process in _tagged(job) + [p for p in [_remote_runner(job)] if p]:
            try:
                process.kill()
            except psutil.Error:
                pass
        if listener.poll() is None:
            listener.kill()


def _remote_msrun(job: str):
    """The remote node's msrun (the stand-in shell script), found by its remote log folder."""
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "msrun" in cmdline and f"{job}/node1-remote" in cmdline and "noderun" not in cmdline:
            return process
    return None


def _remote_runner(job: str):
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "mindpilot.launch.noderun" in cmdline and job in cmdline:
            return process
    return None


def _tagged(job: str) -> list:
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("MINDPILOT_JOB_ID") == job:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def test_deleting_a_running_jobs_record_folder_makes_its_supervisor_stop_the_workers(tmp_path):
    bin_dir = _stub_msrun(tmp_path, node0_seconds=120, node1_seconds=120)
    env = _env(tmp_path, bin_dir)
    preset = tmp_path / "one.json"
    preset.write_text(json.dumps({"name": "one", "script": str(tmp_path / "train.py"), "cards": 1, "device": "cpu",
                                  "use_checkouts": False, "min_free_gb": 0}))
    (tmp_path / "train.py").write_text("")
    started = run_cli("launch", str(preset), "--no-probe", "--force", "--detach", "--json", "--log-dir",
                      str(tmp_path / "logs"), env=env, cwd=str(tmp_path), timeout=60)
    assert started.returncode == 0, started.stderr
    job = json.loads(started.stdout.strip().splitlines()[-1])["job"]
    assert wait_for(lambda: len(_tagged(job)) >= 2, timeout=20)  # the supervisor and msrun
    shutil.rmtree(tmp_path / "state" / "jobs" / job)
    assert wait_for(lambda: not _tagged(job), timeout=30), [p.cmdline() for p in _tagged(job)]
    time.sleep(0.2)


def test_deleting_a_two_node_jobs_record_folder_makes_its_supervisor_stop_every_node(tmp_path):
    env = _env(tmp_path, _stub_msrun(tmp_path, node0_seconds=120, node1_seconds=120))
    started = run_cli("launch", str(_preset(tmp_path)), "--hosts", "local,local", "--no-probe", "--force",
                      "--detach", "--json", "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path),
                      timeout=60)
    assert started.returncode == 0, started.stderr
    job = json.loads(started.stdout.strip().splitlines()[-1])["job"]
    assert wait_for(lambda: len(_tagged(job)) >= 3, timeout=20)  # the supervisor and both nodes' msrun
    shutil.rmtree(tmp_path / "state" / "jobs" / job)
    assert wait_for(lambda: not _tagged(job), timeout=30), [p.cmdline() for p in _tagged(job)]
    time.sleep(0.2)


async def test_the_tui_stop_says_which_node_it_could_not_reach(fake_launch, monkeypatch):  # noqa: F811
    from mindpilot.tui import launching
    from mindpilot.tui.screens.launch import LaunchScreen
    from mindpilot.tui.session import Session
    from test_tui_launch import watch_until_stopped
    from tui_apps.fakes import FakeRecord, fake_report
    from tui_apps.harness import ScreenHarness, settle

    monkeypatch.setattr(launching, "watch", watch_until_stopped(fake_launch))
    monkeypatch.setattr(launching, "unreachable_nodes",
                        lambda job: [{"rank": 1, "host": "node1", "error": "ssh exited 255"}])
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        for _ in range(200):
            if app.screen.job.view_lines():
                break
            await pilot.pause(0.05)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert f"job {FakeRecord.id}: node 1 (node1) is unreachable; its processes may still run" in messages
        assert not any("no process left" in m for m in messages)
