"""``mindpilot diagnose`` end to end: the 8-rank scenario, stdin, scripts, the environment, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import run_cli

from mindpilot.validators.kb.envcheck import check_environment

LOGS = Path(__file__).parent / "data" / "logs"
SCENARIO = LOGS / "scenarios" / "rank3_oom"


def test_eight_ranks_rank3_oom_is_the_root_cause():
    done = run_cli("diagnose", str(SCENARIO), "--json", "--lang", "en")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    root = document["root_cause"]
    assert root["rank"] == 3 and root["rule"] == "kb.runtime.device_oom"
    assert root["file"].endswith("worker_3.log") and root["line"] == 3
    groups = {group["rule"]: group for group in document["consequences"]}
    assert groups["kb.launch.hccl_exec_timeout"]["ranks"] == [0, 1, 2, 4, 5, 6, 7]
    assert groups["kb.launch.hccl_exec_timeout"]["count"] == 14
    assert "kb.launch.worker_exited" in groups
    for finding in document["findings"]:
        assert "rank" in finding and finding["count"] >= 1
    assert document["findings"][0]["rule"] == "kb.runtime.device_oom"


def test_eight_ranks_human_text_in_both_languages():
    english = run_cli("diagnose", str(SCENARIO), "--lang", "en")
    assert "root cause: rank 3: device out of memory" in english.stdout
    assert "ranks 0,1,2,4,5,6,7" in english.stdout
    chinese = run_cli("diagnose", str(SCENARIO), "--lang", "zh")
    assert "根因：rank 3：设备显存（HBM）不足" in chinese.stdout


def test_root_cause_by_time_not_by_rank_order(tmp_path):
    (tmp_path / "worker_0.log").write_text(
        "[ERROR] ME(1:2,MainProcess):2025-08-20-10:30:00.000.000 [a.py:1] No space left on device\n")
    (tmp_path / "worker_5.log").write_text(
        "2025-08-20 10:20:00,000 - mindformers[x.py:1] - ERROR - The parallel config data_parallel * model_parallel "
        "* context_parallel * pipeline_stage should be equal to device_num, but get dp*mp*sp*pp = 1*4*1*1 = 4 != device_num(8)\n")
    document = json.loads(run_cli("diagnose", str(tmp_path), "--json").stdout)
    assert document["root_cause"]["rank"] == 5
    assert document["root_cause"]["rule"] == "kb.parallel.device_num_product"


def test_stdin_pasted_report():
    report = (LOGS / "kb" / "kb.runtime.npu_unhealthy.log").read_text() + \
        (LOGS / "kb" / "kb.environment.urllib3_default_ciphers.log").read_text()
    done = subprocess.run([sys.executable, "-m", "mindpilot", "diagnose", "-", "--json"], input=report,
                          capture_output=True, text=True, timeout=60)
    rules = {finding["rule"] for finding in json.loads(done.stdout)["findings"]}
    assert rules == {"kb.runtime.npu_unhealthy", "kb.environment.urllib3_default_ciphers"}


def test_launch_script_is_checked():
    done = run_cli("diagnose", str(LOGS / "kb" / "kb.weights.model_type_hf_qwen_script.sh"), "--json")
    findings = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("kb.weights.model_type_hf_qwen_script", 3)]  # the command starts on line 3
    assert done.returncode == 0  # a warning only


def test_clean_log_exits_zero_and_says_so():
    done = run_cli("diagnose", str(LOGS / "clean" / "worker_0.log"), "--lang", "en")
    assert done.returncode == 0 and "no known error found" in done.stdout


def test_a_clean_preset_says_so_rather_than_printing_nothing():
    english = run_cli("diagnose", "demo", "--lang", "en")  # the built-in demo preset: no config, nothing to find
    assert english.returncode == 0 and english.stdout == ""
    assert "no known error found in demo (preset)" in english.stderr
    chinese = run_cli("diagnose", "demo", "--lang", "zh")
    assert "中没有发现已知错误" in chinese.stderr and "demo" in chinese.stderr


def test_missing_path_is_a_usage_error():
    done = run_cli("diagnose", "/no/such/log.txt")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "/no/such/log.txt" in done.stderr


def test_environment_rules_on_probe_facts():
    facts = {"packages": {"urllib3": "2.2.1", "botocore": "1.23.0", "torch": "2.1.0", "mindspore": "2.2.0",
                          "mindformers": "1.6.0", "mindrlhf": "0.3.0"},
             "checkouts": {}, "set_env_sourced": False}
    rules = {f.rule for f in check_environment(facts, "zh")}
    assert rules == {"diagnose.env_urllib3_botocore", "diagnose.env_torch_and_mindspore",
                     "diagnose.env_set_env_not_sourced", "diagnose.env_msprobe_missing",
                     "diagnose.env_mindspore_too_old"}
    healthy = {"packages": {"urllib3": "1.26.7", "botocore": "1.23.0", "mindspore": "2.7.0",
                            "mindformers": "1.6.0", "mindrlhf": "0.3.0", "mindstudio-probe": "8.1.0"},
               "set_env_sourced": True}
    assert check_environment(healthy, "en") == []
