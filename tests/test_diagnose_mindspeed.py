"""MindSpeed, Megatron, DeepSpeed and Ray families of a training job on Ascend: other wordings of each family's
message reach its rule as the root cause, and look-alike lines (outside MindSpeed, off the NPU) do not.

Built from the frameworks' own messages (mindspeed/arguments.py, Megatron-LM's checks, DeepSpeed's accelerator and
op builder, verl's and Ray's resource checks, torch elastic's exit barrier); one fixture per rule is in
tests/data/logs/kb/.
"""

from __future__ import annotations

import pytest

from support import diagnose_text


MINDSPEED_FRAME = '  File "/workspace/MindSpeed/mindspeed/arguments.py", line 600, in validate_args_wrapper\n'


@pytest.mark.parametrize("message, words", [
    ("AssertionError: `--moe-alltoall-overlap-comm` only support with `--moe-token-dispatcher-type alltoall_seq`.",
     ["--moe-alltoall-overlap-comm", "alltoall_seq"]),
    ("AssertionError: adaptive memory optimization is not compatible with swap_attention feature",
     ["swap_attention"]),
    ("ValueError: num_layer_list and vpp cannot be configured at the same time", ["num_layer_list", "vpp"]),
    ("AssertionError: zero3 cannot be used together with MC2(--use-ascend-mc2), please disable one of them.",
     ["zero3", "MC2"]),
    ("AssertionError: ND_MatMul is temporarily incompatible with LayerNorm", ["ND_MatMul", "LayerNorm"]),
])
def test_each_mindspeed_option_conflict_is_named_with_both_sides(tmp_path, message, words):
    report = diagnose_text(tmp_path, "Traceback (most recent call last):\n" + MINDSPEED_FRAME + message)
    assert report.root_cause.rule == "kb.parallel.mindspeed_options_conflict"
    assert all(word in report.findings[0].title for word in words), report.findings[0].title


def test_an_option_conflict_outside_mindspeed_is_not_read_as_mindspeed(tmp_path):
    text = ('  File "/usr/lib/python3/site-packages/vllm/config.py", line 90, in verify\n'
            "AssertionError: chunked prefill is not compatible with this sampler")
    report = diagnose_text(tmp_path, text)
    assert "kb.parallel.mindspeed_options_conflict" not in {f.rule for f in report.findings}


def test_the_compiler_error_above_a_failed_extension_build_can_take_the_root(tmp_path):
    text = ('  File "/workspace/MindSpeed/mindspeed/op_builder/builder.py", line 49, in include_paths\n'
            "TypeError: expected str, bytes or os.PathLike object, not NoneType\n"
            "RuntimeError: Error building extension 'npu_dropout_add_layer_norm'")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.environment.op_build_no_cann_path"


def test_none_path_outside_the_op_builder_is_not_blamed_on_cann(tmp_path):
    text = ('  File "/home/u/train.py", line 3, in main\n'
            "TypeError: expected str, bytes or os.PathLike object, not NoneType")
    report = diagnose_text(tmp_path, text)
    assert "kb.environment.op_build_no_cann_path" not in {f.rule for f in report.findings}


def test_ray_autoscaler_short_of_npus_is_named(tmp_path):
    text = ("(autoscaler +30s) Error: No available node types can fulfill resource request {'NPU': 1.0, 'CPU': 1.0}. "
            "Add suitable node types to this cluster to resolve this issue.")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.rl.ray_npus_short"


def test_ray_autoscaler_short_of_cpus_is_not_an_npu_shortage(tmp_path):
    text = "Error: No available node types can fulfill resource request {'CPU': 1.0}. Add suitable node types."
    assert "kb.rl.ray_npus_short" not in {f.rule for f in diagnose_text(tmp_path, text).findings}


@pytest.mark.parametrize("line", [
    "FileNotFoundError: can not find /data/ckpt/iter_0001000/latest_checkpointed_iteration.txt",
    "RuntimeError: No sub-models found under /data/ckpt/iter_0001000",
])
def test_each_incomplete_megatron_folder_message_is_named(tmp_path, line):
    report = diagnose_text(tmp_path, line)
    assert report.root_cause.rule == "kb.weights.mg_checkpoint_tracker_missing"
    assert "/data/ckpt/iter_0001000" in report.findings[0].title


