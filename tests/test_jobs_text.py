"""QA: ``jobs`` and ``stop`` speak the user's language, and ``--limit`` below 1 is a usage error."""

from __future__ import annotations

import pytest

from mindpilot.exit_codes import ExitCode
from support import run_cli


def test_empty_list_in_chinese_and_limit_zero_is_refused(tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = run_cli("jobs", "--lang", "zh", env=env)
    assert done.returncode == ExitCode.OK and "还没有任务" in done.stdout
    done = run_cli("jobs", "--limit", "0", env=env)
    assert done.returncode == ExitCode.USAGE and "--limit" in done.stderr and done.stdout == ""


def test_listed_job_and_its_stop_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    from mindpilot.launch.jobs import JobRecord, save_job

    save_job(JobRecord(id="demo-20261125-120000-abcd", name="demo", argv=["msrun"], env={}, cwd=str(tmp_path),
                       log_dir=str(tmp_path / "logs"), preset={}, status="succeeded", exit_code=0))
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    listed = run_cli("jobs", "--lang", "zh", env=env)
    assert listed.returncode == ExitCode.OK
    header, row, logs = listed.stdout.splitlines()[:3]
    assert "状态" in header and "成功" in row and logs.strip().startswith("日志:")
    stopped = run_cli("stop", "demo-20261125-120000-abcd", "--lang", "zh", env=env)
    assert stopped.returncode == ExitCode.OK, stopped.stderr
    assert "没有残留进程" in stopped.stdout


@pytest.mark.mindspore  # launch --dry-run finds msrun (its absence is a preflight error)
def test_preset_and_launch_messages_in_chinese(tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    listed = run_cli("preset", "list", "--lang", "zh", env=env)
    assert listed.returncode == ExitCode.OK and "2 张卡" in listed.stdout
    wrote = run_cli("preset", "run-sh", "demo", "-o", str(tmp_path / "run.sh"), "--lang", "zh", env=env)
    assert wrote.returncode == ExitCode.OK and wrote.stderr.startswith("已写入 ")
    dry = run_cli("launch", "--demo", "--dry-run", "--write-run-sh", str(tmp_path / "run2.sh"), "--lang", "zh",
                  env=env, cwd=str(tmp_path))
    assert dry.returncode == ExitCode.OK, dry.stderr
    assert f"已写入 {tmp_path / 'run2.sh'}" in dry.stderr
