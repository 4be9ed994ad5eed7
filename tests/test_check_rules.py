"""One small YAML per MindFormers rule that the seed and corpus tests do not reach: rule id and line."""

from __future__ import annotations

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.findings import Severity

BASE = """use_parallel: True
run_mode: 'finetune'
parallel:
  parallel_mode: 1
parallel_config:
  data_parallel: 1
  model_parallel: 1
  pipeline_stage: 1
model:
  model_config:
    type: LlamaConfig
    num_layers: 28
    num_heads: 28
    n_kv_heads: 4
    hidden_size: 3584
    intermediate_size: 18944
    seq_length: 4096
    use_flash_attention: True
  arch:
    type: LlamaForCausalLM
"""


def _write(tmp_path, text, name="finetune_x.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    ("not-positive-int", [("  model_parallel: 1", "  model_parallel: '1'")], 1, "parallel.not_positive_int",
     "model_parallel: '1'"),
    ("zero-dp", [("  data_parallel: 1", "  data_parallel: 0")], 1, "parallel.not_positive_int", "data_parallel: 0"),
    ("predict-pp", [("run_mode: 'finetune'", "run_mode: 'predict'"), ("  pipeline_stage: 1", "  pipeline_stage: 2")],
     2, "parallel.predict_pp", "pipeline_stage: 2"),
    ("mode-invalid", [("  parallel_mode: 1", "  parallel_mode: 7")], 1, "parallel.mode_invalid", "parallel_mode: 7"),
    ("auto-pipeline", [("  parallel_mode: 1", "  parallel_mode: 1\n  auto_pipeline: True")], 1,
     "parallel.auto_pipeline", "auto_pipeline"),
    ("auto-parallel-exceeds", [("  parallel_mode: 1", "  parallel_mode: 2"), ("  data_parallel: 1", "  data_parallel: 4")],
     2, "parallel.product_exceeds", "parallel_config:"),
    ("ulysses", [("  model_parallel: 1", "  model_parallel: 4\n  context_parallel: 2\n"
                  "  context_parallel_algo: ulysses_cp")], 8, "parallel.ulysses_heads", "context_parallel: 2"),
    ("hybrid-cp", [("  model_parallel: 1", "  model_parallel: 1\n  context_parallel: 4\n"
                    "  context_parallel_algo: hybrid_cp\n  ulysses_degree_in_cp: 3")], 4, "parallel.hybrid_cp",
     "ulysses_degree_in_cp: 3"),
    ("cp-algo", [("  model_parallel: 1", "  model_parallel: 1\n  context_parallel_algo: ring")], 1,
     "parallel.cp_algo", "context_parallel_algo: ring"),
    ("moe-seq-parallel", [("  model_parallel: 1", "  model_parallel: 2"), ("run_mode:", "moe_config:\n  expert_num: 8\nrun_mode:")],
     2, "parallel.moe_needs_seq_parallel", "parallel_config:"),
    ("fine-grain", [("    seq_length: 4096", "    seq_length: 4096\n    fine_grain_interleave: 2")], 1,
     "parallel.fine_grain_needs_seq_parallel", "fine_grain_interleave: 2"),
    ("dataset-strategy", [("  parallel_mode: 1", "  parallel_mode: 1\n  full_batch: False\n  dataset_strategy: [[1, 1]]"),
                          ("  data_parallel: 1", "  data_parallel: 2")], 2, "parallel.dataset_strategy",
     "dataset_strategy"),
    ("servers-pp", [("  data_parallel: 1", "  data_parallel: 8"), ("  pipeline_stage: 1", "  pipeline_stage: 2\n"
                                                                   "  micro_batch_num: 4")],
     24, "parallel.servers_pp", "pipeline_stage: 2"),
    ("ffn-mp", [("    intermediate_size: 18944", "    intermediate_size: 18945"), ("  model_parallel: 1", "  model_parallel: 2")],
     2, "parallel.ffn_mp", "model_parallel: 2"),
    ("heads-mp", [("  model_parallel: 1", "  model_parallel: 8"), ("    n_kv_heads: 4", "    n_kv_heads: 8")], 8,
     "parallel.heads_mp", "model_parallel: 8"),
    ("hidden-heads", [("    hidden_size: 3584", "    hidden_size: 3585")], 1, "model.hidden_heads", "hidden_size: 3585"),
    ("offset-shape", [("  pipeline_stage: 1", "  pipeline_stage: 2\n  micro_batch_num: 4"),
                      ("    seq_length: 4096", "    seq_length: 4096\n    offset: [0, 0, 0]")], 2,
     "model.offset_shape", "offset: [0, 0, 0]"),
    ("offset-empty-stage", [("  pipeline_stage: 1", "  pipeline_stage: 4\n  micro_batch_num: 4"),
                            ("    seq_length: 4096", "    seq_length: 4096\n    offset: [3, -7, 5, -1]")], 4,
     "model.offset_empty_stage", "offset: [3, -7, 5, -1]"),
    ("recompute-unknown", [("model:", "recompute_config:\n  recompute: True\n  recomputes: True\nmodel:")], 1,
     "recompute.unknown_key", "recomputes: True"),
    ("recompute-not-bool", [("model:", "recompute_config:\n  mp_comm_recompute: 'yes'\nmodel:")], 1,
     "recompute.not_bool", "mp_comm_recompute"),
    ("nested-recompute", [("  pipeline_stage: 1", "  pipeline_stage: 2\n  micro_batch_num: 4"),
                          ("model:", "recompute_config:\n  recompute: [[1, 1], [1, 1], [1, 1]]\nmodel:")], 2,
     "recompute.nested_shape", "recompute: [[1, 1]"),
    ("mcore-seq-parallel-no-tp", [("use_parallel: True", "use_parallel: True\nuse_legacy: False"),
                                  ("  pipeline_stage: 1", "  pipeline_stage: 1\n  use_seq_parallel: True")], 1,
     "parallel.seq_parallel_needs_tp", "use_seq_parallel: True"),
    ("memory-format", [("model:", "context:\n  max_device_memory: 'lots'\nmodel:")], 1,
     "memory.max_device_memory_format", "max_device_memory"),
    ("qwen2-train", [("    type: LlamaConfig", "    type: Qwen2Config"), ("    type: LlamaForCausalLM", "    type: Qwen2ForCausalLM"),
                     ("use_parallel: True", "use_parallel: True\nuse_legacy: False")], 1,
     "model.class_no_training", "type: Qwen2ForCausalLM"),
    ("unknown-swap-key", [("model:", "swap_config:\n  swap: False\n  swaps: 1\nmodel:")], 1, "parallel.unknown_key",
     "swaps: 1"),
    ("layers-lt-pp-interleave", [("use_parallel: True", "use_parallel: True\nuse_legacy: False"),
                                 ("  pipeline_stage: 1", "  pipeline_stage: 4\n  micro_batch_num: 8"),
                                 ("    num_layers: 28", "    num_layers: 28\n    pp_interleave_num: 8")], 4,
     "model.layers_lt_pp_interleave", "num_layers: 28"),
    ("mcore-infer-kv-tp", [("use_parallel: True", "use_parallel: True\nuse_legacy: False"),
                           ("run_mode: 'finetune'", "run_mode: 'predict'"), ("    n_kv_heads: 4", "    n_kv_heads: 6"),
                           ("  model_parallel: 1", "  model_parallel: 4")], 4, "parallel.kv_heads_tp_infer",
     "model_parallel: 4"),
    ("mcore-infer-tp-kv", [("use_parallel: True", "use_parallel: True\nuse_legacy: False"),
                           ("run_mode: 'finetune'", "run_mode: 'predict'"), ("  model_parallel: 1", "  model_parallel: 6")],
     6, "parallel.tp_kv_heads_infer", "model_parallel: 6"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_on_its_line(tmp_path, case):
    _, edits, cards, rule, needle = case
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = _write(tmp_path, text)
    hits = [f for f in check_files([path], cards=cards, hbm_gb=64) if f.rule == rule]
    assert hits, (rule, [f.rule for f in check_files([path], cards=cards)])
    assert hits[0].line == _line(text, needle)
    assert hits[0].source and hits[0].title


def test_base_is_clean(tmp_path):
    assert check_files([_write(tmp_path, BASE)], cards=1, hbm_gb=64) == []


def test_missing_use_parallel_with_a_product_warns(tmp_path):
    text = BASE.replace("use_parallel: True\n", "").replace("  data_parallel: 1", "  data_parallel: 2")
    hits = [f for f in check_files([_write(tmp_path, text)], cards=2) if f.rule == "parallel.ignored_without_use_parallel"]
    assert hits and hits[0].severity is Severity.WARNING


def test_yaml_too_deep(tmp_path):
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 12)) + "  " * 12 + "v: 1\n"
    assert "yaml.too_deep" in {f.rule for f in check_files([_write(tmp_path, BASE + deep)], cards=1)}


