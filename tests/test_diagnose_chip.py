"""The chip family (validators/data/kb/chip.yaml): a model, build or framework made for another SoC, operators
and dtypes a chip lacks, the AI Core's limits and failures. Each rule names other members of its family in the
frameworks' own wording, yields to a rule that knows the member better, and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; these lines are the same messages with other
operators, chips and dtypes, built from the format strings of the sources each rule cites.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose




@pytest.mark.parametrize("line, rule, words", [
    ("[ACL ERROR] EE1001: [PID: 9] 2025-01-01-00:00:00.000.001 The argument is invalid.Reason: "
     "ModelCheckCompatibility failed, supported socVersion=Ascend910B4, but the model socVersion=Ascend310P3",
     "kb.environment.om_soc_mismatch", ["Ascend310P3", "Ascend910B4", "atc"]),
    ("RuntimeError: Unsupported soc_version: AscendDeviceType.A5", "kb.operator.framework_soc_unsupported",
     ["not supported"]),
    ("ValueError: Unable to recognize chip name: 910X, please manually set env SOC_VERSION",
     "kb.operator.framework_soc_unsupported", ["SOC_VERSION"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.001 Tensor self not implemented for DT_INT64, should be in dtype "
     "support list [DT_FLOAT,DT_INT32,].", "kb.operator.dtype_not_supported", ["DT_INT64", "self"]),
    ("tensor 0 not implemented for DT_BF16, should be in dtype support list [DT_FLOAT16,DT_FLOAT,].",
     "kb.operator.bf16_unsupported", ["float16"]),
    ("EZ9903: [PID: 4] 2025-01-01-00:00:00.000.001 QuantBatchMatmul support for Ascend910 is not implemented in a4w4 "
     "scenario.", "kb.operator.not_implemented_for_soc", ["Ascend910"]),
    ("RuntimeError: npu_ciou_backward is not supported on Ascend950 and above", "kb.operator.not_implemented_for_soc",
     ["Ascend950"]),
    ("RuntimeError: aclnnAddRmsNormBias or aclnnAddRmsNormBiasGetWorkspaceSize not in libopapi.so, or "
     "libopapi.sonot found.", "kb.operator.opapi_missing", ["aclnnAddRmsNormBias", "ASCEND_CUSTOM_OPP_PATH"]),
    ("EZ3002: Optype [MatMulV2] of Ops kernel [AIcoreEngine] is unsupported. Reason: The dtype of x1 is DT_INT8.",
     "kb.operator.no_kernel_for_op", ["MatMulV2"]),
    ("[ERROR] OP(77,python):2025-01-01-00:00:00.000.001 Tiling failed: ub size 65536 is not enough, ubSizeAlign 131072.",
     "kb.operator.unified_buffer_exceeded", ["Unified Buffer"]),
    ("[ERROR] OP(77,python):2025-01-01-00:00:00.000.001 UB too small: ubCapacityElem=12",
     "kb.operator.unified_buffer_exceeded", ["Unified Buffer"]),
    ("[ERROR] RUNTIME(5,python):2025-01-01-00:00:00.000.001 [davinic_kernel_task.cc:1219]5 PreCheckTaskErr:"
     "Kernel task happen error, retCode=0x26, [aicore timeout].", "kb.runtime.aicore_op_timeout", ["time limit"]),
    ("[PID: 3] 2025-01-01-00:00:00.000.001 Memory_Allocation_Failure(EL0004): Failed to allocate memory requested by "
     "HCCL module.", "kb.runtime.device_memory_el0004", ["insufficient"]),
    ("[ERROR] RUNTIME(7,python):2025-01-01-00:00:00.000.001 [device_error_core_proc.cc:545]7 The error from device(0), "
     "serial number is 3, there is an error of aivec, core id is 2, error code = 0x10, dump info: pc start: 0x1",
     "kb.runtime.aicore_error", ["CPU tensor"]),
    ("RuntimeError: Op FlashAttentionScore does not has any binary.", "kb.environment.op_kernels_missing",
     ["operator package"]),
    ("Aicpu kernel execute failed, device_id=0, stream_id=2, task_id=9, fault op_name=GatherD", "kb.runtime.aicpu_kernel_failed",
     ["AI CPU"]),
    ("The error from device(chipId:0, dieId:0), serial number is 4, aicore task timeout dfx, falut_stream_id=2, "
     "falut_task_id=3, falut_slot_id=0, timeout and own_bitmap=0", "kb.runtime.aicore_op_timeout", ["time limit"]),
    ("RuntimeError: Current NPU Device does not support bfloat16. Please switch dtype to float16.",
     "kb.operator.bf16_unsupported", ["float16"]),
    ("RuntimeError: npu_mla_prolog not support on this soc version, please use npu_mla_prolog_v3",
     "kb.operator.platform_unsupported", ["chip"]),
    ("(EngineCore_DP0 pid=3) ERROR 01-01 00:00:00 [core.py:1] ValueError: MLA is not supported on 310P currently.",
     "kb.operator.not_implemented_for_soc", ["310P"]),
    ("ValueError: MXFP MoE quantization is only supported on Ascend A5.", "kb.operator.feature_chip_only", ["A5"]),
    ("RuntimeError: call aclnnAdaptiveAvgPool2d failed, detail:EZ1001: [PID: 5] 2025-01-01-00:00:00.000.001 The "
     "selfDimN[2]/outDimN[3] or selfDimC[4]/outDimC[4] not equal .", "kb.operator.aclnn_param_invalid", ["EZ1001"]),
    ("NotImplementedError: Could not run 'aten::_fused_rms_norm' with arguments from the 'PrivateUse1' backend. This "
     "could be because the operator doesn't exist for this backend", "kb.operator.torch_op_no_npu_kernel",
     ["aten::_fused_rms_norm", "torch_npu"]),
    ("RuntimeError: The operator 'aten::unique_dim' would execute its main computation on CPU through dispatcher backend "
     "fallback because no kernel is registered for the NPU PrivateUse1 backend, but CPU fallback is disabled by "
     "TORCH_NPU_FALLBACK_CPU_DISABLE=1.", "kb.operator.torch_op_no_npu_kernel", ["aten::unique_dim"]),
    ("RuntimeError: Unsupported soc version: Ascend910 9591", "kb.operator.framework_soc_unsupported", ["torch_npu"]),
    ("E76002: [PID: 8] 2025-01-01-00:00:00.000.001 No ONNX parser is registered for optype [GridSample].",
     "kb.operator.no_kernel_for_op", ["GridSample"]),
    ("E60118: Invalid platform,only support [Ascend910B, Ascend910_93]", "kb.operator.feature_chip_only",
     ["Ascend910B, Ascend910_93"]),
    ("EH0011: [PID: 2] 2025-01-01-00:00:00.000.001 The current system or device does not support host register.",
     "kb.runtime.device_feature_unsupported", ["host register", "driver"]),
    ("RuntimeError: aclnnMaxPool2dWithIndices is not supported on 910A", "kb.operator.not_implemented_for_soc",
     ["910A"]),
    ("RuntimeError: Interface npu_incre_flash_attention is no longer supported on Ascend950.",
     "kb.operator.not_implemented_for_soc", ["Ascend950"]),
    ("TVMError: [EB3000] Memory allocation check failed. Reason: the buffer of tensor x is out of range.",
     "kb.operator.op_compile_failed", ["compile"]),
    ("[PID: 4] 2025-01-01-00:00:00.000.001 Insufficient_Model_Resources(EL0011): The model resources are insufficient.",
     "kb.runtime.device_resources_insufficient", ["npu-smi"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words, with_fix=True)


def test_both_soc_versions_outrank_the_bare_return_code(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "EE1001: The argument is invalid.Reason: ModelCheckCompatibility failed, supported socVersion=Ascend910B2, "
        "but the model socVersion=Ascend910B",
        "rtModelCheckCompatibility execute failed, reason=[soc version error]",
        "load model failed, error code is 507008",
    ]))
    assert report.root_cause.rule == "kb.environment.om_soc_mismatch"


def test_index_out_of_range_outranks_the_general_ai_core_failure(tmp_path):
    """0x800000 names its cause (an index past the end); the AI Core family rule around it stands down."""
    report = _diagnose(tmp_path, "\n".join([
        "EZ9999: [PID: 1] 2025-01-01-00:00:00.000.001 The error from device(chipId:0, dieId:0), serial number is 2, "
        "there is an aicore error exception, core id is 7, error code = 0x800000, dump info: pc start: 0x1",
        "        Aicore kernel execute failed, device_id=0, stream_id=3, task_id=17, fault kernel_name=GatherV2_9d1f",
    ]))
    assert report.root_cause.rule == "kb.runtime.aicore_index_out_of_range"
    assert "kb.runtime.aicore_error" not in {finding.rule for finding in report.findings}
    # Another error code: the family rule speaks.
    report = _diagnose(tmp_path, "there is an aicore error exception, core id is 7, error code = 0x10, dump info")
    assert report.root_cause.rule == "kb.runtime.aicore_error"


def test_a_cpu_fallback_warning_is_never_the_root_cause(tmp_path):
    """torch_npu's fallback CAUTION is a slow step, not a failure: the error after it is the root cause."""
    report = _diagnose(tmp_path, "\n".join([
        "UserWarning: CAUTION: The operator 'aten::isin.Tensor_Tensor_out' is not currently supported on the NPU "
        "backend and will fall back to run on the CPU. This may have performance implications.",
        "RuntimeError: Unsupported soc_version: AscendDeviceType.A5",
    ]))
    assert report.root_cause.rule == "kb.operator.framework_soc_unsupported"
    assert "kb.operator.torch_op_no_npu_kernel" not in {finding.rule for finding in report.findings}
    assert "kb.operator.torch_op_cpu_fallback" in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("line, rule", [
    ("[INFO] model socVersion=Ascend910B3 matches the device", "kb.environment.om_soc_mismatch"),
    ("[INFO] step 12, 507008 tokens processed", "kb.runtime.acl_soc_version_error"),
    ("[INFO] soc_version: Ascend910B3, device type A2", "kb.operator.framework_soc_unsupported"),
    ("NotImplementedError: support for streaming is not implemented yet", "kb.operator.not_implemented_for_soc"),
    ("[INFO] Ascend910B3 not supporting HCCS fallback disabled", "kb.operator.not_implemented_for_soc"),
    ("[INFO] ub size is 196608, tiling factor 12", "kb.operator.unified_buffer_exceeded"),
    ("[WARNING] disk space on /data is not enough, cleaning the cache", "kb.operator.unified_buffer_exceeded"),
    ("[WARNING] the club size is too small to matter", "kb.operator.unified_buffer_exceeded"),
    ("[INFO] Aicore kernel execute succeeded, task_id=3", "kb.runtime.aicore_kernel_failed"),
    ("[INFO] op execute timeout set to 68 s", "kb.runtime.aicore_op_timeout"),
    ("[INFO] aclnnMatmul found in libopapi.so", "kb.operator.opapi_missing"),
    ("[INFO] op[Range] output size 64", "kb.operator.range_size_mismatch"),
    ("WARNING 01-01 00:00:00 [platform.py:1] npugraph_ex is not supported on Ascend 310P. Disabling it.",
     "kb.operator.not_implemented_for_soc"),
    ("[INFO] fused MoE is only supported on request, default off", "kb.operator.feature_chip_only"),
    ("[INFO] op Slice has binary for Ascend910B3", "kb.environment.op_kernels_missing"),
    ("[INFO] aicpu kernel executed, op_name=GatherD", "kb.runtime.aicpu_kernel_failed"),
    ("[INFO] error code = 0x800000 is reserved for tests", "kb.runtime.aicore_index_out_of_range"),
    ("[INFO] torch.npu.is_bf16_supported() = True, amp dtype bfloat16", "kb.operator.bf16_unsupported"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    report = _diagnose(tmp_path, line)
    assert rule not in {finding.rule for finding in report.findings}
