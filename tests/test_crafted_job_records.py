"""A crafted job record kills nothing and deletes nothing outside the job (docs/security.md, "Job records").

Each record is written by hand into the state folder, as someone with access to a shared state folder could;
the victims are a real process and real folders.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from support import run_cli

from mindpilot.launch.job_guard import MARK


@pytest.fixture
def victim():
    """A process that is nobody's job."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _record(state: Path, folder: str, **fields) -> None:
    job_id = fields.get("id", folder)
    document = {"id": job_id, "argv": ["msrun"], "cwd": "/", "log_dir": f"/nonexistent/{job_id}",
                "status": "failed", "started_at": 1.0, **fields}
    (state / "jobs" / folder).mkdir(parents=True, exist_ok=True)
    (state / "jobs" / folder / "job.json").write_text(json.dumps(document))


@pytest.mark.parametrize("create_time", ["missing", "different", "same but not the job's"])
def test_stop_never_signals_a_process_the_record_cannot_prove_is_the_jobs(tmp_path, victim, create_time):
    state = tmp_path / "state"
    real = psutil.Process(victim.pid).create_time()
    recorded = {"missing": None, "different": real - 1000, "same but not the job's": real}[create_time]
    _record(state, "evil-1", status="running", pid=victim.pid, pgid=victim.pid, pid_create_time=recorded,
            supervisor_pid=victim.pid)
    done = run_cli("stop", "evil-1", env={"MINDPILOT_STATE_DIR": str(state)})
    assert "Traceback" not in done.stderr
    time.sleep(0.3)
    assert victim.poll() is None, f"the victim was killed ({create_time}): {done.stdout} {done.stderr}"


def test_prune_never_deletes_outside_through_an_id_or_a_log_dir(tmp_path):
    state = tmp_path / "state"
    precious = tmp_path / "precious"
    (precious / "x").mkdir(parents=True)
    (precious / "x" / "keep.txt").write_text("mine")
    elsewhere = tmp_path / "home" / "evil-2"  # named as the job, outside the state folder, no launch mark
    elsewhere.mkdir(parents=True)
    (elsewhere / "data.bin").write_text("mine")
    _record(state, "a", id="../../precious/x", log_dir=str(precious / "x"), own_log_dir=True)
    _record(state, "evil-2", log_dir=str(elsewhere), own_log_dir=True)
    _record(state, "evil-3", log_dir=str(tmp_path / "home" / "evil-3"), own_log_dir=True)
    (tmp_path / "home" / "evil-3").symlink_to(precious / "x")  # a link named as the job
    done = run_cli("jobs", "--prune", "0", "--json", env={"MINDPILOT_STATE_DIR": str(state)})
    assert done.returncode == 0, done.stderr
    assert (precious / "x" / "keep.txt").read_text() == "mine"
    assert (elsewhere / "data.bin").read_text() == "mine"
    assert "evil-2" in json.loads(done.stdout)["pruned"]  # its record goes, its claimed folder stays
    listed = run_cli("jobs", "--json", env={"MINDPILOT_STATE_DIR": str(state)})
    assert "../../precious" not in listed.stdout or "unreadable" in listed.stdout


def test_a_log_folder_the_launch_made_is_pruned(tmp_path):
    state = tmp_path / "state"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "msrun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "msrun").chmod(0o755)
    env = {"MINDPILOT_STATE_DIR": str(state), "PATH": f"{bin_dir}:/usr/bin:/bin"}
    preset = tmp_path / "p.json"
    preset.write_text(json.dumps({"name": "made", "script": "t.py", "cards": 1, "device": "cpu",
                                  "use_checkouts": False, "min_free_gb": 0}))
    (tmp_path / "t.py").write_text("")
    launched = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                       env=env, cwd=str(tmp_path))
    assert launched.returncode == 0, launched.stderr
    (folder,) = (tmp_path / "logs").iterdir()
    assert (folder / MARK).read_text().strip() == folder.name
    done = run_cli("jobs", "--prune", "0", env=env)
    assert done.returncode == 0, done.stderr
    assert not folder.exists()


def test_an_id_with_path_parts_is_refused_in_one_line(tmp_path):
    done = run_cli("stop", "../../etc", env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
