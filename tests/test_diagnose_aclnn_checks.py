"""The argument checks every aclnn operator shares (validators/data/kb/aclnn_checks.yaml) and PyTorch's own
wording of the result-type check: each member is named with the tensor, dtypes or shapes its line gives; the broad
ones (a tensor's dtype, shape or dims) are said as likely, since the line does not say why the tensor came out
so; look-alike lines of another library stay with other rules.

Built from the message formats of CANN ops-nn's op_error_check.h and of PyTorch's ExpandUtils / TensorIterator.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


def ez1001(message: str, op: str = "Add") -> str:
    return f"RuntimeError: call aclnn{op} failed, detail:EZ1001: [PID: 4] 2025-01-01-00:00:00.000.000 {message}"


@pytest.mark.parametrize("text, rule, words, confident", [
    (ez1001("Tensor groupList expected dtype is DT_INT64 but found DT_INT32.", "GroupedMatmulV4"),
     "kb.operator.aclnn_dtype_expected", ["groupList", "DT_INT64", "DT_INT32"], False),
    (ez1001("Result type DT_FLOAT can't be cast to the desired output type DT_INT32.", "InplaceDiv"),
     "kb.operator.result_dtype_cast_refused", ["DT_FLOAT", "DT_INT32"], True),
    ("RuntimeError: result type Float can't be cast to the desired output type long int",
     "kb.operator.result_dtype_cast_refused", ["Float", "long int"], True),
    (ez1001("Expected tensor for out to have same size as [8, 128], but got [8, 64].", "Mul"),
     "kb.operator.aclnn_shapes_differ", ["out"], False),
    (ez1001("The x tensor must have at least 1 dimensions.", "RmsNorm"),
     "kb.operator.aclnn_dims_expected", ["x", "1"], False),
    (ez1001("The size of tensor self [2, 4096, 32] must match the size of tensor other [2, 2048, 32].", "Mul"),
     "kb.operator.aclnn_shapes_not_broadcast", ["[2, 4096, 32]", "[2, 2048, 32]"], False),
    (ez1001("Expected both tensors to have same dtype, but found self DT_FLOAT16 and other DT_BF16.", "Add"),
     "kb.operator.input_dtype_mismatch", ["dtype"], True),
    (ez1001("Self dtype DT_INT64 is unsupported by the current SOC version [Ascend310P3].", "Cumsum"),
     "kb.operator.aclnn_dtype_not_on_soc", ["DT_INT64", "Ascend310P3"], True),
    # bf16 keeps its own rule
    (ez1001("Self dtype DT_BF16 is unsupported by the current SOC version [Ascend310P3].", "Mul"),
     "kb.operator.bf16_unsupported", ["bfloat16"], True),
    (ez1001("Not support 910B platform.", "GroupNormSwish"), "kb.operator.platform_unsupported", ["chip"], True),
])
def test_every_shared_check_is_named(tmp_path, text, rule, words, confident):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words)
    assert (report.root_cause.confidence == "confident") == confident


@pytest.mark.parametrize("text, rule", [
    # the expand check is about an existing buffer, not two operands
    ("RuntimeError: The expanded size of the tensor (5) must match the existing size (8) at non-singleton "
     "dimension 0.", "kb.operator.aclnn_shapes_not_broadcast"),
    # PyTorch's own broadcast message is left to the traceback reading (a framework's defect when raised there)
    ("RuntimeError: The size of tensor a (64) must match the size of tensor b (128) at non-singleton dimension 3",
     "kb.operator.aclnn_shapes_not_broadcast"),
    # another library's sentence about an expected dtype
    ("ValueError: column 'label' expected dtype is int but found str in row 3", "kb.operator.aclnn_dtype_expected"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_a_specific_rule_on_the_line_outranks_the_shared_check(tmp_path):
    """The FlashAttention head-dim check and the shared dims check on one block: the specific one is named."""
    text = (ez1001("only support kD >= vD, but got kD=64 vD=128", "FlashAttentionScore") + "\n"
            + ez1001("Expected 4 dimension input, but got query with sizes [8, 64].", "FlashAttentionScore"))
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.operator.flash_attention_kd_lt_vd"
