"""``doctor --deep``: the installed framework's own self-test, run for real as a tracked job and read back.

One real run of ``mindformers.run_check()`` on this machine's CPU wheels (module fixture, ~30-100 s) carries
the end-to-end assertions; the stage reading is also tested on that run's recorded console and on the
documented output of ``mindspore.run_check()``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.selftest import MARK, WRAPPER, parse_console, quote, selftest_findings

RECORDED = Path(__file__).parent / "data" / "selftest" / "mindformers-1.7.0-cpu.log"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """``mindpilot doctor --deep --json`` on this venv, once: (CompletedProcess, document, state dir)."""
    pytest.importorskip("mindformers", reason="needs the mindformers extra (pip install -e '.[test,mindformers]')")
    state = tmp_path_factory.mktemp("state")
    done = run_cli("doctor", "--deep", "--json", "--lang", "en", env={"MINDPILOT_STATE_DIR": str(state)},
                   timeout=900)
    return done, json.loads(done.stdout), state


@pytest.mark.mindformers
@pytest.mark.slow
def test_real_selftest_names_each_stage_in_the_frameworks_words(real_run):
    done, document, _ = real_run
    assert "Traceback" not in done.stdout
    stages = {stage["stage"]: stage for stage in document["stages"]}
    assert document["selftest"] == "mindformers.run_check()"
    assert stages["mindspore"]["status"] == "passed"
    assert "MindSpore has been installed on platform [CPU] successfully!" in stages["mindspore"]["quote"]
    # On the CPU wheel the 2-layer pretrain cannot compile (BatchMatMul broadcast), so predict never runs.
    assert stages["pretrain"]["status"] == "failed"
    assert stages["pretrain"]["quote"] == "Pretrain test failed!"
    assert "For BatchMatMul, inputs shape cannot be broadcast on CPU/GPU" in stages["pretrain"]["error"]
    assert stages["predict"]["status"] == "not_run"
    rules = [finding["rule"] for finding in document["findings"]]
    assert rules.index("kb.operator.batchmatmul_broadcast_cpu") == rules.index("selftest.failed") + 1
    assert "selftest.crash_version_check" in rules
    assert done.returncode == ExitCode.FINDINGS


@pytest.mark.mindformers
@pytest.mark.slow
def test_real_selftest_is_a_tracked_job_with_its_console(real_run):
    done, document, state = real_run
    listed = run_cli("jobs", "--json", env={"MINDPILOT_STATE_DIR": str(state)})
    job = next(row for row in json.loads(listed.stdout) if row["id"] == document["job"])
    assert job["status"] == "failed" and job["exit_code"] == 1  # run_check's own TypeError ends the process
    console = state / "jobs" / document["job"] / "msrun.log"
    assert console.read_text(encoding="utf-8").startswith(f"{MARK} mindformers.run_check()")
    assert "Starting Pretrain Test" in done.stderr  # the console was shown live


def test_recorded_console_explains_the_crash_in_its_error_path():
    test = parse_console(RECORDED.read_text(encoding="utf-8").splitlines())
    assert [(s.name, s.status) for s in test.stages] == [
        ("mindspore", "passed"), ("pretrain", "failed"), ("predict", "not_run"), ("versions", "crashed")]
    crash = test.crash
    assert crash.exception == "TypeError: 'NoneType' object is not subscriptable"
    assert (Path(crash.frame_file).name, crash.frame_function) == ("run_check.py", "get_recommend_versions")
    findings = selftest_findings(test, 1, "en", job="selftest-1")
    crash_finding = next(f for f in findings if f.rule == "selftest.crash_version_check")
    assert "hiding the real failure: pretrain test" in crash_finding.title
    assert "Passed before the crash: MindSpore check" in crash_finding.detail
    assert "mindpilot attach selftest-1" in next(f for f in findings if f.rule == "selftest.failed").fix


def _documented_mindformers(versions: list) -> list:
    """The lines mindformers/run_check.py logs when every test passes (its own texts), then ``versions``."""
    log = "2026-01-01 00:00:00,000 - mindformers[mindformers/run_check.py:1] - INFO - "
    return [f"{MARK} mindformers.run_check()",
            log + "------Starting MindSpore Run Check------",
            log + "The result of multiplication calculation is correct, MindSpore has been installed on "
                  "platform [Ascend] successfully!",
            log + "------Starting Pretrain Test------", log + "Pretrain test passed!",
            log + "------Starting Predict Test------", log + "Predict test passed!",
            log + "------Searching Environment Info------", *[log + line for line in versions],
            f"{MARK} returned"]


def test_all_passed_is_four_passed_stages_and_exit_0():
    lines = _documented_mindformers(["All checks passed, used 80.12 seconds, the environment is correctly set up!"])
    test = parse_console(lines)
    findings = selftest_findings(test, 0, "en")
    assert [(f.rule, f.stage) for f in findings] == [("selftest.passed", name)
                                                     for name in ("mindspore", "pretrain", "predict", "versions")]
    assert test.returned and test.crash is None


def test_unmatched_versions_quote_the_recommendation():
    lines = _documented_mindformers([
        "The installed software are unmatched but all checks passed in 80.12 seconds",
        "It's recommended to install mindformers==1.7.0 mindspore==2.7.1 cann-toolkit==8.3.RC1 driver==25.3.RC1"])
    findings = selftest_findings(parse_console(lines), 0, "zh")
    unmatched = next(f for f in findings if f.rule == "selftest.unmatched")
    assert unmatched.severity.value == "warning"
    assert "mindspore==2.7.1 cann-toolkit==8.3.RC1" in unmatched.detail


def test_mindspore_alone_uses_its_documented_lines():
    # mindspore.run_check()'s docstring and _check_mul() print these two lines, or "... check failed." and why.
    passed = [f"{MARK} mindspore.run_check()", "MindSpore version:  2.7.1",
              "The result of multiplication calculation is correct, MindSpore has been installed on platform "
              "[Ascend] successfully!", f"{MARK} returned"]
    test = parse_console(passed)
    assert [(s.name, s.status) for s in test.stages] == [("mindspore", "passed")]
    failed = [f"{MARK} mindspore.run_check()", "MindSpore version:  2.7.1", "MindSpore running check failed.",
              "RuntimeError: Call aclrtSetDevice failed, ret[507033]", f"{MARK} returned"]
    findings = selftest_findings(parse_console(failed), 0, "en")
    assert findings[0].rule == "selftest.failed"
    assert "aclrtSetDevice" in findings[0].detail


def test_a_hang_ended_by_the_watchdog_is_a_timeout():
    lines = _documented_mindformers([])[:4] + ["Timeout (0:15:00)!", "Thread 0x00007f (most recent call first):"]
    findings = selftest_findings(parse_console(lines), 1, "en")
    assert findings[-1].rule == "selftest.timeout"
    assert "0:15:00" in findings[-1].title


def test_control_characters_never_reach_the_terminal():
    assert quote("\x1b[31mPretrain test failed!\x1b[0m\x07\x00 password=hunter2") == "Pretrain test failed! password=***"


def test_wrapper_is_one_line_and_stops_on_its_watchdog(tmp_path):
    assert "\n" not in WRAPPER  # it is written into the job's run.sh
    done = subprocess.run([sys.executable, "-c", WRAPPER.replace("__import__(name).run_check()",
                                                                 "__import__('time').sleep(30)"), "0.5"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1 and "Timeout (0:00:00" in done.stderr


def test_interpreter_without_a_framework_is_one_error(tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    done = run_cli("doctor", "--deep", "--python", str(bare / "bin" / "python"), "--json",
                   env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    document = json.loads(done.stdout)
    assert [f["rule"] for f in document["findings"]] == ["selftest.no_framework"]
    assert done.returncode == ExitCode.FINDINGS


def test_missing_interpreter_is_one_line_exit_3(tmp_path):
    done = run_cli("doctor", "--deep", "--python", str(tmp_path / "nope" / "python"),
                   env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    assert done.returncode == ExitCode.ENVIRONMENT
    assert done.stderr.count("\n") == 1 and "no Python interpreter at" in done.stderr


def test_an_unknown_crash_goes_through_the_knowledge_base():
    lines = [f"{MARK} mindspore.run_check()", "MindSpore version:  2.7.1", "Traceback (most recent call last):",
             '  File "/venv/mindspore/ops/mul.py", line 9, in infer',
             "ValueError: For BatchMatMul, inputs shape cannot be broadcast on CPU/GPU, with x shape [2, 3]"]
    findings = selftest_findings(parse_console(lines), 1, "en", job="selftest-2", log="/state/msrun.log")
    assert [f.rule for f in findings] == ["selftest.crashed", "kb.operator.batchmatmul_broadcast_cpu"]
    assert "mul.py:9 (infer)" in findings[0].detail and findings[1].file == "/state/msrun.log"


def test_a_stopped_self_test_says_which_stage_it_cut_short():
    lines = _documented_mindformers([])[:4]  # the MindSpore check passed, the pretrain test began
    findings = selftest_findings(parse_console(lines), -15, "en", job="selftest-3", status="stopped")
    assert [(f.rule, f.stage) for f in findings] == [
        ("selftest.passed", "mindspore"), ("selftest.cut", "pretrain"), ("selftest.not_reached", "predict"),
        ("selftest.not_reached", "versions")]
    assert "the self-test process ended (stopped by mindpilot stop)" in findings[1].title
    killed = selftest_findings(parse_console(lines), -9, "en")
    assert "killed by signal 9" in killed[1].title and killed[1].severity.value == "error"
