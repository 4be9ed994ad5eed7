"""The fused MoE operators' argument checks (validators/data/kb/cann_moe.yaml): every member named, and the
shared dtype check yields to the MoE rule that says why the indices are int64.

Built from the message formats of CANN ops-transformer's moe/ operators (op_host infershape and tiling).
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


def ez9999(message: str, op: str) -> str:
    return (f"RuntimeError: call aclnn{op} failed, error code is 561103\nEZ9999: Inner Error!\n"
            f"EZ9999[PID: 5] 2025-01-01-00:00:00.000.000 (EZ9999):  {message}[FUNC:Check][FILE:moe_tiling.cpp][LINE:9]")


@pytest.mark.parametrize("text, rule, words", [
    (ez9999("The dtype of expanded_row_idx should be int32.", "MoeFinalizeRoutingV2"),
     "kb.operator.moe_routing_index_dtype", ["expanded_row_idx", "torch.int32"]),
    (ez9999("expertId out dtype DT_INT64 error, only supports int32. please check.", "MoeGatingTopKSoftmaxV2"),
     "kb.operator.moe_routing_index_dtype", ["expertId"]),
    (ez9999("The dim number of expert_idx should be 2, current is 3.", "MoeInitRoutingV2"),
     "kb.operator.moe_routing_input_not_2d", ["expert_idx", "view(-1"]),
    (ez9999("The expanded_x of input should be 2D tensor when drop_pad_mode is 0 or 2.", "MoeFinalizeRoutingV2"),
     "kb.operator.moe_routing_input_not_2d", ["expanded_x"]),
    ("RuntimeError: Input tensor 'x' must be 2-dimensional, but got dimension 3",
     "kb.operator.moe_routing_input_not_2d", ["x"]),
    (ez9999("k is: 9, expert num is: 8, k cannot be greater than expert num.", "MoeGatingTopK"),
     "kb.operator.moe_gating_config_refused", ["top_k"]),
    (ez9999("k_group * group expert count is: 6, but it must be greater than or equal to k: 8.", "MoeGatingTopK"),
     "kb.operator.moe_gating_config_refused", ["topk_group"]),
])
def test_every_member_of_the_family_is_named(tmp_path, text, rule, words):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == "confident"


@pytest.mark.parametrize("text, rule", [
    # a 2-D rule of another operator family
    (ez9999("The dim of weight should be 2, current is 3.", "Linear"), "kb.operator.moe_routing_input_not_2d"),
    # an int32 request that is not about indices
    (ez9999("The dtype of seq_len should be int32.", "Attention"), "kb.operator.moe_routing_index_dtype"),
    # a divisibility message of another operator
    (ez9999("hidden size : 4096 is not divisible by tp: 3", "Linear"), "kb.operator.moe_gating_config_refused"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}
