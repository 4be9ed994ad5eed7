"""One log folder per job: a second launch into the same log root shows its own run, keeps the other's logs.

Before, every job of a preset wrote into one folder and only one ``.previous`` copy was kept, so
``attach`` and ``diagnose`` read the wrong run, and ``jobs`` pointed at logs that were gone.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from mindpilot.launch.command import find_msrun
from mindpilot.launch.runner import job_log_dir, with_log_dir
from support import run_cli

OLD_FAILURE = "RuntimeError: mindpilot demo: rank 1 failed on purpose at step 5 (MINDPILOT_DEMO_FAIL_RANK)\n"


def test_the_job_folder_is_inside_the_root_and_replaces_msruns_log_dir(tmp_path):
    folder = job_log_dir(str(tmp_path / "logs"), "demo-1")
    assert folder == str((tmp_path / "logs" / "demo-1").resolve())
    argv = ["msrun", "--worker_num=2", "--log_dir=output/msrun_log", "train.py", "--log_dir=user-arg"]
    assert with_log_dir(argv, folder) == ["msrun", "--worker_num=2", f"--log_dir={folder}", "train.py",
                                          "--log_dir=user-arg"]
    assert with_log_dir(["msrun", "train.py"], folder) == ["msrun", f"--log_dir={folder}", "train.py"]


@pytest.mark.mindspore
@pytest.mark.slow
def test_demo_after_a_failed_run_in_the_same_root_reports_only_its_own_run(tmp_path):
    if find_msrun() is None or importlib.util.find_spec("mindspore") is None:
        pytest.skip("needs the mindspore extra (msrun)")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "worker_1.log").write_text("step: [ 3/30], loss: 9.9\n" + OLD_FAILURE)
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = run_cli("launch", "--demo", "--json", "--log-dir", str(logs), env=env, cwd=str(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert "failed on purpose" not in done.stdout
    assert events[-1]["type"] == "exit" and events[-1]["first_failure"] is None
    steps = [e["step"] for e in events if e["type"] == "metric" and e["rank"] == 1]
    assert steps == list(range(1, 31))
    started = next(e for e in events if e["type"] == "started")
    assert started["log_dir"] == str(logs.resolve() / started["job"])
    assert (logs / started["job"] / "worker_1.log").is_file()
    assert (logs / "worker_1.log").read_text().endswith(OLD_FAILURE)  # someone else's logs: untouched
