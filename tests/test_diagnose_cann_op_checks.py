"""Single operators' argument checks (validators/data/kb/cann_op_checks.yaml) and the families beside them that
name what a log's own message says: the operator, dtype, layout, device id or model type it gives, and quiet on
look-alike lines another rule (or "unsure") explains better.

The fixtures of tests/data/logs/kb/ show one member each; these are the other members and the look-alikes,
built from the message formats of CANN's operators and runtime, triton-ascend, MindSpore's MnistOp and build,
npu-smi, vllm-ascend's PyHcclCommunicator and transformers.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 only support kD >= vD, but got kD=96 vD=192",
     "kb.operator.flash_attention_kd_lt_vd", ["kD=96", "vD=192"]),
    ("EZ1001: [PID: 1] 2025-01-01-00:00:00.000.000 qD and kD should be same, but got qD=192 kD=128",
     "kb.operator.flash_attention_head_dims_refused", ["head dims"]),
    ("[PID: 3] 2025-01-01 AclNN_Parameter_Error(EZ1001): Bfloat16 is unsupported by the current SOC version "
     "[Ascend310P3], now self is DT_BF16, mat2 is DT_BF16, out is DT_BF16", "kb.operator.bf16_unsupported",
     ["bfloat16"]),
    ("[PID: 5] 2025-01-01 AclNN_Parameter_Error(EZ1001): Self dtype DT_FLOAT16 or mat2 dtype DT_FLOAT not support "
     "under keep type mode.", "kb.operator.matmul_fp32_keep_dtype", ["float32", "DT_FLOAT16/DT_FLOAT"]),
    ("[rank0]:[E731 07:58:03.605457886 compiler_depend.ts:429] SelfAttentionOperation setup failed!",
     "kb.operator.atb_op_setup_failed", ["ATB"]),
    ("RuntimeError: Unexpected error. Invalid mnist file, the image number of /data/mnist/t10k-images-idx3-ubyte "
     "should be 2051, but got 529205256", "kb.data.ms_mnist_file_invalid",
     ["/data/mnist/t10k-images-idx3-ubyte", "529205256", "2051"]),
    ("Communication_Error_Bind_IP_Port(EJ0003): Failed to bind the IP port.\nReason: The IP address and port have "
     "been bound already.", "kb.launch.hccl_port_in_use", ["port"]),
    ("(VllmWorker rank=0 pid=1) ERROR [multiproc_executor.py:1] ValueError: The checkpoint you are trying to load "
     "has model type `qwen3_next` but Transformers does not recognize this architecture.",
     "kb.serving.model_type_newer_than_stack", ["qwen3_next", "vllm-ascend"]),
    # the runtime's own words for ACL_ERROR_RT_CONTEXT_NULL
    ("EE1001: [PID: 7] 2026-01-01-00:00:00.000.000 The argument is invalid.Reason: rtGetDevMsg execution failed, the "
     "context is a null pointer.", "kb.runtime.acl_context_null", ["set_device"]),
])


def test_every_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_a_bundled_library_whose_configure_breaks_is_an_incomplete_download(tmp_path):
    text = ("./configure: line 13028: syntax error near unexpected token `)'\n"
            "CMake Error at cmake/utils.cmake:179 (message):\n"
            "  error! when ./configure;--prefix=/b/.mslib/ompi_4.0.3_00\n  in /b/_deps/ompi-src")
    assert_root_cause_says(diagnose_text(tmp_path, text), "kb.environment.build_third_party_download", ["download"])


def test_a_shell_script_of_ones_own_with_a_syntax_error_is_not_a_download(tmp_path):
    text = "./run.sh: line 12: syntax error near unexpected token `fi'"
    rules = {finding.rule for finding in diagnose_text(tmp_path, text).findings}
    assert "kb.environment.build_third_party_download" not in rules


def test_a_generic_atb_setup_failure_is_said_as_likely(tmp_path):
    report = diagnose_text(tmp_path, "[rank0]:[E1 00:00:00.0 compiler_depend.ts:429] PagedAttentionOperation setup failed!")
    assert report.root_cause.rule == "kb.operator.atb_op_setup_failed"
    assert report.root_cause.confidence != "confident"


@pytest.mark.parametrize("text, rule", [
    # a setup failure with no ATB frame near it is not ATB's
    ("  File \"app.py\", line 3, in main\nRuntimeError: setup failed!", "kb.operator.atb_op_setup_failed"),
    # the same assertion in another library's code
    ("  File \"/opt/lib/mymodel/utils.py\", line 9, in to\n    assert isinstance(device, torch.device)\n"
     "AssertionError", "kb.serving.pyhccl_device_not_torch_device"),
    # an npu-smi call that names no NPU id
    ("subprocess.CalledProcessError: Command '['npu-smi', 'info']' returned non-zero exit status 8.",
     "kb.environment.npu_smi_query_failed"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_a_model_type_outside_vllm_stays_a_transformers_upgrade(tmp_path):
    text = ("  File \"train.py\", line 12, in <module>\n    config = AutoConfig.from_pretrained(path)\n"
            "ValueError: The checkpoint you are trying to load has model type `qwen3_next` but Transformers does not "
            "recognize this architecture.")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.versions.transformers_too_old"


def test_an_aicpu_exception_that_names_no_operator_is_said_as_likely(tmp_path):
    # The task-level line names neither the operator nor its inputs: a confident answer would be a guess.
    report = diagnose_text(tmp_path, "[ERROR] The aicpu execution is abnormal.\n"
                                     "Kernel task happen error, retCode=0x2a, [aicpu exception].")
    assert report.root_cause.rule == "kb.runtime.aicpu_kernel_failed"
    assert report.root_cause.confidence != "confident"


def test_an_out_of_memory_message_wrapped_after_its_first_sentence_still_gives_the_size(tmp_path):
    report = diagnose_text(tmp_path, "torch.OutOfMemoryError: NPU out of memory.\nTried to allocate 3.50 GiB.")
    assert_root_cause_says(report, "kb.runtime.npu_oom_torch", ["3.50 GiB"])
    # without the size line under it, no placeholder is left unfilled: the line is left to the fallback
    alone = diagnose_text(tmp_path, "torch.OutOfMemoryError: NPU out of memory.")
    assert all("{size}" not in (finding.title or "") for finding in alone.findings)


def _ez9999(message: str, op: str, file: str) -> str:
    """The block torch_npu and CANN print when an operator's host-side check refuses its inputs."""
    return (f"RuntimeError: call aclnn{op} failed, error code is 561103\n"
            "EZ9999: Inner Error!\n"
            f"EZ9999[PID: 5] 2025-01-01-00:00:00.000.000 (EZ9999):  {message}[FUNC:Check][FILE:{file}][LINE:9]\n"
            "       Tiling failed")


