"""Frameworks around torch_npu on Ascend: PaddlePaddle's NPU plug-in and Paddle Lite, ONNX Runtime's CANN provider,
op-plugin's fused operators (ATB, CANN-version and chip checks) and mmcv's NPU ops.

Each rule's own fixture sits in tests/data/logs/kb/; these lines are other members of the same families, built
from the frameworks' raise sites, and look-alikes that must not be read as them. A return code with many causes
is said as likely, never as the cause.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("line, rule, words", [
    # op-plugin's shorter ways of saying the installed CANN lacks the operator API
    ("RuntimeError: aclnnQuantMatmulV5 support A8W4, please upgrade CANN.", "kb.versions.cann_lacks_op_api",
     ["CANN"]),
    ("RuntimeError: query_rope|key_rope|key_rope_antiquant_scale has value, CANN version should greater than "
     "8.1.RC1!", "kb.versions.cann_lacks_op_api", ["CANN"]),
    ("RuntimeError: group_list don't support Tensor input with current cann version. Please update cann version "
     "to 8.0.RC3 or higher, or use List[int] as input.", "kb.versions.cann_lacks_op_api", ["CANN"]),
    ("RuntimeError: _scaled_mm is supported only on the Ascend950 platform and after.",
     "kb.operator.not_implemented_for_soc", ["Ascend950"]),
    # mmcv's dispatcher: one input left on the CPU
    ("RuntimeError: nms_impl: at param 1, inconsistent device: cpu vs npu:0", "kb.runtime.tensors_on_two_devices",
     ["cpu vs npu:0"]),
    ("RuntimeError: roi_align_rotated_forward_impl: implementation for device npu:3 not found.",
     "kb.operator.mmcv_op_not_built_for_device", ["roi_align_rotated_forward_impl", "FORCE_NPU"]),
    ("RuntimeError: GetApiFuncAddr not found MultiLatentAttentionOperation", "kb.environment.torch_npu_atb_unavailable",
     ["MultiLatentAttentionOperation", "NNAL"]),
    ("RuntimeError: PagedAttentionOperation CreateOperation failed!", "kb.operator.atb_execute_failed",
     ["PagedAttentionOperation"]),
    # PaddlePaddle
    ("ValueError: The device should not be <re.Match object; span=(0, 5), match='npu:1'>, since PaddlePaddle is "
     "not compiled with NPU", "kb.environment.paddle_npu_plugin_missing", ["paddle-custom-npu"]),
    ("W1203 10:21:33.254118 55321 custom_device.cc:1070] Skipped lib [/opt/py/paddle_custom_device/"
     "libpaddle-custom-npu.so]: InitPlugin failed, please check the version compatibility between PaddlePaddle "
     "and Custom Runtime.", "kb.versions.paddle_custom_device_mismatch", ["libpaddle-custom-npu.so"]),
    ("OSError: (External)  HCCL error, the error code is : 7.  (at /paddle/backends/npu/runtime/runtime.cc:880)",
     "kb.launch.paddle_npu_hccl_call_failed", ["7"]),
    ("[F 12/ 3 14:02:11.902 ...huawei_ascend_npu/driver.cc:52 CreateContext] Failed to create context for "
     "huawei_ascend_npu.", "kb.runtime.paddlelite_ascend_device_open_failed", ["huawei_ascend_npu"]),
    ("[F 12/ 3 14:05:19.554 ...huawei_ascend_npu/engine.cc:301 Build] Failed to load a CANN OM model from a buffer!",
     "kb.operator.paddlelite_ascend_om_build_failed", ["OM"]),
    ("MemoryError: (ResourceExhausted) Out of memory error on GPU 0. Cannot allocate 256.000244MB memory on GPU 0, "
     "79.3GB memory has been allocated and available memory is only 2.2MB.", "kb.runtime.paddle_device_oom",
     ["256.000244MB", "GPU 0"]),
    ("RuntimeError: (NotFound) The kernel with key (npu, NCHW, int64) of kernel `flip` is not registered and the "
     "current value of FLAGS_enable_api_kernel_fallback(bool, default true) is false.",
     "kb.operator.paddle_kernel_not_registered", ["flip", "int64", "npu"]),
    ("RuntimeError: cannot pin 'torch.cuda.HalfTensor' only dense CPU tensors can be pinned",
     "kb.data.pin_memory_on_device_tensor", ["torch.cuda.HalfTensor"]),
    # ONNX Runtime's CANN provider: a call no more specific rule knows
    ("[E:onnxruntime:, cann_call.cc:126 CannCall] CANN failure 100000: ACL_ERROR_INVALID_PARAM ; NPU=0 ; "
     "hostname=node01 ; expr=aclrtMemcpyAsync(dst, n, src, n, kind, stream);", "kb.runtime.ort_cann_call_failed",
     ["aclrtMemcpyAsync", "100000"]),
    # torch_npu's own checks
    # an import error whose location was cut off is still a version pair
    ("ImportError: cannot import name 'is_torch_npu_available' from 'transformers.utils'",
     "kb.versions.import_name_missing", ["transformers", "is_torch_npu_available"]),
    # torch_npu prints its two string literals with no space between them
    ("ValueError: rank is absent in RendezvousParameters.Try add --node_rank to the cmd request",
     "kb.launch.rendezvous_arguments_missing", ["node_rank"]),
    ("RuntimeError: NPU graphs must be captured on a non-default stream.", "kb.runtime.npu_graph_capture_default_stream",
     ["torch.npu.graph"]),
    ("RuntimeError: There is unsafe data in the input tensor.\n[ERROR] 2025-06-02 (PID:1, Device:0, RankID:-1) "
     "ERR00003 PTA invalid value", "kb.runtime.hbm_ecc_error", ["hardware"]),
    # Megatron's argument checks as MindSpeed runs them
    ("AssertionError: number of layers of the model must be divisible pipeline model parallel size",
     "kb.parallel.layers_divisible_pp", ["pipeline"]),
    ("ValueError: num-layers should be divisible by target-pipeline-parallel-size", "kb.weights.convert_layers_pp",
     ["target PP"]),
    ("AssertionError: Number of experts(60) is not divisible by ep size(16).",
     "kb.parallel.megatron_experts_not_divisible_ep", ["expert parallel size"]),
    ("AssertionError: Must use --overlap-param-gather-with-optimizer-step with --overlap-param-gather",
     "kb.parallel.megatron_option_needs_option", ["--overlap-param-gather-with-optimizer-step"]),
    ("AssertionError: bf16 and fp16 cannot both be enabled", "kb.parallel.megatron_fp16_and_bf16", ["--bf16"]),
    # TorchAir graph mode
    ("NotImplementedError: torch.ops.aten.linalg_vector_norm.out ge_converter is not implemented!",
     "kb.graph.torchair_no_converter", ["torch.ops.aten.linalg_vector_norm.out", "GE graph"]),
    ("RuntimeError: torch.ops.aten.index_put.default ge_converter is not supported!", "kb.graph.torchair_no_converter",
     ["torch.ops.aten.index_put.default"]),
    ("Status Message: CANN Graph error executing aclgrphParseONNXFromMem(model_data, size, parser_params, graph)",
     "kb.runtime.ort_cann_error_executing", ["aclgrphParseONNXFromMem"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


@pytest.mark.parametrize("line, rule", [
    ("Call aclrtMemcpy(dst, size, src, size, kind) failed : 507011 at file /paddle/backends/npu/runtime/runtime.cc "
     "line 490", "kb.runtime.paddle_npu_acl_call_failed"),
    ("OSError: (External)  ACL error, the error code is : 507015.", "kb.runtime.paddle_npu_acl_error"),
    ("CANN failure 500002: ACL_ERROR_GE_FAILURE ; NPU=0 ; hostname=h ; expr=aclopCompileAndExecute(\"Add\", 2);",
     "kb.runtime.ort_cann_call_failed"),
])
def test_a_bare_return_code_is_said_as_likely_not_as_the_cause(tmp_path, line, rule):
    report = _diagnose(tmp_path, line)
    assert report.root_cause is not None and report.root_cause.rule == rule
    assert report.root_cause.confidence != "confident"


@pytest.mark.parametrize("text, rule, words", [
    ("RuntimeError: head_num must > 0, but got 0\n[ERROR] 2025-06-02-09:12:44 (PID:1, Device:0, RankID:-1) ERR01001 "
     "OPS invalid parameter", "kb.operator.torch_npu_check_refused", ["head_num must > 0"]),
    ("[rank1]: RuntimeError: weight_quant_mode should be 0, 1, 2 or 3, but got 5\n[rank1]: [ERROR] 2025-06-02-09:12:44 "
     "(PID:1, Device:1, RankID:1) ERR01007 OPS feature not supported", "kb.operator.torch_npu_check_refused",
     ["weight_quant_mode should be 0, 1, 2 or 3"]),
])
def test_a_torch_npu_check_is_named_with_its_own_words_as_likely(tmp_path, text, rule, words):
    report = _diagnose(tmp_path, text)
    assert_root_cause_says(report, rule, words)
    assert report.root_cause.confidence != "confident"


def test_a_rule_that_knows_the_check_wins_over_the_torch_npu_catch_all(tmp_path):
    text = ("RuntimeError: Expected all tensors to be on the same device. Expected NPU tensor, please check whether the "
            "input tensor device is correct.\n[ERROR] 2025-06-02-09:12:44 (PID:1, Device:0, RankID:-1) ERR01002 OPS "
            "invalid type")
    assert _diagnose(tmp_path, text).root_cause.rule == "kb.runtime.tensors_on_two_devices"


def test_a_rule_that_knows_the_call_wins_over_the_provider_catch_all(tmp_path):
    line = ("[E:onnxruntime:, cann_call.cc:126 CannCall] CANN failure 207001: (look for ACL_ERROR_xxx in acl.h) ; "
            "NPU=0 ; hostname=h ; expr=aclrtMalloc(&p, bytes, ACL_MEM_MALLOC_HUGE_FIRST);")
    assert _diagnose(tmp_path, line).root_cause.rule == "kb.runtime.ort_cann_device_oom"


@pytest.mark.parametrize("line, rule", [
    # set_device with a GPU string is not the NPU plug-in missing
    ("  File \"train.py\", line 3, in <module>\n    paddle.set_device('gpu:9')\nValueError: The device must be a "
     "string which is like 'cpu', 'gpu', 'gpu:x', 'xpu', 'xpu:x', 'npu', 'npu:x'",
     "kb.environment.paddle_npu_plugin_missing"),
    # a plug-in skipped because another runtime has the same name is not a version mismatch
    ("W1203 custom_device.cc:1060] Skipped lib [/opt/libpaddle-custom-npu.so]. Register failed!!! there may be a "
     "Custom Runtime with the same name.", "kb.versions.paddle_custom_device_mismatch"),
    # ONNX Runtime's graph builder failures have their own rule
    ("CANNGRAPH failure 1343225857: GRAPH_FAILED ; NPU=0 ; hostname=h ; expr=aclgrphBuildModel(graph, opts, om);",
     "kb.runtime.ort_cann_call_failed"),
    ("Please upgrade pip to the latest version.", "kb.versions.cann_lacks_op_api"),
    # a CANN call that failed is not an argument check
    ("RuntimeError: call aclnnAdd failed\n[ERROR] 2025-06-02-09:12:44 (PID:1, Device:0, RankID:-1) ERR01100 OPS call "
     "acl api failed", "kb.operator.torch_npu_check_refused"),
    ("RuntimeError: Capture must end on the same stream it began on.", "kb.runtime.npu_graph_capture_default_stream"),
    # Megatron on a GPU host without CUDA is not MindSpeed missing
    ("Traceback (most recent call last):\nAssertionError: Megatron requires CUDA.", "kb.environment.megatron_adaptor_not_loaded"),
    ("AssertionError: Number of layers should be divisible by the number of experts", "kb.parallel.layers_divisible_pp"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, line).findings}
