"""MindSpeed-RL hydra configs: `check` runs, on the file, the checks MindSpeed-RL runs after its Ray cluster is up
(``validate_config.py``), and catches the model name that is not among the defaults (seed 002's KeyError).

The base config follows MindSpeed-RL's ``configs/grpo_qwen25_7b_A3.yaml`` (trimmed); each case edits one value.
"""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from mindpilot.validators.check import detect_kind, run_check
from support import run_cli

BASE = """\
defaults:
  - model:
      - qwen25_7b

megatron_training:
  model: qwen25_7b
  bf16: true
  global_batch_size: 32
  seq_length: 2048
  stage: ray_grpo

actor_config:
  model: qwen25_7b
  micro_batch_size: 4
  tensor_model_parallel_size: 2
  pipeline_model_parallel_size: 2

rl_config:
  use_integrated_worker: true
  n_samples_per_prompt: 8
  actor_resource:
    num_npus: 16

generate_config:
  infer_tensor_parallel_size: 1
  infer_pipeline_parallel_size: 1
  max_model_len: 4096
  dtype: "bfloat16"
"""


def write(tmp_path, edit=None, name="grpo_qwen25_7b_A3.yaml"):
    yaml = YAML()
    data = yaml.load(BASE)
    if edit:
        edit(data)
    path = tmp_path / name
    with open(path, "w") as handle:
        yaml.dump(data, handle)
    return path


def rules(path, cards=None):
    return [f.rule for f in run_check([path], cards=cards).findings]


def test_the_shipped_shape_is_recognised_and_clean(tmp_path):
    path = write(tmp_path)
    assert detect_kind(str(path), "", YAML(typ="safe").load(BASE)) == "mindspeed_rl"
    assert rules(path, cards=16) == []


def test_a_role_model_missing_from_the_defaults_is_the_seeds_key_error(tmp_path):
    def edit(data):
        data["defaults"][0]["model"] = ["qwen25-7b"]  # seed 002: the defaults load another spelling
        data["actor_config"]["model"] = "qwen25-7b"

    path = write(tmp_path, edit)
    found = run_check([path]).findings
    assert [f.rule for f in found] == ["mindspeed_rl.model_not_in_defaults"]
    assert "megatron_training.model: qwen25_7b" in found[0].title and "qwen25-7b" in found[0].title
    lines = path.read_text().splitlines()
    assert lines[found[0].line - 1].strip() == "model: qwen25_7b"
    assert lines[found[0].line - 2].startswith("megatron_training:")


@pytest.mark.parametrize("edit, rule", [
    (lambda d: d["rl_config"].update(reference_resource={"num_npus": 8}), "mindspeed_rl.integrated_extra"),
    (lambda d: d.update(ref_config={"model": "qwen25_7b"}), "mindspeed_rl.integrated_extra"),
    (lambda d: d["rl_config"]["actor_resource"].update(num_npus=6), "mindspeed_rl.resource_not_divisible"),
    (lambda d: d["generate_config"].update(infer_tensor_parallel_size=3), "mindspeed_rl.infer_tp"),
    (lambda d: d["generate_config"].update(infer_pipeline_parallel_size=2), "mindspeed_rl.infer_pp"),
    (lambda d: d["generate_config"].update(max_model_len=1024), "mindspeed_rl.max_model_len"),
    (lambda d: d["generate_config"].update(dtype="float16"), "mindspeed_rl.bf16"),
    (lambda d: d["actor_config"].update(micro_batch_size=7), "mindspeed_rl.batch"),
])
def test_each_validation_of_mindspeed_rl_is_one_finding(tmp_path, edit, rule):
    assert rule in rules(write(tmp_path, edit))


def test_separate_roles_add_up_against_the_cards_through_the_cli(tmp_path):
    def edit(data):
        data["rl_config"]["use_integrated_worker"] = False
        data["rl_config"]["reference_resource"] = {"num_npus": 8}
        data["ref_config"] = {"model": "qwen25_7b", "tensor_model_parallel_size": 2, "micro_batch_size": 4}

    path = write(tmp_path, edit)
    done = run_cli("check", str(path), "--cards", "16", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["files"][0]["kind"] == "mindspeed_rl"
    (short,) = [f for f in report["findings"] if f["rule"] == "mindspeed_rl.cards_short"]
    assert "24" in short["title"] and "16" in short["title"]
    assert run_cli("check", str(path), "--cards", "24").returncode == 0


def test_with_the_model_files_beside_it_their_keys_are_the_names_that_count(tmp_path):
    (tmp_path / "model").mkdir()
    # The seed's slip the other way round: the file is named qwen25-7b, the key inside is qwen25_7b.
    (tmp_path / "model" / "qwen25-7b.yaml").write_text("qwen25_7b:\n  num_layers: 28\n")

    def edit(data):
        data["defaults"][0]["model"] = ["qwen25-7b"]
        data["actor_config"]["model"] = "qwen25-7b"

    found = run_check([write(tmp_path, edit)]).findings
    assert [f.rule for f in found] == ["mindspeed_rl.model_not_in_defaults"]
    assert found[0].title.startswith("actor_config.model: qwen25-7b") and "(qwen25_7b)" in found[0].title
