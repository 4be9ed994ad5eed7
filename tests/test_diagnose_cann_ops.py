"""Operators that cannot run here (validators/data/kb/cann_ops.yaml): each rule reads every member of its family
in the wording CANN, MindSpore and torch_npu's operator plug-in print it, names the operator, the data type or
format and the chip the log gives, and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; these are the other members, built from the message
formats of CANN's TBE error manager and error catalogue, nnopbase and op-plugin.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("line, rule, words", [
    # E70003, E60005, E50003, EZ0007: the same cause in each checker's words.
    ("E70003: In op[Cast], the dtype of input[x] should be one of [float16, float32], but actually is [float64].",
     "kb.operator.op_dtype_unsupported", ["Cast", "float64", "float16, float32"]),
    ("RuntimeError: ({'errCode': 'E60005'}, 'The dtype of [x] of op[conv2d] must in [float16], actual dtype is "
     "[bfloat16]')", "kb.operator.op_dtype_unsupported", ["conv2d", "bfloat16"]),
    ("E50003: The data type of input [filter] of [conv3d] op needs to be [float16], but incoming data type is "
     "[float32]", "kb.operator.op_dtype_unsupported", ["conv3d", "float32", "filter"]),
    ("EZ0007: [PID: 9] 2025-01-01-00:00:00.000.000 OP[MatMul] input0 has incorrect dtype[: DT_DOUBLE], it should be "
     "DT_FLOAT16 or DT_FLOAT.", "kb.operator.op_dtype_unsupported", ["MatMul", "DT_DOUBLE"]),
    # CANN's newer operator catalogue (opbase): EZ0019, EZ0006.
    ("EZ0019: [PID: 1] 2025-01-01-00:00:00.000.000 Parameter x1 of MatMulV3 has incorrect dtype DT_INT64. It should "
     "be DT_FLOAT16, DT_BF16 or DT_FLOAT.[FUNC:CheckDtype][FILE:aclnn_matmul.cpp][LINE:12]",
     "kb.operator.op_dtype_unsupported", ["MatMulV3", "DT_INT64", "DT_FLOAT16, DT_BF16 or DT_FLOAT"]),
    ("EZ0006: [PID: 1] 2025-01-01-00:00:00.000.000 Input parameter self of Add has incorrect format FRACTAL_NZ. It "
     "should be ND.", "kb.operator.op_format_unsupported", ["Add", "FRACTAL_NZ"]),
    # E50033, E50002
    ("E50033: The format of [x] of op[avg_pool] must in [NC1HWC0], actual format is [ND]",
     "kb.operator.op_format_unsupported", ["avg_pool", "ND"]),
    ("E50002: The  format of input [x] of [deconvolution] op needs to be [NC1HWC0], but incoming format is [NCHW]",
     "kb.operator.op_format_unsupported", ["deconvolution", "NCHW"]),
    # E80001 (range, missing), E70007, E80009, E70009
    ("RuntimeError: ({'errCode': 'E80001'}, 'In op[top_k], the parameter[k] should be in the range of [1, 4096], "
     "but actually is [8192].')", "kb.operator.op_param_check_failed", ["top_k", "k "]),
    ("E80001: In op[batch_norm], the mandatory parameter[scale] is missed.", "kb.operator.op_param_check_failed",
     ["batch_norm", "scale"]),
    ("E70007: The op[ScatterNd] input parameter[indices] should be [int32], actual the input is [int64].",
     "kb.operator.op_param_check_failed", ["ScatterNd", "indices"]),
    ("RuntimeError: ({'errCode': 'E80009'}, 'Op[gather_v2] has rule: axis must be in range of x dims, but [axis] "
     "is [5].')", "kb.operator.op_param_check_failed", ["gather_v2", "axis"]),
    ("E70009: The op [SplitD] has rule: size of split_dim must be divisible by num_split, but [num_split] is [3].",
     "kb.operator.op_param_check_failed", ["SplitD", "num_split"]),
    # MindSpore's compile failure, nnopbase's other wording, op-plugin's other wordings, the AI CPU codes.
    ("[ERROR] KERNEL(9,python):2024-01-01 [tbe_kernel_compile.cc:210] PrintCompileResult] "
     "layer_norm_beta_gamma_backprop_v2_123456789012_0 Compile running failed.",
     "kb.operator.ms_tbe_kernel_build_failed", ["layer_norm_beta_gamma_backprop_v2", "CANN"]),
    ("RuntimeError: call aclnnDispatchLayout failed, detail:[PID: 7] 2025-01-01-00:00:00.000.000 "
     "AclNN_Parameter_Error(EZ1001): Get regInfo failed, The bin of socVersion [ascend910b] does not support "
     "opType [DispatchLayout].", "kb.operator.aclnn_op_not_on_soc", ["DispatchLayout", "ascend910b"]),
    ("[rank3]: RuntimeError: In this CANN Version, comm_mode is not supported, please upgrade CANN Version.",
     "kb.versions.cann_lacks_op_api", ["CANN", "too old"]),
    ("RuntimeError: The param sink is not supported in this CANN version, aclnnFlashAttentionScoreV3 is not "
     "available", "kb.versions.cann_lacks_op_api", ["CANN"]),
    ("RuntimeError: The aclnnMoeDistributeCombineV3 is not supported[ERROR] 2025-01-01-00:00:00 (PID:1, Device:0, "
     "RankID:-1) ERR01001 OPS invalid parameter", "kb.versions.cann_lacks_op_api", ["CANN"]),
    ("[WARNING] DEVICE(1,python):2024-01-01 [ascend_kernel_runtime.cc:700] DumpTaskExceptionInfo] Dump task error "
     "infos (input/output's value) for node:[Default/GetNext-op1], save path: ./dump",
     "kb.runtime.ms_getnext_task_failed", ["GetNext", "CANN"]),
    ("RuntimeError: aclrtSynchronizeStream failed, error code is 507017", "kb.runtime.aicpu_exception_code",
     ["507017", "AI CPU"]),
    # MindSpore's Ascend kernel selection, nnopbase's binary lookup.
    ("RuntimeError: The current [Default/network-Net/FooBar-op7] operator did not match any operator prototype "
     "library.", "kb.operator.ms_ascend_op_missing", ["FooBar", "Ascend"]),
    ("RuntimeError: The current operator is specified not to select ACL. Please contact the relevant engineer for "
     "help.node is Default/Baz-op2", "kb.operator.ms_ascend_op_missing", ["Baz"]),
    ("[ERROR] 2025-01-01-00:00:00 EZ9999: Cannot find binary for op RotaryMul.", "kb.environment.op_binary_missing",
     ["RotaryMul"]),
    ("Cannot find any bin for MoeInitRouting 3 with [storage format 2, primary format 2].",
     "kb.environment.op_binary_missing", ["MoeInitRouting"]),
    # Runtime codes of the device and its peers (cann_runtime.yaml).
    ("[rank5]: RuntimeError: aclrtSynchronizeStreamWithTimeout failed, error code is 507055",
     "kb.runtime.suspect_peer_memory_fault", ["507055", "peer card"]),
    ("E39009: [PID: 7] 2025-01-01-00:00:00.000.000 Failed to connect the device.", "kb.runtime.device_connection_lost",
     ["E39009", "dropped card"]),
    ("RuntimeError: ACL stream synchronize failed, error code is 507900", "kb.runtime.aicpu_exception_code",
     ["507900"]),
    # The aclnn operators' own dtype checks (chip.yaml, operator.yaml).
    ("RuntimeError: call aclnnSoftmax failed, detail:EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 self dtype "
     "DT_INT64 should be in dtype support list [DT_FLOAT, DT_FLOAT16].", "kb.operator.dtype_not_supported",
     ["DT_INT64", "self"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 promote dtype DT_BFLOAT16 should be in dtype support list "
     "[DT_FLOAT,DT_FLOAT16].", "kb.operator.bf16_unsupported", ["bfloat16"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Broadcast [2, 3] and [4, 5] failed.",
     "kb.operator.broadcast_shapes", ["broadcast"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Self tensor shape:[8, 16] and target tensor shape:[8, 32] can't "
     "broadcast.", "kb.operator.broadcast_shapes", ["broadcast"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Self dtype DT_BOOL and other dtype DT_COMPLEX64 can not promote "
     "dtype.", "kb.operator.input_dtype_mismatch", ["different data types"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Self dtype DT_BF16 is unsupported by the current SOC version "
     "[Ascend910].", "kb.operator.bf16_unsupported", ["bfloat16"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Format only support ND,NCHW,NHWC,HWCN,NDHWC,NCDHW.",
     "kb.operator.aclnn_private_format", ["private format"]),
    ("[ERROR] KERNEL(1,python):2024-01-01-00:00:00.000.000 [acl_kernel_mod.cc:200] Launch] Acl compile and execute "
     "failed, node:Default/network-Net/Conv3D-op21", "kb.operator.ms_aclop_compile_execute_failed", ["Conv3D"]),
    ("RuntimeError: aclopCompileAndExecute failed, error code is 148050", "kb.operator.op_dynamic_shape_unsupported",
     ["dynamic shapes"]),
    # Chips named by their Atlas product names (chip.yaml).
    ("ValueError: enable_npugraph_ex is not supported on Atlas 300I DUO.", "kb.operator.not_implemented_for_soc",
     ["Atlas 300I DUO"]),
    ("RuntimeError: Context parallel feature currently is only supported on Atlas A3 device",
     "kb.operator.feature_chip_only", ["A3"]),
    # CANN's compile failures in each component's words (operator.yaml's catch-all).
    ("E40021: Failed to compile Op [TransData]. (oppath: [/opp/built-in/op_impl/ai_core/tbe/impl/trans_data.py], "
     "optype: [TransData])", "kb.operator.op_compile_failed", ["failed to compile"]),
    ("E20001: [PID: 1] 2025-01-01-00:00:00.000.000 Operator MatMulV2 compilation failed.Optype is MatMulV2.",
     "kb.operator.op_compile_failed", ["failed to compile"]),
    ("E90001: [PID: 1] 2025-01-01-00:00:00.000.000 Compile operator failed, cause: Parameters check failed, detailed "
     "information: the last dim of x must be 32B aligned.", "kb.operator.op_compile_failed", ["failed to compile"]),
    ("RuntimeError: aclrtSynchronizeEvent failed, error code is 107019", "kb.runtime.acl_task_timeout", ["107019"]),
    # The other ways MindSpore and ACL programs print a return code: "error code:N", "ret: N".
    ("RuntimeError: ACL stream synchronize failed, error code:507015", "kb.runtime.aicore_exception_code",
     ["507015"]),
    ("[CRITICAL] GE(1,python):2023-01-10-09:25:45.337.038 [runtime_model.cc:241] Run] Call rt api "
     "rtStreamSynchronize failed, ret: 507035", "kb.runtime.aicore_exception_code", ["507035"]),
])
def test_every_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, line), rule, words)


def test_the_operator_check_outranks_the_build_failure_that_wraps_it(tmp_path):
    text = ("[ERROR] KERNEL(9,python):2024-01-01 [tbe_kernel_compile.cc:210] PrintCompileResult] "
            "softmax_v2_123456789012_0 Compile running failed.\n"
            "RuntimeError: ({'errCode': 'E80008'}, \"In op[softmax_v2], the parameter[x]'s dtype should be one of "
            "[float16, float32], but actually is [bfloat16].\")")
    assert_root_cause_says(diagnose_text(tmp_path, text), "kb.operator.op_dtype_unsupported", ["bfloat16"])


def test_the_error_message_after_a_refused_single_operator_run_names_the_cause(tmp_path):
    text = ("[ERROR] KERNEL(1,python):2024-06-26-16:57:38.219.508 [custom_op_kernel_mod.cc:132] Launch] Kernel launch "
            "failed, msg:\nAcl compile and execute failed, op_type :aclnnAddCustom\n" + "-" * 58 +
            "\nAscend Error Message:\n" + "-" * 58 + "\nEZ3003: 2024-06-26-16:57:38.215.381 No supported Ops kernel "
            "and engine are found for [aclnnAddCustom1], optype [aclnnAddCustom].")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.operator.no_kernel_for_op"


@pytest.mark.parametrize("line, code", [
    ("E69999: [PID: 99] 2025-01-01-00:00:00.000.000 op[FooBar], something odd happened here"
     "[FUNC:Check][FILE:foo_bar.cc][LINE:12]", "E69999"),
    ("[PID: 7] 2025-01-01-00:00:00.000.000 E39006: the OPP was not sent to the device", "E39006"),
])
def test_a_bare_cann_code_line_of_any_family_is_the_key_line_with_its_meaning(tmp_path, line, code):
    from mindpilot.launch.router import analyse

    log = tmp_path / "job.log"
    log.write_text(line + "\n", encoding="utf-8")
    report = analyse([str(log)], "en")
    assert report.root_cause is not None and report.root_cause.line == 1
    assert f"{code}: " in report.findings[0].detail


def test_a_task_failure_is_getnext_s_only_when_the_node_dumped_after_it_is_getnext(tmp_path):
    task = ("[ERROR] DEVICE(1,python):2024-01-01 [ascend_kernel_runtime.cc:761] DumpTaskExceptionInfo] Task fail infos "
            "task_id: 2, stream_id: 45, tid: 1, device_id: 0, retcode: 507011 ( model execute failed)\n"
            "[ERROR] DEVICE(1,python):2024-01-01 [ascend_kernel_runtime.cc:770] DumpTaskExceptionInfo] Dump node "
            "(Default/network-Net/{node}) task error input/output data to: ./rank_0/node_dump")
    getnext = diagnose_text(tmp_path, task.format(node="GetNext-op18"))
    assert getnext.root_cause.rule == "kb.runtime.ms_getnext_task_failed" and getnext.root_cause.line == 1
    other = diagnose_text(tmp_path, task.format(node="MatMul-op2"))
    assert "kb.runtime.ms_getnext_task_failed" not in {finding.rule for finding in other.findings}


def test_a_slow_data_pipeline_is_not_blamed_on_versions(tmp_path):
    text = ("[WARNING] MD(1,python):2024-01-01 [data_queue_op.cc:1] WaitForPeek] Getnext gets peek data time out, "
            "that most likely caused by data processing being too slow\n"
            "[ERROR] DEVICE(1,python):2024-01-01 [ascend_kernel_runtime.cc:770] DumpTaskExceptionInfo] Dump node "
            "(Default/GetNext-op3) task error input/output data to: ./rank_0/node_dump")
    assert diagnose_text(tmp_path, text).root_cause.rule != "kb.runtime.ms_getnext_task_failed"


@pytest.mark.parametrize("line", [
    "Dump node (Default/network-Net/MatMul-op2) task error input/output data to: ./rank_0/node_dump",  # not GetNext
    "INFO: the parameter[lr] should be 1e-4, but actually is [3e-4] in the config you passed",  # no op[...]
    "The operator 'aten::foo' is supported in this CANN version",
    "step 10: the dtype of input[x] is float16",
])
def test_look_alike_lines_are_not_these_errors(tmp_path, line):
    rules = {finding.rule for finding in diagnose_text(tmp_path, line).findings}
    assert not rules & {"kb.runtime.ms_getnext_task_failed", "kb.operator.op_param_check_failed",
                        "kb.versions.cann_lacks_op_api", "kb.operator.op_dtype_unsupported"}


@pytest.mark.parametrize("line, op", [
    ("RuntimeError: Can not find any available kernel info for: Gelu", "Gelu"),
    ("TypeError: Can not select a valid kernel info for [Default/network-WithLossCell/_backbone-Net/Conv2D-op12] in "
     "AI CORE or AI CPU kernel info candidates list", "Conv2D"),
    ("RuntimeError: Can not find any available kernel info for: Default/ReduceMean-op3", "ReduceMean"),
])
def test_a_kernel_selection_failure_names_the_operator_not_its_scope(tmp_path, line, op):
    report = diagnose_text(tmp_path, line + "\n")
    assert_root_cause_says(report, "kb.operator.kernel_select_failed", [f"operator {op} "])
