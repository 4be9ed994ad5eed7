"""``mindpilot check`` end to end: exit codes, --json shape, --fix / --dry-run, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import run_cli

DATA = Path(__file__).parent / "data" / "check"


def test_json_document_and_exit_code_zero_on_two_cards():
    result = run_cli("check", str(DATA / "qwen2_5_7b_2cards.yaml"), "--cards", "2", "--hbm", "64", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["files"] == [{"file": str(DATA / "qwen2_5_7b_2cards.yaml"), "kind": "mindformers",
                                  "schema": "MindFormers YAML (parallel_config:)"}]
    assert {f["rule"] for f in document["findings"]} >= {"paths.placeholder"}
    for finding in document["findings"]:
        assert set(finding) >= {"rule", "severity", "title", "detail", "fix", "file", "line", "source"}


def test_errors_exit_1_and_text_names_file_line_and_fix():
    result = run_cli("check", str(DATA / "qwen2_5_7b_2cards.yaml"), "--cards", "8", "--lang", "en")
    assert result.returncode == 1
    assert f"{DATA / 'qwen2_5_7b_2cards.yaml'}:79:" in result.stdout
    assert "fix: change it to: data_parallel: 4" in result.stdout
    assert "1 error," in result.stderr


def test_missing_file_is_a_usage_error_without_traceback():
    result = run_cli("check", "/nonexistent/x.yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "/nonexistent/x.yaml" in result.stderr


def test_unparsable_yaml_is_a_finding_with_its_line(tmp_path):
    bad = tmp_path / "finetune.yaml"
    bad.write_text("parallel_config:\n  data_parallel: [1\n  model_parallel: 2\n", encoding="utf-8")
    result = run_cli("check", str(bad), "--json")
    assert result.returncode == 1
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["rule"] == "yaml.parse_error" and finding["line"] is not None


def test_fix_dry_run_prints_diff_and_writes_nothing(tmp_path):
    target = tmp_path / "finetune_qwen2_5_7b.yaml"
    shutil.copy(DATA / "qwen2_5_7b_2cards.yaml", target)
    before = target.read_text(encoding="utf-8")
    result = run_cli("check", str(target), "--cards", "8", "--fix", "--dry-run")
    assert result.stdout.startswith(f"--- {target}")
    assert target.read_text(encoding="utf-8") == before and not Path(str(target) + ".bak").exists()


def test_fix_writes_plan_keeps_backup_and_then_passes(tmp_path):
    target = tmp_path / "finetune_qwen2_5_7b.yaml"
    shutil.copy(DATA / "qwen2_5_7b_2cards.yaml", target)
    result = run_cli("check", str(target), "--cards", "8", "--hbm", "64", "--fix", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["fixes"][0]["written"] is True and document["fixes"][0]["diff"]
    assert Path(str(target) + ".bak").read_text(encoding="utf-8") == (DATA / "qwen2_5_7b_2cards.yaml").read_text(
        encoding="utf-8")
    assert not [f for f in document["findings"] if f["severity"] == "error"]


def test_usage_errors():
    assert run_cli("check", str(DATA / "qwen2_5_7b_2cards.yaml"), "--dry-run").returncode == 2
    assert run_cli("check", str(DATA / "qwen2_5_7b_2cards.yaml"), "--cards", "0").returncode == 2
