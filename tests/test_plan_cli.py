"""``mindpilot plan`` on the command line: JSON shape, an 80-column table, --apply, and what check says."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.exit_codes import ExitCode
from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan

DATA = Path(__file__).parent / "data" / "plan"
FINETUNE = DATA / "finetune_qwen2_5_7b_8k.yaml"


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_json_is_one_document_of_ranked_candidates():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--hbm", "64", "--json", "--lang", "en")
    assert done.returncode == ExitCode.OK, done.stderr
    document = json.loads(done.stdout)
    candidates = document["candidates"]
    assert len(candidates) == 9
    for c in candidates:
        assert {"parallel_config", "recompute_config", "offset", "micro_batch_num", "memory_gb_per_card", "fits",
                "reasons"} <= set(c)
        pc = c["parallel_config"]
        assert pc["data_parallel"] * pc["model_parallel"] * pc["pipeline_stage"] * pc["context_parallel"] == 8
        assert {"total", "weights", "gradients", "optimizer", "activations", "formula"} <= set(c["memory_gb_per_card"])
    assert candidates[0]["fits"]
    assert candidates == json.loads(json.dumps([c.to_dict("en") for c in plan(get_model("qwen2.5-7b"), 8)]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_table_fits_80_columns_with_a_memory_bar(lang):
    done = run_cli("plan", "--model", "qwen3-30b-a3b", "--cards", "32", "--lang", lang)
    assert done.returncode == ExitCode.OK, done.stderr
    lines = done.stdout.splitlines()
    assert all(columns(line) <= 80 for line in lines), max(lines, key=columns)
    rows = [line for line in lines if line.strip().startswith("1 ") and "[" in line]
    assert rows and "#" in rows[0]
    assert "parallel_config:" in done.stdout and "recompute_config:" in done.stdout
    assert done.stderr == ""


def test_text_marks_plans_that_do_not_fit_exits_1_and_says_what_would():
    done = run_cli("plan", "--model", "qwen2.5-72b", "--cards", "8", "--lang", "en", "--top", "3")
    assert done.returncode == ExitCode.FINDINGS
    assert "]!" in done.stdout and "Best plan" not in done.stdout and "No layout fits 58.0 GB" in done.stdout
    assert "the fewest cards on which a layout fits: 24 (--cards 24)" in done.stderr
    assert "LoRA" in done.stderr and "recompute" in done.stderr
    arch = get_model("qwen2.5-72b")
    assert not any(c.fits for c in plan(arch, 16)) and any(c.fits for c in plan(arch, 24))
    document = json.loads(run_cli("plan", "--model", "qwen2.5-72b", "--cards", "8", "--json").stdout)
    assert document["fits"] is False and document["advice"]["fewest_cards"] == 24


def test_a_shorter_sequence_is_offered_when_it_fits():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "4", "--seq-len", "131072", "--json")
    assert done.returncode == ExitCode.FINDINGS
    advice = json.loads(done.stdout)["advice"]
    shorter = advice["seq_len"]
    assert shorter and shorter < 131072
    assert any(c.fits for c in plan(get_model("qwen2.5-7b"), 4, seq_len=shorter))
    assert not any(c.fits for c in plan(get_model("qwen2.5-7b"), 4, seq_len=shorter * 2))


def test_one_memory_figure_in_table_warning_and_json(tmp_path):
    """The README's 7B-on-2-cards pick 2: table, warning and JSON used to say 68.7 and 68.8."""
    target = tmp_path / "finetune.yaml"
    shutil.copy(FINETUNE, target)
    args = ("plan", "--model", "qwen2.5-7b", "--cards", "2", "--apply", str(target), "--pick", "2", "--lang", "en")
    done = run_cli(*args, "--force")
    total = json.loads(run_cli(*args, "--dry-run", "--json").stdout)["candidates"][1]["memory_gb_per_card"]["total"]
    shown = f"{total:.1f}"
    row = next(line for line in done.stdout.splitlines() if line.startswith(" 2 "))
    warning = next(line for line in done.stderr.splitlines() if "warning" in line)
    assert f"{shown}/58.0" in row and f"about {shown} GB" in warning
    assert f"= {shown} GB" in done.stdout  # the memory terms of the picked candidate


