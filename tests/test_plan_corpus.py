"""Plans written into the real MindFormers configs of the corpus pass ``mindpilot check``.

The shipped configs carry settings a plan does not choose (``fine_grain_interleave``, per-stage
``select_comm_recompute`` lists, ``pp_interleave_num`` with a 2-D offset); a plan applied on top of
them must still leave no error. Needs ``../shared`` (skips cleanly without it).
"""

from __future__ import annotations

import shutil

import pytest

from mindpilot.presets.config_facts import interleave, read_config
from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan

CASES = [
    ("qwen2.5-0.5b", "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_0_5b_8k.yaml", 8),
    ("qwen2.5-7b", "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_7b_8k.yaml", 32),
    ("qwen2.5-14b", "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_14b_8k.yaml", 8),
    ("qwen2.5-32b", "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_32b_8k.yaml", 16),
    ("qwen2.5-72b", "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2.5_72B_32K.yaml", 64),
    ("llama3.1-8b", "mindformers_r1.7.0_research-llama3_1-llama3_1_8b__finetune_llama3_1_8b.yaml", 8),
    ("llama3.1-70b", "mindformers_r1.7.0_research-llama3_1-llama3_1_70b__finetune_llama3_1_70b.yaml", 64),
    ("qwen3-32b", "mindformers_r1.7.0_configs-qwen3__pretrain_qwen3_32b_4k.yaml", 16),
    ("deepseek-v3", "mindformers_master_configs-deepseek3__pretrain_deepseek3_671b.yaml", 256),
]
TOP = 6


@pytest.mark.parametrize("model,name,cards", CASES)
def test_plans_applied_to_shipped_configs_pass_check(shared_dir, tmp_path, model, name, cards):
    check = pytest.importorskip("mindpilot.validators.check")
    from mindpilot.presets.yaml_apply import apply_plan

    source = shared_dir / "corpus" / "configs" / name
    candidates = plan(get_model(model), cards, seq_len=8192, pp_interleave_num=interleave(read_config(source)))
    picks = candidates[:TOP] + candidates[TOP::max(1, len(candidates) // TOP)]
    for index, candidate in enumerate(picks):
        target = tmp_path / f"{index}.yaml"
        shutil.copy(source, target)
        apply_plan(target, candidate.parallel_config, candidate.recompute_config, offset=candidate.offset,
                   micro_batch_num=candidate.micro_batch_num)
        errors = [f for f in check.check_files([str(target)], cards=cards, hbm_gb=64, skip_paths=True)
                  if f.severity.value == "error"]
        assert not errors, (candidate.label, [(f.rule, f.title) for f in errors])


def test_deepseek_plans_follow_the_configs_pipeline_interleave(shared_dir):
    source = shared_dir / "corpus" / "configs" / CASES[-1][1]
    assert interleave(read_config(source)) == 2
    for c in plan(get_model("deepseek-v3"), 256, pp_interleave_num=2):
        assert len(c.offset) == 2 and all(len(row) == c.pp for row in c.offset)
        assert sum(map(sum, c.offset)) == 61 % (2 * c.pp)
