"""``mindpilot doctor`` end to end: JSON contract, exit codes, 80-column text, probe failures."""

from __future__ import annotations

import json
import sys
import unicodedata

from support import other_python_with_extras, run_cli

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.doctor import run_doctor
from mindpilot.validators.probe import demo_root

FINDING_KEYS = {"rule", "severity", "title", "detail", "fix", "file", "line", "source"}


def test_doctor_json_on_this_machine_is_one_valid_report():
    done = run_cli("doctor", "--json")
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS)
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert set(report) >= {"stack", "stack_reason", "components", "findings", "environment"}
    assert all(FINDING_KEYS <= set(f) for f in report["findings"])
    has_error = any(f["severity"] == "error" for f in report["findings"])
    assert done.returncode == (ExitCode.FINDINGS if has_error else ExitCode.OK)
    env = report["environment"]
    assert env["python"]["executable"] == sys.executable
    if env["cann_version"] is None and env["npu_count"] == 0:  # an honest "no CANN here"
        assert "doctor.no_npu" in [f["rule"] for f in report["findings"]]


def test_demo_shows_a_mix_of_ok_and_mismatch_and_exits_1():
    done = run_cli("doctor", "--demo", "--json", "--lang", "en")
    assert done.returncode == ExitCode.FINDINGS
    report = json.loads(done.stdout)
    env = report["environment"]
    assert (env["cann_version"], env["npu_count"], env["hbm_gb_per_card"]) == ("8.2.RC1", 8, 64.0)
    assert env["modelarts"] is True and env["set_env_sourced"] is True and env["demo"] is True
    statuses = {row["status"] for row in report["components"]}
    assert {"ok", "mismatch"} <= statuses
    assert report["stack"] == "mindrlhf-grpo-2025-08"


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def test_demo_text_fits_80_columns_and_speaks_chinese():
    done = run_cli("doctor", "--demo", "--lang", "zh")
    assert done.returncode == ExitCode.FINDINGS
    head = done.stdout.split("\n\n")[0].splitlines()
    assert head[-3].startswith("主机: 192 CPU, 1536 GB 内存") and "ModelArts" in head[-3]
    assert head[-1].startswith("源码 mindrlhf: /home/ma-user/work/mindrlhf @ e8a8fc1c (master, 有改动)")
    table = head[:-3]
    assert len(table) >= 8 and all(columns(line) <= 80 for line in head[:-2])
    header_status = table[1].rindex("状态")
    assert columns(table[1][:header_status]) == columns(table[2][:table[2].rindex("正常")])  # CJK-aligned
    assert "配套" in done.stdout and "修复" in done.stdout


def test_unknown_stack_is_a_usage_error():
    done = run_cli("doctor", "--stack", "no-such-stack")
    assert done.returncode == ExitCode.USAGE
    assert "no-such-stack" in done.stderr and "mindformers-1.7.0" in done.stderr and done.stdout == ""


def test_given_stack_is_used():
    report = json.loads(run_cli("doctor", "--demo", "--json", "--stack", "mindformers-1.6.0").stdout)
    assert report["stack"] == "mindformers-1.6.0"
    chosen = [f for f in report["findings"] if f["rule"].startswith("doctor.stack_")]
    assert len(chosen) == 1 and "--stack" in chosen[0]["title"]


def test_missing_interpreter_exits_3_without_traceback(tmp_path):
    done = run_cli("doctor", "--python", str(tmp_path / "nope"))
    assert done.returncode == ExitCode.ENVIRONMENT
    assert "cannot probe" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_hanging_interpreter_exits_3_after_the_timeout(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nsleep 600\n")
    fake.chmod(0o755)
    done = run_cli("doctor", "--json", "--python", str(fake), "--timeout", "1")
    assert done.returncode == ExitCode.ENVIRONMENT
    assert "did not answer within 1 s" in done.stderr and done.stdout == ""


def test_list_stacks():
    done = run_cli("doctor", "--list-stacks")
    assert done.returncode == ExitCode.OK and "mindrlhf-grpo-2025-08" in done.stdout


def test_root_flag_reads_a_fake_tree():
    report = run_doctor(root=str(demo_root()))
    assert report.environment["cann_version"] == "8.2.RC1"
    assert report.environment["davinci_count"] == 8


def test_python_flag_judges_the_other_venv(tmp_path):
    done = run_cli("doctor", "--json", "--python", other_python_with_extras(tmp_path))
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS)
    report = json.loads(done.stdout)
    rows = {row["name"]: row for row in report["components"]}
    assert rows["mindformers"]["found"] == "1.7.0" and rows["mindspore"]["found"].startswith("2.7.1")
    assert report["stack"] == "mindformers-1.7.0"


def test_missing_root_is_a_usage_error(tmp_path):
    done = run_cli("doctor", "--root", str(tmp_path / "nowhere"))
    assert done.returncode == ExitCode.USAGE and "--root" in done.stderr