@pytest.mark.parametrize("text", [
    '  File "/usr/lib/python3/site-packages/deepspeed/ops/op_builder/npu/builder.py", line 40, in installed_cann_path\n'
    "    if \"ASCEND_HOME_PATH\" in os.environ or os.path.exists(os.environ[\"ASCEND_HOME_PATH\"]):\n"
    "KeyError: 'ASCEND_HOME_PATH'",
    "AssertionError: CANN_HOME does not exist, unable to compile NPU op(s)",
])
def test_deepspeed_npu_ops_without_cann_name_the_environment(tmp_path, text):
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.environment.op_build_no_cann_path"


def test_exit_barrier_timeout_is_named_before_the_store_timeout_it_raises(tmp_path):
    text = ("[E api.py:951] Error waiting on exit barrier. Elapsed: 300.1 seconds\n"
            "torch.distributed.DistStoreError: Socket Timeout")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.launch.torchrun_exit_barrier_timeout"
    assert "300.1" in report.findings[0].title


@pytest.mark.parametrize("message, named", [
    ("AssertionError: --use-torch-fsdp2 requires --untie-embeddings-and-output-weights", True),
    ("AssertionError: `--moe-zero-memory` must be enabled when using `--moe-zero-memory-num-layers`", True),
    ("ValueError: --load is required when --ckpt-convert-format is specified", True),
    # A version requirement is not an option combination.
    ("AssertionError: FSDP2 requires PyTorch >= 2.4.0 with FSDP 2 support.", False),
])
def test_mindspeed_requirement_messages_join_the_option_family(tmp_path, message, named):
    report = diagnose_text(tmp_path, "Traceback (most recent call last):\n" + MINDSPEED_FRAME + message)
    assert ("kb.parallel.mindspeed_options_conflict" in {f.rule for f in report.findings}) is named


def test_ucc_backend_with_one_device_connection_is_named(tmp_path):
    text = "RuntimeError: UCC-backend requires CUDA_DEVICE_MAX_CONNECTIONS > 1"
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.environment.device_max_connections_one"


def test_expert_and_context_parallel_refusal_is_the_ep_family(tmp_path):
    text = "RuntimeError: combination of expert model prallellism and context parallelism is not supported"
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.parallel.megatron_ep_not_dividing_dp"
    assert "{" not in report.findings[0].detail


def test_deepspeed_compiling_cuda_ops_on_an_ascend_host_names_the_fallback(tmp_path):
    text = ("[INFO] torch_npu 2.1.0 found, CANN 8.0.RC3\n"
            "deepspeed.ops.op_builder.builder.MissingCUDAException: CUDA_HOME does not exist, unable to compile CUDA op(s)")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.environment.deepspeed_picked_cuda_on_npu"


def test_deepspeed_choosing_cuda_on_a_gpu_host_is_not_flagged(tmp_path):
    text = ("[INFO] [real_accelerator.py:219:get_accelerator] Setting ds_accelerator to cuda (auto detect)\n"
            "[INFO] NVIDIA A100-SXM4-80GB, CUDA 12.1")
    assert "kb.environment.deepspeed_picked_cuda_on_npu" not in {f.rule for f in diagnose_text(tmp_path, text).findings}


def test_deepspeed_cuda_fallback_line_stays_below_the_import_error_that_caused_it(tmp_path):
    text = ("[INFO] [real_accelerator.py:219:get_accelerator] Setting ds_accelerator to cuda (auto detect)\n"
            "  File \"/workspace/train.py\", line 3, in <module>\n    import torch_npu\n"
            "ImportError: libhccl.so: cannot open shared object file: No such file or directory")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.cann_lib_missing"
    assert "kb.environment.deepspeed_picked_cuda_on_npu" in {f.rule for f in report.findings}


def test_megatron_bucketed_inf_check_names_inf(tmp_path):
    text = ("RuntimeError: Rank 0: Unexpected result inf (found Inf in local grad norm for bucket #0 in backward pass "
            "before data-parallel communication collective)")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.megatron_nan_grad"
    assert "Inf" in report.findings[0].title


def test_a_missing_mindspeed_package_stays_with_the_install_rule(tmp_path):
    report = diagnose_text(tmp_path, "ModuleNotFoundError: No module named 'mindspeed'")
    assert report.root_cause.rule == "kb.environment.ascend_python_package_missing"
    sub = diagnose_text(tmp_path, "ModuleNotFoundError: No module named 'mindspeed_llm.tasks.megatron_adaptor'")
    assert sub.root_cause.rule == "kb.versions.mindspeed_module_missing"