@pytest.mark.parametrize("text, rule, words", [
    # rotary embedding: the partial-rotary family in its other wordings
    (_ez9999("x and cos shape in dimension D are not equal, do not support.", "RotaryPositionEmbeddingGrad",
             "rope_half_grad_tiling.cpp"), "kb.operator.rope_partial_rotary_refused", ["rotary_dim"]),
    (_ez9999("The last dim of inputs x, cos, sin is inconsistent.", "RotaryPositionEmbedding",
             "rope_interleaved_tiling.cpp"), "kb.operator.rope_partial_rotary_refused", ["rotary_dim"]),
    ("[ERROR] RopeOperation_0 rotaryCoeff:(64) is not divisible by COS dim[1](96)",
     "kb.operator.rope_partial_rotary_refused", ["cos"]),
    # rotary embedding: head dims the fused operators do not take
    (_ez9999("input last dim (head_dim) must be an even number.", "RotaryPositionEmbedding",
             "rope_rotate_half_tiling.cpp"), "kb.operator.rope_head_dim_refused", ["even"]),
    ("[ERROR] RopeOperation_1 head_size or head_size / 2 must be greater than or equal to 16!",
     "kb.operator.rope_head_dim_refused", ["16"]),
    # matrix multiplies
    ("RuntimeError: call aclnnMatmul failed, detail:EZ1001: [PID: 2] 2025-01-01-00:00:00.000.000 The k-axis of the "
     "two inputs are different, self Kdim[4096], mat2 Kdim[5120].", "kb.operator.matmul_k_axis_mismatch",
     ["4096", "5120"]),
    ("RuntimeError: call aclnnMatmul failed, detail:EZ1001: [PID: 2] 2025-01-01-00:00:00.000.000 self's dtype "
     "[DT_BFLOAT16] and mat2's dtype [DT_FLOAT] are not equal.", "kb.operator.input_dtype_mismatch", ["dtype"]),
    ("EZ1001: [PID: 2] 2025-01-01-00:00:00.000.000 batchmatmulweightnz is unsupported in this npu arch",
     "kb.operator.matmul_weight_nz_unsupported", ["NZ"]),
    # quantized matrix multiplies
    ("RuntimeError: call aclnnWeightQuantBatchMatmulV2 failed, detail:EZ1001: [PID: 2] 2025-01-01-00:00:00.000.000 "
     "antiquantGroupSize should be an integer multiple of 32, actual is 48.", "kb.operator.quant_matmul_shape_refused",
     ["32", "48"]),
    ("EZ1001: [PID: 2] 2025-01-01-00:00:00.000.000 only support antiquantScale tensor is contiguous.",
     "kb.operator.op_input_not_contiguous", ["antiquantScale.contiguous()"]),
    (_ez9999("The shape [4096, 11007] is not divisible by 2.", "SwiGlu", "swi_glu_infershape.cpp"),
     "kb.operator.swiglu_input_not_even", ["gate"]),
    (_ez9999("in 310P, headDim:72 need align to 16.", "IncreFlashAttentionV4", "incre_flash_attention_tiling.cpp"),
     "kb.operator.flash_attention_head_dims_refused", ["310P"]),
    # Triton's launcher build at run time
    ("RuntimeError: Failed to find C compiler. Please specify via CC environment variable.",
     "kb.operator.triton_no_host_compiler", ["g++"]),
    # grouped matmul of MoE layers
    (_ez9999("Invalid dtype: Only int64 is supported for groupList, but now is DT_INT32.", "GroupedMatmulV4",
             "grouped_matmul_infershape.cpp"), "kb.operator.grouped_matmul_group_list_refused", ["int64"]),
    (_ez9999("k dim value of x and weight is not matched.", "GroupedMatmulV4", "grouped_matmul_infershape.cpp"),
     "kb.operator.grouped_matmul_group_list_refused", ["k dim"]),
])
def test_every_operator_constraint_is_named(tmp_path, text, rule, words):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == "confident"


@pytest.mark.parametrize("text, rule", [
    # another rotary check (a cos/sin pair that differs) is not the partial-rotary family
    (_ez9999("The shape of the input cos and sin is inconsistent.", "RotaryPositionEmbedding",
             "rope_interleaved_tiling.cpp"), "kb.operator.rope_partial_rotary_refused"),
    # a Python-level 'Cube' in another sense
    ("ValueError: Cube only supports 3-D arrays", "kb.operator.matmul_cube_dtype_unsupported"),
    # an ATB head size that is fine, logged at INFO
    ("[INFO] RopeOperation_0 head_size 128 accepted", "kb.operator.rope_head_dim_refused"),
])
def test_other_operator_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}
