"""Ops / serving / build families met in the eighth held-out set: each rule reads another member of its family
(another kernel, library, wording), yields where a more specific message is near, and stays quiet on look-alikes.
The lines are made up in the shape of the frameworks' own messages (CANN ops, runtime, torch_npu, ggml-cann,
LMCache-Ascend), not copied from any report."""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    # the runtime's coreDim check for any kernel, not only Triton's own message
    ("_topk_gather_kernel launch failed: because value 90000 for parameter coreDim is invalid. Expected value: "
     "less than or equal to 65535.", "kb.operator.kernel_core_dim_invalid", ["90000", "65535"]),
    # the NZ group-size rule names the sizes the message allows
    ("AclNN_Parameter_Error(EZ1001): when weight's dtype is [int4], weight's format is [FRACTAL_NZ], "
     "antiquantGroupSize should be 128 or 64, but actual antiquantGroupSize is [512].",
     "kb.operator.weight_quant_nz_group_size", ["128 or 64", "group size"]),
    # unpacking the capability tuple on an NPU
    ("  File \"/srv/app/setup.py\", line 8, in pick_dtype\n    major, minor = torch.cuda.get_device_capability()\n"
     "TypeError: cannot unpack non-iterable NoneType object", "kb.environment.cuda_capability_none_on_npu", ["None"]),
    # the old single-file CANN backend path of ggml
    ("/src/llama.cpp/ggml/src/ggml-cann.cpp:880:5: error: 'ggml_backend_cann_buffer_type_get_name' was not "
     "declared in this scope", "kb.environment.ggml_cann_source_build_failed", ["interface"]),
    ("csrc/half_utils.h:12:9: error: unknown type name 'float16_t'", "kb.environment.float16_t_arm_only",
     ["aarch64", "x86_64"]),
    # a paged attention block size the no-quant path refuses, said as the engine's page size
    ("EZ9999: In NO_QUANT situation, block_size should aligned to 16, but got 4.",
     "kb.operator.attention_kv_block_size_refused", ["page size", "16"]),
    ("  File \"/m/attn.py\", line 40, in forward\n    attn_weights = torch.matmul(q, k.transpose(2, 3)) * scale\n"
     "RuntimeError: NPU out of memory. Tried to allocate 20.00 GiB (NPU 0; 29.50 GiB total capacity)",
     "kb.runtime.npu_oom_attention_scores", ["score matrix"]),
    # a padding mask expanded into a dense Q x K attention mask, the message wrapped after its first sentence
    ("  File \"/m/dit.py\", line 9, in forward\n    attention_mask = pad_mask[:, None, None, :].expand(b, 1, q_len, k_len)\n"
     "torch.OutOfMemoryError: NPU out of memory.\nTried to allocate 12.00 GiB.",
     "kb.runtime.npu_oom_attention_scores", ["dense", "mask", "12.00 GiB"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule", [
    # a comparison TypeError is Python's, not a framework saying a feature is not supported
    ("TypeError: '<' not supported between instances of 'str' and 'int'", "kb.operator.feature_not_supported"),
    # None compared without a capability query near: some other value was None
    ("  File \"/a/b.py\", line 3, in f\n    if cfg.max_len < 10:\n"
     "TypeError: '<' not supported between instances of 'NoneType' and 'int'",
     "kb.environment.cuda_capability_none_on_npu"),
    # an OOM with no attention call above it is the general OOM
    ("  File \"/a/train.py\", line 90, in step\n    loss.backward()\n"
     "RuntimeError: NPU out of memory. Tried to allocate 2.00 GiB (NPU 0; 29.50 GiB total capacity)",
     "kb.runtime.npu_oom_attention_scores"),
    # the model's top-level call passing a mask along is not the attention building one
    ("  File \"/a/train.py\", line 70, in step\n    outputs = model(input_ids, attention_mask=attention_mask)\n"
     "RuntimeError: NPU out of memory. Tried to allocate 1.00 GiB (NPU 0; 29.50 GiB total capacity)",
     "kb.runtime.npu_oom_attention_scores"),
    # a segfault with no profiler near is not the profiler's
    ("INFO: model loaded\n!!!!!!! Segfault encountered !!!!!!!\n  File \"<unknown>\", line 0, in ncclNetInit",
     "kb.runtime.torch_npu_profiler_stop_crash"),
    # an aclnn header the installed CANN lacks is the CANN version, not the backend source
    ("/src/llama.cpp/ggml/src/ggml-cann/aclnn_ops.cpp:31:10: fatal error: aclnnop/aclnn_rope.h: No such file or "
     "directory", "kb.environment.ggml_cann_source_build_failed"),
    # another HCCL agent call failing is not a memory registration
    ("RuntimeError: HcclAgent Init failed | HCCL Error Code: 7", "kb.serving.lmcache_hccl_register_mem_failed"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_illegal_instruction_is_said_before_the_any_aicore_error(tmp_path):
    line = ("The error from device(2), serial number is 7, there is an aivec error, core id is 1, error code = 0x10, "
            "dump info: pc start: 0x1, current: 0x2, errorStr: Illegal instruction, which is usually caused by "
            "unaligned UUB addresses.[FUNC:PrintCoreErrorInfo][FILE:device_error_proc.cc][LINE:532]")
    report = _diagnose(tmp_path, line)
    assert report.root_cause.rule == "kb.runtime.aicore_illegal_instruction"
    assert report.root_cause.confidence != "confident"


@pytest.mark.parametrize("text", [
    # inside ggml's CANN backend an aclnn API the installed CANN lacks is the CANN version, not the backend source
    "/b/llama.cpp/ggml/src/ggml-cann/aclnn_ops.cpp:2301:9: error: 'aclnnGroupedMatmulV4GetWorkspaceSize' was not "
    "declared in this scope",
    # the linker's wording of the same
    "/usr/bin/ld: CMakeFiles/ep.dir/cann_kernels.cc.o: in function `run_gelu': cann_kernels.cc:(.text+0x1c4): "
    "undefined reference to `aclnnGeluV2'",
])
def test_an_aclnn_api_the_installed_cann_lacks_is_said_as_the_cann_version(tmp_path, text):
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.versions.aclnn_api_missing_at_build"
    assert "kb.environment.ggml_cann_source_build_failed" not in {finding.rule for finding in report.findings}
