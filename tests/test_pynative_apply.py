"""``plan --apply`` and ``check --fix`` on MindFormers 2.x PyNative configs: the plan lands in ``parallelism:`` /
``recompute:`` (never a graph-mode ``parallel_config:``), comments survive, and the result passes ``check``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from support import run_cli

from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan
from mindpilot.presets.pynative_plan import apply_pynative_plan, pynative_settings
from mindpilot.validators.check import run_check
from mindpilot.validators.findings import Severity

MF2 = Path(__file__).parent / "data" / "mf2"
DSV3_1B = MF2 / "configs" / "deepseek3" / "pretrain_deepseek3_1b_8p_pynative.yaml"
DSV4_FLASH = MF2 / "configs-2.1.0" / "deepseek4" / "pretrain_deepseek4_flash.yaml"


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def _errors(path: Path, cards: int) -> list[str]:
    return [f"{f.rule}: {f.title}" for f in run_check([path], cards=cards, skip_paths=True).findings
            if f.severity is Severity.ERROR]


@pytest.mark.parametrize("pick", range(12))
def test_every_planned_layout_written_into_the_pynative_config_passes_check(tmp_path, pick):
    candidates = plan(get_model(str(DSV3_1B)), 16, cards_per_node=8, hbm_gb=16, seq_len=4096, framework="mindformers")
    if pick >= len(candidates):
        pytest.skip(f"the planner found {len(candidates)} layouts")
    chosen = candidates[pick]
    target = tmp_path / "pretrain.yaml"
    shutil.copy(DSV3_1B, target)
    diff = apply_pynative_plan(target, chosen)
    assert diff and (tmp_path / "pretrain.yaml.bak").read_text(encoding="utf-8") == DSV3_1B.read_text(encoding="utf-8")
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    section = data["parallelism"]
    assert (section["tensor_parallel"], section["pipeline_parallel"], section["expert_parallel"]) == \
        (chosen.mp, chosen.pp, chosen.ep)
    assert section["data_parallel_shard"] == -1 and "parallel_config" not in data
    assert _comments(target.read_text(encoding="utf-8")) == _comments(DSV3_1B.read_text(encoding="utf-8"))
    assert _errors(target, 16) == []


def test_uneven_pipeline_and_recompute_become_layer_ranges():
    data = yaml.safe_load(DSV3_1B.read_text(encoding="utf-8"))  # 16 layers (+1 MTP)
    candidate = SimpleNamespace(dp=2, mp=2, pp=3, cp=1, ep=2, stage_layers=[5, 6, 5], recompute=[2, 0, 1],
                                select_recompute=[2, 3, 1])
    settings, notes = pynative_settings(data, candidate)
    assert settings["parallelism"] == {"tensor_parallel": 2, "context_parallel": 1, "pipeline_parallel": 3,
                                       "expert_parallel": 2, "sequence_parallel": True,
                                       "pipeline_parallel_layers_per_stage": ["0-4", "5-10", "11-15"]}
    assert settings["recompute"] == {"mode": "full", "full_recompute_layer": ["0-1", "5-7", "11"]}
    assert any("selective recompute" in note for note in notes)
    assert "training" not in settings  # gbs 8 is a multiple of dp 2 * lbs 1


def test_no_recompute_needed_turns_recompute_off_and_the_batch_is_made_whole():
    data = yaml.safe_load(DSV4_FLASH.read_text(encoding="utf-8"))  # recompute: full [0-42], gbs 8
    candidate = SimpleNamespace(dp=16, mp=1, pp=1, cp=1, ep=16, stage_layers=[43], recompute=[0], select_recompute=[0])
    settings, notes = pynative_settings(data, candidate)
    assert settings["recompute"] == {"mode": "None"}
    assert settings["training"] == {"global_batch_size": 16} and any("raised to 16" in n for n in notes)


def test_check_fix_writes_the_parallelism_section_of_a_pynative_config(tmp_path):
    target = tmp_path / "pretrain_deepseek4_flash.yaml"
    shutil.copy(DSV4_FLASH, target)
    assert _errors(target, 64)  # the shipped 8-card layout: data parallel 64 > global_batch_size 8
    done = run_cli("check", str(target), "--fix", "--cards", "64", "--hbm", "64", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(("---", "# note:")) and (tmp_path / "pretrain_deepseek4_flash.yaml.bak").exists()
    assert _errors(target, 64) == []
    assert _comments(target.read_text(encoding="utf-8")) == _comments(DSV4_FLASH.read_text(encoding="utf-8"))
    assert "parallel_config" not in yaml.safe_load(target.read_text(encoding="utf-8"))


def test_plan_apply_dry_run_on_a_pynative_config_shows_the_diff_and_writes_nothing(tmp_path):
    target = tmp_path / "pretrain.yaml"
    shutil.copy(DSV3_1B, target)
    done = run_cli("plan", "--model", str(target), "--cards", "16", "--hbm", "32", "--apply", str(target),
                   "--dry-run", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "+  global_batch_size: 16" in done.stdout and "parallel_config" not in done.stdout
    assert target.read_text(encoding="utf-8") == DSV3_1B.read_text(encoding="utf-8")
    assert not (tmp_path / "pretrain.yaml.bak").exists()


def test_apply_plan_given_graph_mode_settings_writes_them_pynative_style(tmp_path):
    """The TUI and older callers pass parallel_config / recompute_config / offset; a PyNative file still gets
    parallelism: and layer ranges, never a parallel_config: it would ignore."""
    from mindpilot.presets.yaml_apply import apply_plan

    target = tmp_path / "pretrain.yaml"
    shutil.copy(DSV3_1B, target)
    diff = apply_plan(target, {"data_parallel": 2, "model_parallel": 2, "pipeline_stage": 3, "expert_parallel": 2,
                               "context_parallel": 1, "micro_batch_num": 3},
                      {"recompute": [1, 0, 2], "select_recompute": False}, offset=[0, 1, 0])
    assert "parallel_config" not in diff
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert "parallel_config" not in data and "recompute_config" not in data
    assert data["parallelism"]["pipeline_parallel_layers_per_stage"] == ["0-4", "5-10", "11-15"]
    assert data["parallelism"]["sequence_parallel"] is True
    assert data["recompute"] == {"mode": "full", "full_recompute_layer": ["0", "11-12"]}
    assert _errors(target, 12) == []


def test_plan_prints_the_best_layout_in_the_pynative_schema_of_the_model_yaml():
    done = run_cli("plan", "--model", str(DSV3_1B), "--cards", "16", "--hbm", "32", "--lang", "en")
    assert done.returncode == 0, done.stderr
    block = done.stdout.split("Best plan #1", 1)[1]
    assert "parallelism:\n  tensor_parallel:" in block and "parallel_config:" not in block
    graph = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--lang", "en")
    assert "parallel_config:" in graph.stdout and "parallelism:" not in graph.stdout


def test_plan_json_gives_each_candidate_in_the_pynative_schema():
    done = run_cli("plan", "--model", str(DSV3_1B), "--cards", "16", "--hbm", "32", "--json")
    assert done.returncode == 0, done.stderr
    for entry in json.loads(done.stdout)["candidates"]:
        section = entry["pynative"]["parallelism"]
        assert section["tensor_parallel"] == entry["parallel_config"]["model_parallel"]
        assert section["pipeline_parallel"] == entry["parallel_config"]["pipeline_stage"]


def test_check_fix_without_model_numbers_says_which_section_in_one_line(tmp_path):
    target = tmp_path / "pretrain.yaml"
    target.write_text("training:\n  global_batch_size: 8\nparallelism:\n  tensor_parallel: 1\n"
                      "model:\n  model_type: something_new\n", encoding="utf-8")
    done = run_cli("check", str(target), "--fix", "--cards", "8")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "model does not give layers/heads/hidden sizes" in done.stderr and "model.model_config" not in done.stderr
