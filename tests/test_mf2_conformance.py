"""Conformance: every YAML MindFormers 2.0.0 ships (and 2.1.0's new deepseek4 ones), checked at the card count it
is written for, gets no error that MindFormers would not raise itself; each is read as the schema it uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.validators.check import run_check
from mindpilot.validators.check.conformance import check_shipped, own_cards
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.parallel import Plan
from mindpilot.validators.findings import Severity

MF2 = Path(__file__).parent / "data" / "mf2"
CONFIGS = sorted(MF2.glob("configs*/*/*.yaml"))

PYNATIVE = {"pretrain_deepseek3_1b_8p_pynative.yaml", "pretrain_deepseek4_flash.yaml",
            "pretrain_deepseek4_flash_reduction.yaml", "pretrain_deepseek4_pro.yaml",
            "pretrain_deepseek4_pro_reduction.yaml"}

TRUE_ERRORS = {"telechat3_moe/pretrain_telechat3_105b_a4b_4k.yaml": ["model.offset_sum"]}
"""Errors MindFormers 2.0.0 itself raises on a shipped file: 45 layers over pipeline_stage 8 leave 5, and
``offset: 0`` sums to 0, so ``LayerSetting._check_inputs`` raises "The sum of `offset` (0) should equal to
remainder of `num_layers` (45) % (pp (8) * pp_interleave_num (1)) = 5"
(mindformers/parallel_core/training_graph/transformer/utils.py:583-587, 2.0.0)."""

UNRECOGNISED = {"run_convert.yaml", "run_reversed_convert.yaml"}
"""Checkpoint conversion settings, not a training or inference config."""


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_the_copied_configs_are_all_there():
    assert len([p for p in CONFIGS if p.parent.parent.name == "configs"]) == 27
    assert len([p for p in CONFIGS if p.parent.parent.name == "configs-2.1.0"]) == 4
    assert PYNATIVE <= {p.name for p in CONFIGS}


@pytest.mark.parametrize("path", CONFIGS, ids=_name)
def test_each_shipped_config_at_its_own_card_count_has_no_false_error(path):
    [(_, cards, errors)] = check_shipped([path])
    assert errors == TRUE_ERRORS.get(_name(path), []), cards
    report = run_check([path], cards=cards, skip_paths=True)
    kind = report.files[0]["kind"]
    if path.name in PYNATIVE:
        assert kind == "mindformers_pynative"
    elif path.name in UNRECOGNISED:
        assert kind == "unknown" and [f.rule for f in report.findings] == ["yaml.unknown_kind"]
    else:
        assert kind == "mindformers"


def test_the_true_error_is_real_arithmetic():
    doc = ConfigDoc.load(MF2 / "configs" / "telechat3_moe" / "pretrain_telechat3_105b_a4b_4k.yaml")
    assert doc.value("model", "model_config", "num_hidden_layers") % Plan(doc).pp == 5
    assert doc.value("model", "model_config", "offset") == 0


def test_mcore_predict_with_manual_parallel_has_no_dataset_strategy_error():
    path = MF2 / "configs" / "deepseek3" / "predict_deepseek3_671b.yaml"
    doc = ConfigDoc.load(path)
    assert doc.value("parallel", "parallel_mode") == "MANUAL_PARALLEL" and doc.value("parallel", "full_batch") is False
    for cards in (None, 8, 32):
        rules = {f.rule for f in run_check([path], cards=cards, skip_paths=True).findings}
        assert "parallel.dataset_strategy" not in rules


@pytest.mark.parametrize("mode", ["MANUAL_PARALLEL", "STAND_ALONE", "SEMI_AUTO_PARALLEL"])
def test_predict_configs_in_the_r1_7_research_style_have_no_dataset_strategy_error(tmp_path, mode):
    """Like research/deepseek3/deepseek_r1_671b/predict_deepseek_r1_671b_w8a8_ep4tp4.yaml (r1.7.0): predict
    skips the check (base_trainer.set_config runs it only when RUN_MODE is not predict)."""
    config = tmp_path / "predict_deepseek_r1_671b_w8a8_ep4tp4.yaml"
    text = ("run_mode: 'predict'\nuse_parallel: True\nparallel_config:\n  data_parallel: 4\n  model_parallel: 4\n"
            f"  pipeline_stage: 1\n  expert_parallel: 4\nparallel:\n  parallel_mode: \"{mode}\"\n  full_batch: False\n"
            "model:\n  model_config:\n    num_layers: 61\n    num_heads: 128\n    hidden_size: 7168\n")
    config.write_text(text, encoding="utf-8")
    assert "parallel.dataset_strategy" not in {f.rule for f in run_check([config], cards=16, skip_paths=True).findings}
    training = tmp_path / "finetune.yaml"
    training.write_text(text.replace("'predict'", "'finetune'"), encoding="utf-8")
    rules = {f.rule for f in run_check([training], cards=16, skip_paths=True).findings}
    assert ("parallel.dataset_strategy" in rules) is (mode == "SEMI_AUTO_PARALLEL")


def test_deepseek4_on_card_counts_it_does_not_fit():
    path = MF2 / "configs-2.1.0" / "deepseek4" / "pretrain_deepseek4_flash.yaml"
    by_cards = {cards: sorted({f.rule for f in run_check([path], cards=cards, skip_paths=True).findings
                               if f.severity is Severity.ERROR}) for cards in (4, 8, 12, 16)}
    # 4 cards: ep 8 > dp_shard 4; 12: ep 8 does not divide 12 and gbs 8 is not a multiple of dp 12; 16: gbs 8 < dp 16
    assert by_cards == {4: ["pynative.expert_parallel_region"], 8: [],
                        12: ["pynative.expert_parallel_region", "pynative.global_batch"],
                        16: ["pynative.global_batch"]}


def test_the_summary_names_the_schema_it_saw():
    path = MF2 / "configs-2.1.0" / "deepseek4" / "pretrain_deepseek4_pro.yaml"
    done = run_cli("check", str(path), "--cards", "8", "--skip-paths", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "MindFormers 2.x PyNative YAML (parallelism:)" in " ".join(done.stderr.split())
    unknown = run_cli("check", str(MF2 / "configs" / "convert_config" / "run_convert.yaml"), "--lang", "en", "--json")
    document = json.loads(unknown.stdout)
    assert document["files"][0]["schema"] == "schema not recognised"
    assert [f["rule"] for f in document["findings"]] == ["yaml.unknown_kind"]


@pytest.mark.parametrize("mode", ["MANUAL_PARALLEL", "STAND_ALONE"])
def test_manual_parallel_world_size_and_expert_parallel(tmp_path, mode):
    """MANUAL_PARALLEL is STAND_ALONE to MindFormers (tools/utils.py:44); with use_parallel it builds groups from
    parallel_config: dp*mp*pp must be the world size and dp*mp a multiple of expert_parallel."""
    config = tmp_path / "predict_deepseek_r1_671b_w8a8_ep4tp4.yaml"
    text = ("run_mode: 'predict'\nuse_parallel: True\nparallel_config:\n  data_parallel: 4\n  model_parallel: 4\n"
            f"  pipeline_stage: 1\n  expert_parallel: 4\nparallel:\n  parallel_mode: \"{mode}\"\n  full_batch: False\n")
    config.write_text(text, encoding="utf-8")

    def errors(cards):
        return sorted(f.rule for f in run_check([config], cards=cards, skip_paths=True).findings
                      if f.severity is Severity.ERROR)

    assert errors(16) == [] and errors(None) == []
    assert errors(8) == ["parallel.manual_product_mismatch"]
    config.write_text(text.replace("expert_parallel: 4", "expert_parallel: 3"), encoding="utf-8")
    assert errors(16) == ["parallel.manual_expert_parallel"]
    config.write_text(text.replace("use_parallel: True", "use_parallel: False"), encoding="utf-8")
    assert "parallel.manual_product_mismatch" not in errors(8)


def test_own_card_counts():
    cards = {p.name: own_cards(ConfigDoc.load(p)) for p in CONFIGS}
    assert cards["pretrain_deepseek3_1b_8p_pynative.yaml"] == 8  # from its name
    assert cards["pretrain_deepseek4_flash.yaml"] == 8  # the smallest world where ep 8 divides dp_shard
    assert cards["pretrain_deepseek4_pro_reduction.yaml"] == 8
    assert cards["predict_deepseek3_671b.yaml"] == 32 and cards["pretrain_deepseek3_671b.yaml"] == 256
    assert cards["predict_qwen3.yaml"] is None  # use_parallel: False