def test_dataset_seq_length_hint_and_distributed_single_file(tmp_path):
    data = tmp_path / "alpaca-fastchat4096.mindrecord"
    data.write_bytes(b"x")
    ckpt = tmp_path / "qwen.ckpt"
    ckpt.write_bytes(b"x")
    text = BASE.replace("    seq_length: 4096", "    seq_length: 8192").replace("  data_parallel: 1", "  data_parallel: 2")
    text += f"load_checkpoint: {ckpt}\nauto_trans_ckpt: False\ntrain_dataset:\n  data_loader:\n    dataset_dir: {data}\n"
    rules = {f.rule: f for f in check_files([_write(tmp_path, text)], cards=2)}
    assert rules["paths.dataset_seq_length"].line == _line(text, "dataset_dir")
    assert rules["paths.distributed_needs_dir"].line == _line(text, "load_checkpoint")


@pytest.mark.parametrize("text, rule, line", [
    ("parallel_config: 5\n", "parallel.not_mapping", 1),
    ("parallel_config:\n  data_parallel: 1\nrecompute_config: True\n", "recompute.not_mapping", 3),
    ("parallel_config:\n  data_parallel: 1\nmodel:\n  model_config: [1, 2]\n", "yaml.section_not_mapping", 4),
    ("run_mode: train\ncontext: [1]\n", "yaml.section_not_mapping", 2),
    ("rl_config: 3\nactor_config:\n  parallel_config: 7\n", "yaml.section_not_mapping", 1),
])
def test_sections_of_the_wrong_type_are_findings_not_crashes(tmp_path, text, rule, line):
    hits = [f for f in check_files([_write(tmp_path, text, "c.yaml")], cards=2) if f.rule == rule]
    assert hits and hits[0].line == line and hits[0].severity is Severity.ERROR


