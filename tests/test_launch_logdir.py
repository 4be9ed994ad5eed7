"""QA: a second launch into the same log dir shows its own run, not the last one's steps and failures."""

from __future__ import annotations

import importlib.util
import json

import pytest

from mindpilot.launch.command import find_msrun
from mindpilot.launch.logdir import set_aside_previous_logs
from support import run_cli

OLD_FAILURE = "RuntimeError: mindpilot demo: rank 1 failed on purpose at step 5 (MINDPILOT_DEMO_FAIL_RANK)\n"


def test_only_run_logs_move_and_one_previous_run_is_kept(tmp_path):
    logs = tmp_path / "msrun_log"
    logs.mkdir()
    (logs / "scheduler.log").write_text("old scheduler\n")
    (logs / "worker_1.log").write_text(OLD_FAILURE)
    (logs / "notes.txt").write_text("mine\n")
    (logs / "checkpoint_0").mkdir()
    previous = set_aside_previous_logs(str(logs))
    assert previous == tmp_path / "msrun_log.previous"
    assert sorted(p.name for p in logs.iterdir()) == ["checkpoint_0", "notes.txt"]
    assert (previous / "worker_1.log").read_text() == OLD_FAILURE
    (logs / "worker_0.log").write_text("second run\n")
    set_aside_previous_logs(str(logs))
    assert sorted(p.name for p in previous.iterdir()) == ["worker_0.log"]
    assert set_aside_previous_logs(str(logs)) is None
    assert set_aside_previous_logs(str(tmp_path / "nowhere")) is None


@pytest.mark.mindspore
@pytest.mark.slow
def test_demo_after_a_failed_run_in_the_same_dir_reports_only_its_own_run(tmp_path):
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
    assert (tmp_path / "logs.previous" / "worker_1.log").read_text().endswith(OLD_FAILURE)
