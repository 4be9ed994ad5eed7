"""The planner: every candidate obeys the framework rules, memory terms add up, ranking is explained."""

from __future__ import annotations

import itertools
import re

import pytest

from mindpilot.presets.models import get_model
from mindpilot.presets.planner import divisors, layer_offsets, plan

QWEN7 = get_model("qwen2.5-7b")
GRPO_ROLE_KEYS = {"data_parallel", "model_parallel", "pipeline_stage", "expert_parallel", "use_seq_parallel",
                  "micro_batch_num", "vocab_emb_dp", "context_parallel"}
TEMPLATE_PARALLEL_KEYS = {"data_parallel", "model_parallel", "context_parallel", "expert_parallel", "pipeline_stage",
                          "micro_batch_num", "seq_split_num", "use_seq_parallel", "optimizer_shard",
                          "gradient_aggregation_group", "vocab_emb_dp", "context_parallel_algo",
                          "ulysses_degree_in_cp", "mem_coeff"}
TEMPLATE_RECOMPUTE_KEYS = {"recompute", "select_recompute", "parallel_optimizer_comm_recompute",
                           "select_comm_recompute", "mp_comm_recompute", "recompute_slice_activation",
                           "select_recompute_exclude", "select_comm_recompute_exclude"}


def assert_rules(arch, candidates, cards, per_node=8):
    """The hard rules of reference §1.3, §1.5, §2, §3 and §10 on every candidate."""
    assert candidates, "no candidate"
    for c in candidates:
        d = c.to_dict()
        pc, rc = d["parallel_config"], d["recompute_config"]
        dp, mp, pp, cp = pc["data_parallel"], pc["model_parallel"], pc["pipeline_stage"], pc["context_parallel"]
        assert dp * mp * pp * cp == cards  # expert_parallel is not in the product (§1.3-1)
        assert set(pc) <= TEMPLATE_PARALLEL_KEYS and set(rc) <= TEMPLATE_RECOMPUTE_KEYS
        assert arch.num_heads % mp == 0 and arch.num_kv_heads % mp == 0
        assert arch.hidden_size % mp == 0 and arch.intermediate_size % mp == 0
        assert mp <= per_node
        assert arch.num_layers >= pp
        assert len(rc["recompute"]) == pp and len(rc["select_recompute"]) == pp
        assert all(0 <= r <= s <= n for r, s, n in zip(rc["recompute"], rc["select_recompute"],
                                                         d["layers_per_stage"]))
        offset = d["offset"]
        if isinstance(offset, list):
            assert len(offset) == pp and sum(offset) == arch.num_layers % pp
        else:
            assert offset == 0 and arch.num_layers % pp == 0
        assert sum(d["layers_per_stage"]) == arch.num_layers and min(d["layers_per_stage"]) >= 1
        if pp > 1:
            assert d["micro_batch_num"] >= pp  # documented rule (§1.5)
        else:
            assert d["micro_batch_num"] == 1
        assert pc["micro_batch_num"] == d["micro_batch_num"]
        if arch.num_experts:
            assert arch.num_experts % pc["expert_parallel"] == 0
            assert (dp * mp * cp) % pc["expert_parallel"] == 0
            if mp > 1:
                assert pc["use_seq_parallel"] is True  # §1.3-6
        memory = d["memory_gb_per_card"]
        terms = ["weights", "gradients", "optimizer", "activations", "logits", "runtime", "other_models"]
        assert sum(memory[t] for t in terms) == pytest.approx(memory["total"], abs=0.05)
        assert memory["activations"] <= memory["activations_no_recompute"] + 1e-6
        assert memory["optimizer"] <= memory["optimizer_unsharded"] + 1e-6
        assert memory["weights"] <= memory["weights_unsharded"] + 1e-6
        assert memory["activations_per_micro_batch"] * memory["micro_batches_in_flight"] == \
            pytest.approx(memory["activations"], abs=0.006 * memory["micro_batches_in_flight"] + 0.01)  # rounding
        assert memory["micro_batches_in_flight"] == (pp - memory["stage"] if pp > 1 else 1)  # 1F1B: stage i holds pp-i
        assert d["fits"] == (memory["total"] <= memory["usable"])
        assert d["reasons"] and len(d["reasons"]) == len(d["reason_ids"])
    fits = [c.fits for c in candidates]
    assert fits == sorted(fits, reverse=True)  # every fitting candidate before every other one
    fitting = [c.pp for c in candidates if c.fits]
    assert fitting == sorted(fitting)  # then fewer pipeline stages first