def test_model_directory_works_on_the_command_line():
    done = run_cli("plan", "--model", str(DATA / "Qwen2.5-7B-Instruct"), "--cards", "4", "--json")
    assert done.returncode == ExitCode.OK, done.stderr
    assert json.loads(done.stdout)["model"] == "Qwen2.5-7B-Instruct"


def test_unknown_model_is_a_one_line_usage_error():
    done = run_cli("plan", "--model", "gpt-17", "--cards", "8")
    assert done.returncode == ExitCode.USAGE
    assert "gpt-17" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_bad_model_yaml_names_file_line_and_key():
    done = run_cli("plan", "--model", str(DATA / "bad_num_layers.yaml"), "--cards", "8")
    assert done.returncode == ExitCode.USAGE
    assert "bad_num_layers.yaml:5" in done.stderr and "num_layers" in done.stderr


def test_no_legal_layout_exits_with_findings():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--global-batch", "1", "--json")
    assert done.returncode == ExitCode.FINDINGS
    assert json.loads(done.stdout)["candidates"] == []


def test_dry_run_needs_apply():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--dry-run")
    assert done.returncode == ExitCode.USAGE


def test_apply_dry_run_prints_the_diff_and_writes_nothing(tmp_path):
    target = tmp_path / "finetune.yaml"
    shutil.copy(FINETUNE, target)
    before = target.read_text(encoding="utf-8")
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "2", "--apply", str(target), "--dry-run")
    assert done.returncode == ExitCode.FINDINGS, done.stderr  # a preview of a plan that does not fit
    assert "-  data_parallel: 4" in done.stdout and "+  data_parallel: 1" in done.stdout
    assert target.read_text(encoding="utf-8") == before
    assert not (tmp_path / "finetune.yaml.bak").exists()


def test_apply_writes_the_chosen_plan_keeping_comments_and_a_backup(tmp_path):
    from mindpilot.validators.datafiles import read_yaml

    target = tmp_path / "finetune.yaml"
    shutil.copy(FINETUNE, target)
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--pick", "4", "--json")
    assert done.returncode == ExitCode.OK, done.stderr
    document = json.loads(done.stdout)
    chosen = document["candidates"][3]
    assert document["applied"]["pick"] == 4
    written = read_yaml(target)
    defaults = {"context_parallel": 1, "expert_parallel": 1}  # template defaults need not be written (§1.1)
    for key, value in chosen["parallel_config"].items():
        assert written["parallel_config"].get(key, defaults.get(key)) == value, key
    assert list(written["recompute_config"]["recompute"]) == chosen["recompute_config"]["recompute"]
    assert "# recompute config" in target.read_text(encoding="utf-8")
    assert (tmp_path / "finetune.yaml.bak").read_text(encoding="utf-8") == FINETUNE.read_text(encoding="utf-8")


def test_apply_to_a_broken_yaml_writes_nothing(tmp_path):
    target = tmp_path / "broken.yaml"
    target.write_text("parallel_config:\n  data_parallel: [1\n", encoding="utf-8")
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target))
    assert done.returncode == ExitCode.USAGE
    assert "broken.yaml" in done.stderr
    assert target.read_text(encoding="utf-8") == "parallel_config:\n  data_parallel: [1\n"


@pytest.mark.parametrize("cards", [1, 2, 8, 16, 32])
def test_every_plan_for_qwen7b_passes_check(tmp_path, cards):
    check = pytest.importorskip("mindpilot.validators.check")
    if not hasattr(check, "check_files"):
        pytest.skip("mindpilot.validators.check.check_files has not landed")
    from mindpilot.presets.yaml_apply import apply_plan

    for index, candidate in enumerate(plan(get_model("qwen2.5-7b"), cards, hbm_gb=64)):
        target = tmp_path / f"plan{index}.yaml"
        shutil.copy(FINETUNE, target)
        apply_plan(target, candidate.parallel_config, candidate.recompute_config, offset=candidate.offset,
                   micro_batch_num=candidate.micro_batch_num)
        findings = check.check_files([str(target)], cards=cards, hbm_gb=64, skip_paths=True)
        errors = [f for f in findings if f.severity.value == "error"
                  and f.rule.split(".")[0] in ("parallel", "recompute", "model", "yaml")]
        assert not errors, (candidate.label, [(f.rule, f.title) for f in errors])


