"""apply_plan: only the changed values change; comments, order, quoting and anchors survive; atomic + .bak."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from mindpilot.presets.yaml_apply import apply_plan
from mindpilot.validators.check import check_files
from mindpilot.datafiles import DataFileError

SEED = Path(__file__).parent / "data" / "check" / "qwen2_5_7b_2cards.yaml"


def _changed_lines(old: str, new: str) -> list[int]:
    a, b = old.splitlines(), new.splitlines()
    assert len(a) == len(b)
    return [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]


def test_only_changed_values_change_and_comments_stay(tmp_path):
    path = tmp_path / "finetune.yaml"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    old = path.read_text(encoding="utf-8")
    diff = apply_plan(path, {"data_parallel": 2, "model_parallel": 1, "pipeline_stage": 1},
                      {"recompute": [14], "select_recompute": [7]}, micro_batch_num=1)
    new = path.read_text(encoding="utf-8")
    assert _changed_lines(old, new) == [79, 80, 83, 87, 89, 90, 91, 92]
    assert "  model_parallel: 1      # <--- 2卡模型并行" in new.splitlines()
    assert "    'feed_forward\\.mul': [7] # <--- 修正: 列表长度从2改为1" in new.splitlines()
    assert diff.startswith(f"--- {path}\n+++ {path}\n")
    assert "-  data_parallel: 1\n" in diff and "+  data_parallel: 2\n" in diff
    assert (tmp_path / "finetune.yaml.bak").read_text(encoding="utf-8") == old
    data = yaml.safe_load(new)
    assert data["parallel_config"]["data_parallel"] == 2 and data["recompute_config"]["recompute"] == [14]
    assert [f for f in check_files([path], cards=2) if f.severity.value == "error"] == []


def test_nothing_to_change_writes_nothing(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    before = os.stat(path).st_mtime_ns
    assert apply_plan(path, {"data_parallel": 1, "model_parallel": 2, "context_parallel": 1},
                      {"recompute": [7]}, offset=0) == ""
    assert os.stat(path).st_mtime_ns == before and not (tmp_path / "a.yaml.bak").exists()


def test_dry_run_returns_the_diff_and_writes_nothing(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    diff = apply_plan(path, {"data_parallel": 4}, {}, dry_run=True)
    assert "+  data_parallel: 4" in diff
    assert path.read_text(encoding="utf-8") == SEED.read_text(encoding="utf-8")
    assert not (tmp_path / "a.yaml.bak").exists()


def test_anchor_shared_only_by_changed_keys_is_changed_where_defined(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("stages: &pp 2   # pipeline\nparallel_config:\n  data_parallel: 1\n  pipeline_stage: *pp\n"
                    "other:\n  pipeline_stage: *pp\n", encoding="utf-8")
    diff = apply_plan(path, {"pipeline_stage": 4}, {})
    text = path.read_text(encoding="utf-8")
    # `stages` and `other.pipeline_stage` share the anchor but are not part of the plan: they keep 2
    data = yaml.safe_load(text)
    assert data["parallel_config"]["pipeline_stage"] == 4
    assert data["stages"] == 2 and data["other"]["pipeline_stage"] == 2
    assert "stages: &pp 2   # pipeline" in text
    assert diff.startswith("# note: parallel_config.pipeline_stage was *pp")


def test_anchor_defined_in_the_plan_and_aliased_by_the_same_value(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: &dp 2  # shared\n  model_parallel: 4\n"
                    "recompute_config:\n  recompute: True\n", encoding="utf-8")
    apply_plan(path, {"data_parallel": 8}, {})
    assert path.read_text(encoding="utf-8").splitlines()[1] == "  data_parallel: &dp 8  # shared"


def test_anchor_definition_changed_other_aliases_keep_old_value(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: &dp 2\n  model_parallel: 4\nref:\n  dp: *dp\n",
                    encoding="utf-8")
    diff = apply_plan(path, {"data_parallel": 1, "model_parallel": 8}, {})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["parallel_config"] == {"data_parallel": 1, "model_parallel": 8}
    assert data["ref"]["dp"] == 2
    assert "# note:" in diff


def test_quoting_and_key_order_survive_and_block_lists_become_flow(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("run_mode: 'finetune'\nparallel_config:\n  model_parallel: 2\n  data_parallel: 1\n"
                    "recompute_config:\n  recompute:\n    - 7\n    - 7\n  select_recompute: false\n"
                    "context:\n  max_device_memory: \"58GB\"\n", encoding="utf-8")
    apply_plan(path, {"data_parallel": 2, "model_parallel": 1}, {"recompute": [3], "select_recompute": True})
    text = path.read_text(encoding="utf-8")
    assert text == ("run_mode: 'finetune'\nparallel_config:\n  model_parallel: 1\n  data_parallel: 2\n"
                    "recompute_config:\n  recompute: [3]\n  select_recompute: true\n"
                    "context:\n  max_device_memory: \"58GB\"\n")


def test_missing_section_and_missing_keys_are_added(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("# my config\nmodel:\n  model_config:\n    num_layers: 28\n", encoding="utf-8")
    apply_plan(path, {"data_parallel": 2, "pipeline_stage": 2, "micro_batch_num": 4}, {"recompute": [1, 1]},
               offset=[1, -1])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["parallel_config"] == {"data_parallel": 2, "pipeline_stage": 2, "micro_batch_num": 4}
    assert data["recompute_config"] == {"recompute": [1, 1]}
    assert data["model"]["model_config"] == {"num_layers": 28, "offset": [1, -1]}
    assert path.read_text(encoding="utf-8").startswith("# my config\n")


def test_template_defaults_are_not_written_into_a_file_that_leaves_them_out(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: 1\n", encoding="utf-8")
    apply_plan(path, {"data_parallel": 2, "context_parallel": 1, "expert_parallel": 1, "vocab_emb_dp": True}, {})
    assert path.read_text(encoding="utf-8") == "parallel_config:\n  data_parallel: 2\n"


def test_floats_are_written_so_pyyaml_reads_floats(tmp_path):
    from mindpilot.presets.yaml_splice import render_value

    assert yaml.safe_load(f"x: {render_value(1e-10)}")["x"] == 1e-10
    assert yaml.safe_load(f"x: {render_value(5e-07)}")["x"] == 5e-07


@pytest.mark.parametrize("value, like", [("a b", ""), ("yes", ""), ('say "hi" \\ bye', '"old"'), ("it's", "'old'"),
                                         ("null", ""), ("plain", "")])
def test_strings_are_written_so_pyyaml_reads_the_same_string(value, like):
    from mindpilot.presets.yaml_splice import render_value

    text = render_value(value, like)
    assert yaml.safe_load(f"x: {text}")["x"] == value
    assert text[0] == (like[:1] if like else text[0]) and (value != "plain" or text == "plain")


def test_unparsable_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "bad.yaml"
    original = "parallel_config:\n  data_parallel: [1\n  model_parallel: 2\n"
    path.write_text(original, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        apply_plan(path, {"data_parallel": 2}, {})
    assert info.value.file == str(path) and info.value.line is not None
    assert path.read_text(encoding="utf-8") == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_unknown_parallel_key_is_refused(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unexpected key: micro_batch_interleave_num"):
        apply_plan(path, {"micro_batch_interleave_num": 2}, {})


def test_write_is_atomic_no_temp_left_and_mode_kept(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: 1\n", encoding="utf-8")
    os.chmod(path, 0o640)
    apply_plan(path, {"data_parallel": 2}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "a.yaml.bak"]
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_round_trip_through_ruamel_loader_keeps_comments(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    apply_plan(path, {"model_parallel": 1, "data_parallel": 2}, {})
    doc = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    assert "2卡模型并行" in str(doc["parallel_config"].ca.items.get("model_parallel"))


def test_anchor_shared_by_two_planned_sections_is_changed_once_at_its_definition(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config:\n  data_parallel: &n 2\n  micro_batch_num: *n\n", encoding="utf-8")
    diff = apply_plan(path, {"data_parallel": 4}, {}, micro_batch_num=4)
    assert path.read_text(encoding="utf-8") == "parallel_config:\n  data_parallel: &n 4\n  micro_batch_num: *n\n"
    assert "alias(es) follow" in diff


def test_flow_style_section_is_rewritten_on_its_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("parallel_config: {data_parallel: 1, model_parallel: 2}  # flow\nrun_mode: train\n",
                    encoding="utf-8")
    apply_plan(path, {"data_parallel": 2, "model_parallel": 1, "pipeline_stage": 1}, {})
    text = path.read_text(encoding="utf-8")
    assert text == "parallel_config: {data_parallel: 2, model_parallel: 1}  # flow\nrun_mode: train\n"


def test_merged_keys_are_overridden_in_the_section_not_in_the_shared_base(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("base: &b\n  data_parallel: 2\n  model_parallel: 1\nparallel_config:\n  <<: *b\n"
                    "  pipeline_stage: 1\n", encoding="utf-8")
    diff = apply_plan(path, {"data_parallel": 2, "model_parallel": 2}, {"recompute": [0]})
    text = path.read_text(encoding="utf-8")
    assert text == ("base: &b\n  data_parallel: 2\n  model_parallel: 1\nparallel_config:\n  <<: *b\n"
                    "  pipeline_stage: 1\n  model_parallel: 2\n")
    assert "`<<:` merge" in diff
    data = yaml.safe_load(text)
    assert data["parallel_config"]["model_parallel"] == 2 and data["base"]["model_parallel"] == 1
