"""ATB's own log lines (validators/data/kb/atb.yaml): a status code from an operation's input checks is said as
likely with its meaning, and then speaks instead of torch_npu's bare "setup failed!" wrapper; a chip without an
attention feature is named with the feature. Look-alike lines stay with other rules.

Built from the message formats of CANN ATB's operation_base.cpp and ops_infer checks (include/atb/types.h for
the codes) in the layout ATB's logger prints them.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text

ATB = "[2025-01-01 00:00:00.000000] [ATB] [ERROR] [operation_base.cpp:281] "


@pytest.mark.parametrize("text, rule, words, confident", [
    (ATB + "PagedAttentionOperation_2 Check in tensor desc fail, ErrorType: 6",
     "kb.operator.atb_tensor_check_failed", ["6", "dtype"], False),
    (ATB + "LinearOperation_1 infer shape fail, error code: 9", "kb.operator.atb_tensor_check_failed", ["9", "size"],
     False),
    (ATB + "Dynamic batch only support Atlas 800I A2 inference product", "kb.operator.atb_feature_not_on_chip",
     ["Dynamic batch"], True),
    (ATB + "Atlas 800 product only supports PA ENCODER", "kb.operator.atb_feature_not_on_chip", ["PA ENCODER"], True),
    (ATB + "950 does not support SWA.", "kb.operator.atb_feature_not_on_chip", ["SWA"], True),
])
def test_every_member_is_named(tmp_path, text, rule, words, confident):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words)
    assert (report.root_cause.confidence == "confident") == confident


def test_atb_s_own_code_speaks_instead_of_torch_npu_s_wrapper(tmp_path):
    text = (ATB + "RopeOperation_0 infer shape check fail, error code: 8\n"
            "[rank0]:[E1 00:00:00.0 compiler_depend.ts:429] RopeOperation setup failed!")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.operator.atb_tensor_check_failed"
    assert report.root_cause.line == 1


def test_without_atb_s_log_the_wrapper_still_speaks(tmp_path):
    report = diagnose_text(tmp_path, "[rank0]:[E1 00:00:00.0 compiler_depend.ts:429] SelfAttentionOperation setup failed!")
    assert report.root_cause.rule == "kb.operator.atb_op_setup_failed"


@pytest.mark.parametrize("text, rule", [
    # a success code, and a code of another meaning (an HCCL failure), are not the input checks
    (ATB + "LinearOperation_1 setup fail, error code: 25", "kb.operator.atb_tensor_check_failed"),
    ("[INFO] build check fail, error code: 18 (retrying)", "kb.operator.atb_tensor_check_failed"),
    # a 950 that is not ATB's
    ("The model card lists 950 does not support fp64 yet", "kb.operator.atb_feature_not_on_chip"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_a_rope_set_up_failure_names_the_partial_rotary_width_as_likely(tmp_path):
    report = diagnose_text(tmp_path, "[rank0]:[E1 00:00:00.0 compiler_depend.ts:429] RopeOperation setup failed!")
    assert_root_cause_says(report, "kb.operator.atb_rope_setup_failed", ["rotary_dim", "head_size"])
    assert report.root_cause.confidence != "confident"
    # ATB's own code beside it says more, and speaks instead
    report = diagnose_text(tmp_path, ATB + "RopeOperation_0 infer shape check fail, error code: 8\n"
                                     "[rank0]:[E1 00:00:00.0 compiler_depend.ts:429] RopeOperation setup failed!")
    assert report.root_cause.rule == "kb.operator.atb_tensor_check_failed"
