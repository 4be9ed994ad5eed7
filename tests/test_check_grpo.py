"""MindRLHF GRPO configs: the per-role schema (master) and the flat 0.4 schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.check import check_files, run_check

GRPO = Path(__file__).parent / "data" / "check" / "grpo_config.yaml"


def _edit(tmp_path: Path, line_no: int, new: str) -> Path:
    lines = GRPO.read_text(encoding="utf-8").splitlines()
    indent = lines[line_no - 1][: len(lines[line_no - 1]) - len(lines[line_no - 1].lstrip())]
    lines[line_no - 1] = indent + new
    path = tmp_path / "grpo_config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_master_grpo_config_is_clean_on_8_cards():
    report = run_check([GRPO], cards=8, skip_paths=True)
    assert report.files == [{"file": str(GRPO), "kind": "grpo"}]
    assert report.findings == []


@pytest.mark.parametrize("line, new, rule", [
    (130, "pipeline_stage: 2", "grpo.generate_pp"),
    (109, "data_parallel: 1", "grpo.world_size_mismatch"),
    (92, "min_lr: 1e-10", "yaml.float_as_string"),
    (92, "min_lr: 1.0e-6", "grpo.min_lr_not_below_lr"),
    (118, "verifier_weight: [1.0]", "grpo.verifier_lengths"),
    (117, 'verifier_function: ["accuracy_reward", "format_rewards"]', "grpo.verifier_unknown"),
    (21, "pack_num: 0", "grpo.pack_num"),
    (27, "reshard_mem_opt_level: 2", "grpo.reshard_mem_opt_level"),
    (133, "use_vllm: 3", "grpo.use_vllm"),
    (21, "pack_nums: 1", "grpo.unknown_key"),
    (129, "model_parallel: 3", "grpo.actor_mp_gen_mp"),
])
def test_each_grpo_mistake_on_its_line(tmp_path, line, new, rule):
    path = _edit(tmp_path, line, new)
    hits = [f for f in check_files([path], cards=8, skip_paths=True) if f.rule == rule]
    assert hits, rule
    assert hits[0].line == line


def test_every_role_against_the_card_count():
    hits = [f for f in check_files([GRPO], cards=16, skip_paths=True) if f.rule == "grpo.world_size_vs_cards"]
    assert len(hits) == 3


def test_flat_04_schema_end_lr_must_be_below_start_lr(tmp_path):
    path = tmp_path / "grpo_config.yaml"
    path.write_text("beta: 0.01\nnum_generations: 8\nstart_lr: 5.0e-7\nend_lr: 1.0e-6\n"
                    "sft_model_path: /path/model.yaml\n", encoding="utf-8")
    report = run_check([path], skip_paths=True)
    assert report.files[0]["kind"] == "grpo"
    rules = {(f.rule, f.line) for f in report.findings}
    assert ("grpo.min_lr_not_below_lr", 4) in rules
    assert ("paths.placeholder", 5) in rules
    path.write_text("start_lr: 5e-7\nend_lr: 1e-10\n", encoding="utf-8")
    strings = sorted(f.line for f in check_files([path]) if f.rule == "yaml.float_as_string")
    assert strings == [1, 2]


def test_referenced_model_yaml_is_checked_too(tmp_path):
    model = tmp_path / "model_configs" / "finetune.yaml"
    model.parent.mkdir()
    model.write_text("use_parallel: True\nparallel_config:\n  data_parallel: 1\n  model_parallel: 4\n"
                     "  pipeline_stage: 2\n  micro_batch_num: 2\nrecompute_config:\n  recompute: [1, 1, 1]\n"
                     "model:\n  model_config:\n    type: LlamaConfig\n    num_layers: 28\n    num_heads: 28\n"
                     "    n_kv_heads: 4\n    hidden_size: 3584\n", encoding="utf-8")
    text = GRPO.read_text(encoding="utf-8").replace(
        "./model_configs/qwen_grpo/qwen2_5_7b/finetune_qwen2_5_7b.yaml", str(model))
    grpo = tmp_path / "grpo_config.yaml"
    grpo.write_text(text, encoding="utf-8")
    report = run_check([grpo], cards=8)
    assert {"file": str(model), "kind": "mindformers", "referenced_by": "actor_config"} in report.files
    hit = next(f for f in report.findings if f.rule == "recompute.list_too_long")
    assert (hit.file, hit.line) == (str(model), 8)


def test_actor_model_parallel_against_the_model_heads(tmp_path):
    model = tmp_path / "finetune.yaml"
    model.write_text("use_parallel: True\nrun_mode: finetune\nmodel:\n  model_config:\n    type: LlamaConfig\n"
                     "    num_layers: 28\n    num_heads: 28\n    n_kv_heads: 4\n    hidden_size: 3584\n", encoding="utf-8")
    text = GRPO.read_text(encoding="utf-8").replace(
        "./model_configs/qwen_grpo/qwen2_5_7b/finetune_qwen2_5_7b.yaml", str(model))
    lines = text.splitlines()
    lines[68], lines[69], lines[70] = "    data_parallel: 1", "    model_parallel: 8", "    pipeline_stage: 1"
    grpo = tmp_path / "grpo_config.yaml"
    grpo.write_text("\n".join(lines) + "\n", encoding="utf-8")
    hits = [f for f in check_files([grpo], cards=8) if f.rule == "grpo.role_heads_mp"]
    assert hits and hits[0].line == 70 and "28" in hits[0].title


def test_mindspeed_rl_config_is_not_mistaken_for_mindrlhf(tmp_path):
    path = tmp_path / "r1_zero_qwen25_7b.yaml"
    path.write_text("defaults:\n  - model:\n      - qwen25-7b\nmegatron_training:\n  global_batch_size: 64\n"
                    "actor_config:\n  model: qwen25-7b\n  lr: 5e-7\n  min_lr: 5e-8\n", encoding="utf-8")
    report = run_check([path])
    assert report.files[0]["kind"] == "mindspeed_rl"  # its own checks (test_check_mindspeed_rl.py), not GRPO's
    assert [f.rule for f in report.findings] == []


def test_an_empty_section_is_checked_without_a_traceback(tmp_path):
    path = tmp_path / "grpo_config.yaml"
    path.write_text("rl_config:\n  num_rollouts: 1\nref_config:\nactor_config:\n  parallel_config:\n"
                    "    data_parallel: 1\n  no_such_key: 1\n", encoding="utf-8")
    findings = check_files([path], skip_paths=True)
    assert [(f.rule, f.line) for f in findings if f.rule == "grpo.unknown_key"] == [("grpo.unknown_key", 7)]