def test_dataset_seq_length_in_the_yaml(tmp_path):
    text = BASE + "train_dataset:\n  data_loader:\n    type: BlendedMegatronDatasetDataLoader\n    seq_length: 8192\n"
    hits = [f for f in check_files([_write(tmp_path, text)], cards=1) if f.rule == "paths.dataset_seq_length_yaml"]
    assert hits and hits[0].line == _line(text, "seq_length: 8192")


def test_keys_from_a_merge_are_reported_where_the_anchor_defines_them(tmp_path):
    text = ("base: &b\n  data_parallel: 2\n  model_parallel: 1\nuse_parallel: True\nparallel_config:\n  <<: *b\n"
            "  pipeline_stage: 1\n")
    hit = next(f for f in check_files([_write(tmp_path, text)], cards=4) if f.rule == "parallel.product_mismatch")
    assert hit.line == 2 and "data_parallel: 4" in hit.fix


def test_a_checkpoint_folder_named_as_a_file_and_a_model_dir_that_is_a_file(tmp_path):
    folder = tmp_path / "qwen.ckpt"
    folder.mkdir()
    config_json = tmp_path / "config.json"
    config_json.write_text("{}")
    text = BASE + f"load_checkpoint: {folder}\npretrained_model_dir: {config_json}\n"
    rules = {f.rule: f for f in check_files([_write(tmp_path, text)], cards=1)}
    assert rules["paths.expected_file"].line == _line(text, "load_checkpoint")
    assert rules["paths.expected_dir"].line == _line(text, "pretrained_model_dir")


@pytest.mark.parametrize("edits, rule", [
    ([("  pipeline_stage: 1", "  pipeline_stage: 1000000000\n  micro_batch_num: 1000000000"),
      ("    seq_length: 4096", "    seq_length: 4096\n    offset: [0, 0]")], "model.layers_lt_pp"),
    ([("  parallel_mode: 1", "  parallel_mode: []")], "parallel.mode_invalid"),
    ([("  pipeline_stage: 1", "  pipeline_stage: 2\n  micro_batch_num: 4"),
      ("    seq_length: 4096", "    seq_length: 4096\n    offset: {a: 1}")], "model.offset_shape"),
])
def test_hostile_layouts_are_findings_not_tracebacks(tmp_path, edits, rule):
    text = BASE
    for old, new in edits:
        text = text.replace(old, new, 1)
    hits = [f for f in check_files([_write(tmp_path, text)], cards=8) if f.rule == rule]
    assert hits and "{" not in hits[0].fix.replace("{a: 1}", "")  # every placeholder of the fix filled in