@pytest.mark.parametrize("cards", [1, 2, 8, 16, 32])
def test_qwen7b_every_candidate_obeys_the_rules(cards):
    assert_rules(QWEN7, plan(QWEN7, cards), cards)


def test_qwen7b_on_8_cards_enumerates_exactly_the_legal_layouts():
    found = {(c.dp, c.mp, c.pp) for c in plan(QWEN7, 8)}
    expected = {(dp, mp, pp) for dp, mp, pp in itertools.product(range(1, 9), repeat=3)
                if dp * mp * pp == 8 and 4 % mp == 0}  # 4 KV heads: mp in 1, 2, 4
    assert found == expected


def test_qwen7b_on_one_card_is_the_single_layout_and_does_not_fit_64gb():
    only = plan(QWEN7, 1)
    assert [(c.dp, c.mp, c.pp) for c in only] == [(1, 1, 1)]
    assert not only[0].fits  # 7.6B parameters x 16 bytes of fp32 training state is over 64 GB


def test_qwen7b_on_8_cards_64gb_best_plan_fits():
    best = plan(QWEN7, 8, hbm_gb=64)[0]
    assert best.fits and best.pp == 1


def test_four_nodes_of_eight_keep_tensor_parallel_inside_a_node():
    candidates = plan(QWEN7, 32, cards_per_node=8)
    assert_rules(QWEN7, candidates, 32)
    assert all(c.mp <= 8 for c in candidates)
    warned = [c for c in candidates if "plan.multinode_pipeline" in c.to_dict()["reason_ids"]]
    assert {c.pp for c in warned} == {8, 16}  # 4 servers % pp != 0 (check_rules warning, §1.3-2)
    assert max(candidates.index(c) for c in candidates if c.fits and c.pp == 1) < \
        min(candidates.index(c) for c in warned)


def test_small_cards_per_node_limits_tensor_parallel():
    assert all(c.mp <= 2 for c in plan(QWEN7, 8, cards_per_node=2))


def test_few_kv_heads_limit_model_parallel():
    small = get_model("qwen2.5-0.5b")  # 14 heads, 2 KV heads
    candidates = plan(small, 8)
    assert_rules(small, candidates, 8)
    assert {c.mp for c in candidates} == {1, 2}


def test_less_memory_per_card_means_more_recompute():
    roomy = [c for c in plan(QWEN7, 8, hbm_gb=64) if (c.dp, c.mp, c.pp) == (8, 1, 1)][0]
    tight = [c for c in plan(QWEN7, 8, hbm_gb=48) if (c.dp, c.mp, c.pp) == (8, 1, 1)][0]
    assert sum(tight.recompute) > sum(roomy.recompute) or sum(tight.select_recompute) > sum(roomy.select_recompute)
    assert tight.worst.activations < roomy.worst.activations


def test_global_batch_fixes_micro_batch_num_and_drops_layouts_that_cannot_reach_it():
    for c in plan(QWEN7, 8, global_batch=64):
        assert c.global_batch == 64
        if c.pp > 1:
            assert c.dp * c.micro_batch_num == 64
    only = plan(QWEN7, 8, global_batch=3)  # dp must divide 3, and mbn = 3 must be >= pp
    assert [(c.dp, c.mp, c.pp, c.micro_batch_num) for c in only] == [(1, 4, 2, 3)]


def test_layer_offsets_sum_to_the_remainder_and_go_to_the_middle_first():
    assert layer_offsets(28, 4) == (0, [7, 7, 7, 7])
    assert layer_offsets(28, 8) == ([0, 0, 1, 1, 1, 1, 0, 0], [3, 3, 4, 4, 4, 4, 3, 3])
    assert layer_offsets(28, 3) == ([0, 1, 0], [9, 10, 9])
    assert layer_offsets(7, 4) == ([0, 1, 1, 1], [1, 2, 2, 2])
    interleaved, stages = layer_offsets(61, 8, 2)  # DeepSeek-V3 with pp_interleave_num 2 (ref §3)
    assert sum(map(sum, interleaved)) == 61 % 16 and stages == [7, 8, 8, 8, 8, 8, 7, 7]
    assert layer_offsets(64, 2, 2) == (0, [32, 32])
    for layers in range(1, 100):
        for pp in range(1, layers + 1):
            offset, stages = layer_offsets(layers, pp)
            assert sum(stages) == layers
            assert (sum(offset) if isinstance(offset, list) else offset) == layers % pp


def test_pipeline_interleave_needs_layers_for_every_chunk():
    arch = get_model("qwen2.5-7b")
    assert max(c.pp for c in plan(arch, 32, pp_interleave_num=2)) == 8  # 16 * 2 > 28 layers
    assert all(c.to_dict()["pp_interleave_num"] == 2 for c in plan(arch, 8, pp_interleave_num=2))


