"""Libraries with a CANN backend of their own (validators/data/kb/cann_backends.yaml), the start-up checks of the
serving stacks on Ascend (serving_ascend_checks.yaml, serving_vllm_core.yaml), MindIE's own error codes (serving_mindie_codes.yaml), HCCL's
return codes and the operator families added beside them: the other members of each family, and the look-alike
lines they must leave to another rule.

The fixtures of tests/data/logs/kb/ show one member each; these lines follow the message formats of llama.cpp's
ggml-cann backend and ggml-alloc, ONNX Runtime's CANN execution provider (cann_call.cc), CANN ops-nn's norm,
conv3d, kthvalue, quantized matmul and MoE dispatch checks, triton-ascend's launcher build and autotuner, CANN's HcclResult / HcclGetErrorString, MindIE-LLM's error code table,
vLLM, vllm-ascend and lmdeploy.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    ("ggml_gallocr_reserve_n: failed to allocate CANN1 buffer of size 8589934592",
     "kb.runtime.ggml_cann_device_oom", ["-ngl", "-c"]),
    ("llama_model_load: error loading model: unable to allocate CANN0 buffer",
     "kb.runtime.ggml_cann_device_oom", ["another process"]),
    ("ggml_cann_init: failed to initialize CANN: EE1001: [PID: 9] The argument is invalid.",
     "kb.environment.ggml_cann_init_failed", ["set_env.sh"]),
    ("onnxruntime.capi.onnxruntime_pybind11_state.Fail: [ONNXRuntimeError] : 1 : FAIL : CANNGRAPH failure 1343225857:"
     " (look for graphStatus in ge_error_codes.h) ; NPU=0 ; hostname=h1 ; expr=aclgrphParseONNXFromMem(string_model."
     "data(), string_model.size(), parser_params, graph);",
     "kb.operator.ort_cann_graph_build_failed", ["aclgrphParseONNXFromMem", "E-code"]),
    ("CANN failure 207001: (look for ACL_ERROR_xxx in acl.h) ; NPU=3 ; hostname=h1 ; expr=aclrtMallocHost("
     "reinterpret_cast<void**>(&p), size);", "kb.runtime.ort_cann_device_oom", ["NPU 3", "allocator"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Shape of gamma should be equal to last dims of shape x",
     "kb.operator.norm_weight_shape_mismatch", ["hidden_size"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 The input tensor's dimensions must not be smaller than "
     "normalizedShape's size.", "kb.operator.norm_weight_shape_mismatch", ["LayerNorm"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 Selected index k out or range (max num of self.size(1) is 8, "
     "but k is 16)", "kb.operator.topk_k_out_of_range", ["k"]),
    ("E69999: Inner Error! The value of filter_h_dilation must be less than or equal to (fmap_h + pad_u + pad_d)=[6]",
     "kb.operator.conv_input_smaller_than_kernel", ["padding"]),
    ("AssertionError: cudagraph_capture_sizes [1, 2, 4] does not containvalues that are multiples of tp_size 8",
     "kb.serving.graph_capture_sizes_inconsistent", ["cudagraph_capture_sizes"]),
    ("ValueError: enable_mc2_hierarchy_comm supports at most 512 experts, but got 640 experts (512 logical experts "
     "+ 128 EPLB redundant experts).", "kb.serving.ascend_feature_combination_refused",
     ["enable_mc2_hierarchy_comm", "512 experts"]),
    ("ValueError: Number of heads (28) cannot be evenly divided by TP (8).",
     "kb.serving.heads_not_divisible_by_tp", ["28", "8"]),
    ("EZ9999: [PID: 1] 2025-01-01-00:00:00.000.000 epWorldSize should be in the list[8, 16, 32, 64, 128, 144, 256, "
     "288], but got epWorldSize = 4.", "kb.operator.moe_dispatch_ep_layout_refused", ["expert-parallel"]),
    ("EZ9999: [PID: 1] 2025-01-01-00:00:00.000.000 K is larger than moeExpertNum, K is 8, moeExpertNum is 4",
     "kb.operator.moe_gating_config_refused", ["top-k"]),
    # HcclResult codes through torch_npu's HCCL_CHECK_ERROR and vllm-ascend's pyhccl
    ("RuntimeError: HCCL function error: HcclCommInitRootInfoConfig(numRanks, &rootInfo, rank, config, "
     "&(comm->hcclComm_)), error code is 1", "kb.runtime.hccl_call_argument_refused", ["world size"]),
    ("RuntimeError: HCCL error: call driver api fail", "kb.runtime.hccl_call_inner_failure", ["earlier error"]),
    ("RuntimeError: HCCL error: open file fail", "kb.launch.hccl_call_resource_missing", ["RANK_TABLE_FILE"]),
    # MindIE's own codes
    ("[ERROR] [model.cpp:417] Device out of memory during a previous asynchronous step (Execute). Error code: "
     "MIE05E000005. Enable log: export ASCEND_GLOBAL_LOG_LEVEL=3", "kb.serving.mindie_npu_memory_code",
     ["maxPrefillTokens"]),
    ("[server] [ERROR] [config_manager.cpp:1] [MIE04E030102] npuDeviceIds size must be equal to modelInstanceNumber",
     "kb.serving.mindie_config_code", ["MIE04E030102", "npuDeviceIds"]),
    ("[server] [ERROR] [MIE04E020108] Load certificate failed", "kb.serving.mindie_https_certificates", ["HTTPS"]),
    ("RuntimeError: TEXT_GENERATOR_HBM_MULTI_BIT_ECC_ERROR fault happened, error code: MIE05E01000B.",
     "kb.runtime.hbm_ecc_error", ["hardware"]),
    ("RuntimeError: TEXT_GENERATOR_PD_PULL_KV_ERROR fault happened, error code: MIE05E01001A.",
     "kb.serving.pd_kv_pull_failed", ["KV cache"]),
    # vLLM's own checks under vllm-ascend
    ("ValueError: The decoder prompt (length 33000) plus the number of requested output tokens (at least 1) is "
     "longer than the maximum model length of 32768.", "kb.serving.prompt_over_max_model_len", ["33000", "32768"]),
    ("ValueError: Not enough resources to allocate 4 placement groups, only created 2 placement groups. Available "
     "resources: {'NPU': 8.0}", "kb.serving.dp_resources_short", ["2", "4"]),
    ("ValueError: data_parallel_rank (2) must be in the range [0, 2)", "kb.serving.parallel_rank_or_split_invalid",
     ["--data-parallel-rank"]),
    ("ValueError: cudagraph_capture_sizes and compilation_config.cudagraph_capture_sizes are mutually exclusive",
     "kb.serving.options_mutually_exclusive", ["compilation_config.cudagraph_capture_sizes"]),
    ("ValueError: No valid cudagraph sizes after rounding to multiple of 4 (num_speculative_tokens + 1 or tp if "
     "sequence parallelism is enabled)", "kb.serving.graph_capture_sizes_inconsistent", ["cudagraph_capture_sizes"]),
    ("ValueError: Target and draft model should have the same vocabulary size. Target model vocab_size=151936. "
     "Draft model vocab_size=32000.", "kb.serving.speculative_config_invalid", ["same vocabulary size"]),
    ("ValueError: Unknown dtype: bf32", "kb.serving.flag_value_unknown", ["bf32"]),
    # quantized operators a chip does not implement
    ("EZ9999: [PID: 1] 2025-01-01-00:00:00.000.000 GMM: quant cases do not support on Ascend310P.",
     "kb.operator.quant_op_not_on_chip", ["310P"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 AclnnQuantMatmul do not support this platform: Ascend310P3.",
     "kb.operator.quant_op_not_on_chip", ["W4A8"]),
    ("ValueError: the number of NPUs 4 must be greater than or equal to the number of redundant experts 8",
     "kb.serving.eplb_redundant_experts_invalid", ["redundant"]),
    ("AssertionError: Ascend MoE LoRA is incompatible with dynamic EPLB (expert migration would break the per-expert "
     "LoRA layout).", "kb.serving.ascend_feature_combination_refused", ["Ascend MoE LoRA", "dynamic EPLB"]),
])
def test_every_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule", [
    # another ggml backend's buffer: not the NPU
    ("ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 8589934592", "kb.runtime.ggml_cann_device_oom"),
    # ONNX Runtime's CANN provider failing on another call than an allocation
    ("CANN failure 507011: (look for ACL_ERROR_xxx in acl.h) ; NPU=0 ; hostname=h ; expr=aclrtSynchronizeStream(s);",
     "kb.runtime.ort_cann_device_oom"),
    # a MindIE Server code of another family (an internal error) is not a configuration check
    ("[ERROR] [MIE04E13030A] Unknown execute_type 9", "kb.serving.mindie_config_code"),
    # HCCL's timeout keeps its own rule
    ("RuntimeError: HCCL error: timeout", "kb.runtime.hccl_call_inner_failure"),
    # GroupedMatmul's weight-only (antiquant) check on 310P keeps its own dtype rule
    ("EZ9999: GMM Xtype:DT_FLOAT16 Wtype:DT_INT8: antiquant cases do not support on Ascend310P",
     "kb.operator.quant_op_not_on_chip"),
    # a compile failure of some other build, with no Triton near it
    ("RuntimeError: Failed to compile /src/ext/foo.cpp, error: foo.cpp:1: error: expected ';'",
     "kb.operator.triton_launcher_build_failed"),
    # a layer norm's gamma dtype check is not a shape mismatch
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 The dtype of gamma must be the same as self or FLOAT",
     "kb.operator.norm_weight_shape_mismatch"),
])
def test_a_look_alike_line_is_left_to_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_the_backend_oom_comes_before_the_code_the_runtime_passed_on(tmp_path):
    text = ("ggml_backend_cann_buffer_type_alloc_buffer: allocating 35420.45 MiB on device 0: aclrtMalloc failed: "
            "EL0004: [PID: 2817] 2025-03-02-11:20:41.010.220 Failed to allocate memory.")
    assert_root_cause_says(diagnose_text(tmp_path, text), "kb.runtime.ggml_cann_device_oom", ["NPU", "-ngl"])