def test_mindspeed_text_prints_script_variables_and_matching_conversion():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "16", "--framework", "mindspeed-llm",
                   "--global-batch", "64", "--lang", "en")
    assert done.returncode == ExitCode.OK, done.stderr
    out = done.stdout
    tp = int(out.split("\nTP=")[1].split("\n")[0])
    pp = int(out.split("\nPP=")[1].split("\n")[0])
    flat = " ".join(line.lstrip("# ") for line in out.splitlines())
    assert f"--target-tensor-parallel-size {tp}" in flat and f"--target-pipeline-parallel-size {pp}" in flat
    assert "NPUS_PER_NODE=8" in out and "NNODES=2" in out and "GBS=64" in out
    assert "parallel_config:" not in out
    assert all(columns(line) <= 80 for line in out.splitlines())


def test_apply_is_refused_for_mindspeed(tmp_path):
    target = tmp_path / "f.yaml"
    shutil.copy(FINETUNE, target)
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--framework", "mindspeed-llm",
                   "--apply", str(target))
    assert done.returncode == ExitCode.USAGE and "mindspeed-llm" in done.stderr
    assert not (tmp_path / "f.yaml.bak").exists()


def test_grpo_text_lists_the_three_roles():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--framework", "mindrlhf-grpo", "--lang", "en")
    assert done.returncode == ExitCode.OK, done.stderr
    for role in ("actor_config", "ref_config", "generate_config"):
        assert f"{role}.parallel_config" in done.stdout
    assert "other_models" in done.stdout


def test_apply_follows_the_yaml_pipeline_interleave(tmp_path):
    target = tmp_path / "interleave.yaml"
    text = FINETUNE.read_text(encoding="utf-8").replace(
        "  enable_parallel_optimizer: True\n",
        "  enable_parallel_optimizer: True\n  pipeline_config:\n    pipeline_interleave: True\n", 1).replace(
        "    offset: 0\n", "    offset: 0\n    pp_interleave_num: 2\n", 1)
    target.write_text(text, encoding="utf-8")
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--dry-run", "--json")
    assert done.returncode == ExitCode.OK, done.stderr
    candidates = json.loads(done.stdout)["candidates"]
    assert all(c["pp_interleave_num"] == 2 for c in candidates)
    assert [c["offset"] for c in candidates if c["parallel_config"]["pipeline_stage"] == 8] == \
        [[[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 0, 0]]]  # 28 % 16 = 12, middle stages first


def test_applying_the_same_plan_twice_writes_once(tmp_path):
    target = tmp_path / "f.yaml"
    shutil.copy(FINETUNE, target)
    first = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--lang", "en")
    assert first.returncode == ExitCode.OK and "wrote candidate 1" in first.stderr
    after_first = target.read_text(encoding="utf-8")
    second = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--lang", "en")
    assert second.returncode == ExitCode.OK and "nothing written" in second.stderr
    assert target.read_text(encoding="utf-8") == after_first


def test_apply_to_a_missing_file_is_a_usage_error(tmp_path):
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(tmp_path / "nope.yaml"))
    assert done.returncode == ExitCode.USAGE and "no such file" in done.stderr


def test_bench_script_runs_and_reports_every_case():
    import subprocess
    import sys

    bench = Path(__file__).resolve().parent.parent / "bench" / "plan.py"
    done = subprocess.run([sys.executable, str(bench)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert {int(row.split()[1]) for row in rows} == {8, 512, 4096}
    assert all(int(row.split()[3]) > 0 for row in rows)  # every case found candidates
