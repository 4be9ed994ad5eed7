"""`mindpilot check PRESET`: every built-in passes, and each card count across the preset and its files is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mindpilot.presets.preset import Preset, builtin_presets, find_preset
from mindpilot.presets.store import save_preset
from mindpilot.validators.check.preset_file import check_preset, check_targets
from support import run_cli

BUILTINS = sorted(builtin_presets())


def test_the_seed_scenarios_are_built_in():
    assert set(BUILTINS) >= {"demo", "qwen2.5-7b-ft-2cards", "qwen2.5-7b-grpo-8cards", "qwen2.5-0.5b-ft-1card",
                             "mindspeed-qwen2.5-7b-tune-tp4pp1", "mindspeed-qwen2.5-7b-pretrain-tp4pp2"}


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_preset_passes_check_and_its_template_files_exist(name):
    preset = find_preset(name)
    named = [preset.config] if preset.config else []
    named += preset.related_files
    for raw in named:
        assert Path(preset.resolve(raw)).is_file(), raw
    report = check_targets([name], skip_paths=True)
    assert [f.rule for f in report.findings if f.severity.value == "error"] == []
    assert report.files[0]["kind"] == "preset" and len(report.files) == 1 + len(named)


def test_builtins_pass_through_the_cli_in_one_call():
    done = run_cli("check", *BUILTINS, "--skip-paths", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = [entry["kind"] for entry in json.loads(done.stdout)["files"]]
    assert kinds.count("preset") == len(BUILTINS) and {"mindformers", "grpo", "script"} <= set(kinds)


def _copy(name: str, tmp_path: Path, **changes) -> Path:
    preset = find_preset(name).model_copy(update=changes)
    return save_preset(preset, tmp_path / f"{name}.yaml")


def test_card_counts_across_preset_config_flag_and_layout(tmp_path):
    path = _copy("qwen2.5-7b-ft-2cards", tmp_path, cards=4, parallel={"data_parallel": 2, "model_parallel": 2,
                                                                     "pipeline_stage": 1})
    rules = {f.rule: f for f in check_targets([str(path)], cards=8, skip_paths=True).findings}
    assert rules["preset.cards_flag"].line == path.read_text().splitlines().index("cards: 4") + 1
    assert "parallel.product_mismatch" in rules  # the config's dp*mp*pp = 2 against the preset's 4 cards
    assert rules["preset.parallel_differs"].file == str(path)
    path = _copy("demo", tmp_path, parallel={"data_parallel": 4})
    assert "preflight.parallel_mismatch" in {f.rule for f in check_targets([str(path)], skip_paths=True).findings}


def test_mindspeed_arguments_against_cards_and_the_conversion_script(tmp_path):
    preset = find_preset("mindspeed-qwen2.5-7b-pretrain-tp4pp2")
    assert [f.rule for f in check_preset(preset.model_copy(update={"cards": 12}), skip_paths=True).findings] == \
        ["preset.script_cards"]
    convert = tmp_path / "convert.sh"
    text = Path(preset.resolve(preset.related_files[0])).read_text(encoding="utf-8")
    convert.write_text(text.replace("--target-pipeline-parallel-size 2", "--target-pipeline-parallel-size 4"))
    findings = check_preset(preset.model_copy(update={"related_files": [str(convert)]}), skip_paths=True).findings
    assert [f.rule for f in findings] == ["mindspeed.convert_mismatch"]
    assert "PP=4" in findings[0].title and "PP=2" in findings[0].title


def test_invalid_preset_is_a_finding_with_file_line_and_closest_key(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("name: job\nscript: train.py\ncrads: 2\n", encoding="utf-8")
    done = run_cli("check", str(path), "--format", "sarif")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)["runs"][0]["results"][0]
    assert result["ruleId"] == "preset.invalid" and "did you mean 'cards'" in result["message"]["text"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_paths_are_checked_unless_skipped(tmp_path):
    preset = Preset(name="job", script="train.py", workdir=str(tmp_path), cards=1, tokenizer_dir="tok",
                    input_files=["data.mindrecord"], device="cpu")
    rules = [f.rule for f in check_preset(preset).findings]
    assert rules.count("preflight.path_missing") == 3
    assert check_preset(preset, skip_paths=True).findings == []
    (tmp_path / "train.py").write_text("print(1)\n")
    (tmp_path / "data.mindrecord").write_text("")
    (tmp_path / "tok").mkdir()
    rules = [f.rule for f in check_preset(preset.model_copy(update={"model": "qwen2.5-7b"})).findings]
    assert rules == ["preflight.tokenizer_incomplete"]
    (tmp_path / "ckpt").mkdir()
    outputs = preset.model_copy(update={"output_files": ["ckpt"], "output_dirs": ["train.py"]})
    rules = sorted(f.rule for f in check_preset(outputs).findings if f.rule != "preflight.tokenizer_incomplete")
    assert rules == ["preflight.path_is_directory", "preflight.path_is_file"]


def test_several_workers_on_a_config_that_is_not_parallel():
    preset = find_preset("qwen2.5-0.5b-ft-1card").model_copy(update={"cards": 2, "parallel": {}})
    findings = check_preset(preset, skip_paths=True).findings
    assert [f.rule for f in findings] == ["preset.config_not_parallel"]
    assert findings[0].file.endswith("finetune_qwen2_5_0_5b_1card.yaml") and findings[0].line


def test_a_launch_script_named_as_the_script_is_checked_against_the_cards(tmp_path):
    script = tmp_path / "tune_qwen25_7b.sh"
    script.write_text("#!/bin/bash\nNPUS_PER_NODE=8\nNNODES=1\nTP=4\nPP=1\n"
                      "torchrun --nproc_per_node $NPUS_PER_NODE posttrain_gpt.py --tensor-model-parallel-size ${TP} "
                      "--pipeline-model-parallel-size ${PP}\n", encoding="utf-8")
    preset = Preset(name="ms", framework="mindspeed", script=str(script), cards=4)
    report = check_preset(preset, skip_paths=True)
    assert {"file": str(script), "kind": "script"} in report.files
    assert "launch.local_gt_cards" in [f.rule for f in report.findings]  # 8 per node in the script, 4 in the preset