def test_long_sequences_offer_context_parallel_with_flash_attention():
    candidates = plan(QWEN7, 16, seq_len=32768)
    assert_rules(QWEN7, candidates, 16)
    with_cp = [c for c in candidates if c.cp > 1]
    assert with_cp and all(32768 % c.cp == 0 for c in with_cp)
    assert all("use_flash_attention: True" in " ".join(c.to_dict()["reasons"]) for c in with_cp)
    assert not any(c.cp > 1 for c in plan(QWEN7, 16, seq_len=4096))


def test_moe_qwen3_30b_a3b():
    arch = get_model("qwen3-30b-a3b")
    candidates = plan(arch, 16)
    assert_rules(arch, candidates, 16)
    assert any(c.ep > 1 for c in candidates)
    assert all(c.parallel_config["vocab_emb_dp"] is False for c in candidates)  # mcore forces it off


def test_moe_deepseek_v3_on_256_cards():
    arch = get_model("deepseek-v3")
    candidates = plan(arch, 256)
    assert_rules(arch, candidates, 256)
    shipped = [c for c in candidates if (c.dp, c.mp, c.pp) == (4, 8, 8)]  # MF master pretrain_deepseek3_671b
    assert shipped and shipped[0].offset == [0, 1, 1, 1, 1, 1, 0, 0]


def test_grpo_roles_share_all_cards_and_generate_has_no_pipeline():
    candidates = plan(QWEN7, 8, framework="mindrlhf-grpo")
    assert_rules(QWEN7, candidates, 8)
    for c in candidates:
        roles = c.to_dict()["roles"]
        assert set(roles) == {"actor_config", "ref_config", "generate_config"}
        for role in roles.values():
            pc = role["parallel_config"]
            assert set(pc) <= GRPO_ROLE_KEYS
            assert pc["data_parallel"] * pc["model_parallel"] * pc["pipeline_stage"] == 8
        assert roles["generate_config"]["parallel_config"]["pipeline_stage"] == 1
        actor_mp = roles["actor_config"]["parallel_config"]["model_parallel"]
        assert actor_mp % roles["generate_config"]["parallel_config"]["model_parallel"] == 0
        assert c.worst.extra > 0  # the ref and generate weights live on the same cards


def test_mindspeed_convert_matches_training_and_batches_divide():
    arch = get_model("qwen3-8b")
    candidates = plan(arch, 16, framework="mindspeed-llm", global_batch=64)
    assert_rules(arch, candidates, 16)
    for c in candidates:
        ms = c.to_dict()["mindspeed"]
        train, convert = ms["train_args"], ms["convert_args"]
        assert train[train.index("--tensor-model-parallel-size") + 1] == \
            convert[convert.index("--target-tensor-parallel-size") + 1] == str(ms["TP"])
        assert train[train.index("--pipeline-model-parallel-size") + 1] == \
            convert[convert.index("--target-pipeline-parallel-size") + 1] == str(ms["PP"])
        assert ms["GBS"] % (ms["MBS"] * ms["DP"]) == 0
        assert ms["WORLD_SIZE"] % (ms["TP"] * ms["PP"] * ms["CP"]) == 0
        assert ms["NPUS_PER_NODE"] * ms["NNODES"] == 16


def test_mindspeed_uneven_layers_get_a_num_layer_list():
    uneven = [c for c in plan(QWEN7, 8, framework="mindspeed-llm") if c.pp == 8]
    ms = uneven[0].mindspeed
    layers = [int(n) for n in ms["num_layer_list"].split(",")]
    assert len(layers) == 8 and sum(layers) == 28
    assert "--num-layer-list" in ms["convert_args"]


def test_reasons_exist_in_chinese_and_english():
    best = plan(QWEN7, 16)[0]
    zh, en = best.to_dict("zh")["reasons"], best.to_dict("en")["reasons"]
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in zh)
    assert all(not re.search(r"[\u4e00-\u9fff]", text) for text in en)
    assert all("{" not in text for text in zh + en)  # every placeholder filled


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="framework"):
        plan(QWEN7, 8, framework="deepspeed")
    with pytest.raises(ValueError, match="cards"):
        plan(QWEN7, 0)
    with pytest.raises(ValueError, match="whole nodes"):
        plan(QWEN7, 12, cards_per_node=8)
    assert plan(QWEN7, 12, cards_per_node=4)


def test_divisors():
    assert divisors(12) == [1, 2, 3, 4, 6, 12] and divisors(1) == [1] and divisors(49) == [1, 7, 49]
