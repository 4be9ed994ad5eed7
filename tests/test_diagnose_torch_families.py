"""PyTorch's tensor and data-loading checks, the Hugging Face training stack, DeepSpeed's and verl's config checks as families.

The fixtures of tests/data/logs/kb/ show one member of each rule; these lines are other members (older and newer
wordings of the same check) and look-alike lines that must not fire. The device-versus-dtype split matters most:
torch's legacy type names say "Input type (torch.FloatTensor) and weight type (torch.npu.FloatTensor)" both when a
dtype differs and when a device differs, and the two have different fixes.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("line, rule, words", [
    ("RuntimeError: Expected 4-dimensional input for 4-dimensional weight [64, 3, 7, 7], but got 3-dimensional "
     "input of size [3, 224, 224] instead", "kb.graph.conv_input_rank_mismatch", ["batch dimension"]),
    ("RuntimeError: Expected object of scalar type Long but got scalar type Float for argument #2 'target' in call "
     "to _thnn_nll_loss_forward", "kb.data.class_label_dtype_wrong", ["Float", "int64"]),
    ("RuntimeError: torch.cat(): expected a non-empty list of Tensors", "kb.data.empty_batch", ["empty"]),
    ("RuntimeError: cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension size "
     "-1 can be any value and is ambiguous", "kb.data.empty_batch", ["empty"]),
    ("TypeError: can't convert np.ndarray of type numpy.object_. The only supported types are: float64, float32, "
     "float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.", "kb.data.ragged_list_to_tensor",
     ["pad"]),
    ("KeyError: \"Column text not in the dataset. Current columns in the dataset: ['prompt', 'response']\"",
     "kb.data.dataset_column_missing", ["text", "['prompt', 'response']"]),
    ("ValueError: Instruction \"test\" corresponds to no data!", "kb.data.dataset_split_unknown", ["test"]),
    ("RuntimeError: Expected tensor for argument #1 'input' to have the same device as tensor for argument #2 "
     "'weight'; but device 0 does not equal -1 (while checking arguments for embedding)",
     "kb.runtime.tensors_on_two_devices", ["device 0 does not equal -1"]),
    ("RuntimeError: Input type (torch.npu.HalfTensor) and weight type (torch.HalfTensor) should be the same",
     "kb.runtime.tensors_on_two_devices", ["torch.npu.HalfTensor"]),
    ("RuntimeError: Invalid device_index : 9, valid device_index range is [0, 8)",
     "kb.serving.device_index_out_of_range", ["ASCEND_RT_VISIBLE_DEVICES"]),
    ("ValueError: --load_best_model_at_end requires the saving steps to be a round multiple of the evaluation "
     "steps, but found 500, which is not a round multiple of 300.",
     "kb.checkpoint.best_model_needs_matching_strategies", ["eval_steps"]),
    ("pydantic_core._pydantic_core.ValidationError: 2 validation errors for DeepSpeedZeroConfig",
     "kb.parallel.deepspeed_config_key_invalid", ["DeepSpeedZeroConfig"]),
    ("ValueError: Flash Attention 3 is not available on CPU. Please make sure torch can access a CUDA device.",
     "kb.environment.flash_attention_needs_cuda", ["FlashAttention 3", "CUDA"]),
    ("ValueError: ppo_micro_batch_size (2) * ulysses_sequence_parallel_size (1) must be >= n_gpus (8)",
     "kb.rl.verl_batch_not_divisible", ["2", "8"]),
    ("ValueError: train_batch_size (16) must be >= actor.ppo_mini_batch_size (32)", "kb.rl.verl_batch_not_divisible",
     ["16", "32"]),
    ("ValueError: [actor] You have set both 'actor.ppo_micro_batch_size' AND 'actor.ppo_micro_batch_size_per_gpu'. "
     "Please remove 'actor.ppo_micro_batch_size' because only '*_ppo_micro_batch_size_per_gpu' is supported (the "
     "former is deprecated).", "kb.rl.verl_micro_batch_size_unset", ["actor.ppo_micro_batch_size_per_gpu"]),
    ("AssertionError: n_gpus (12) must be divisible by model_parallel_size (8) times context_parallel_size (1)",
     "kb.rl.verl_parallel_sizes_mismatch", ["12", "8"]),
    ("AssertionError: No inf checks were recorded prior to update.", "kb.runtime.grad_scaler_saw_no_gradients",
     ["GradScaler"]),
    ("ValueError: The global train batch size (8 x 2) must be evenly divisible by the number of generations per "
     "prompt (6). Given the current train batch size, the valid values for the number of generations are: [2, 4, 8, "
     "16].", "kb.rl.grpo_generations_not_dividing_batch", ["6", "num_generations"]),
    ("ValueError: You set `assistant_only_loss=True`, but the dataset is not conversational. This option is only "
     "supported for conversational datasets.", "kb.data.sft_dataset_format_unknown", ["messages"]),
    ("RuntimeError: The from_ipc_handle method is not supported, please upgrade the HDK(driver) or CANN package.",
     "kb.versions.npu_ipc_needs_newer_driver", ["driver"]),
    ("RuntimeError: The device_index is invalid.", "kb.serving.device_index_out_of_range", ["device"]),
    ("RuntimeError: shape mismatch: value tensor of shape [8] cannot be broadcast to indexing result of shape [4]",
     "kb.graph.tensor_sizes_mismatch", ["[8]", "[4]"]),
    ("RuntimeError: PyTorch is not linked with support for npu devices", "kb.environment.torch_npu_not_imported",
     ["torch_npu"]),
    ("ValueError: Using a `device_map`, `tp_plan`, `torch.device` context manager or setting "
     "`torch.set_default_device(device)` requires `accelerate`. You can install it with `pip install accelerate`",
     "kb.environment.optional_library_missing", ["accelerate"]),
    ("ValueError: You are trying to save a non contiguous tensor: `model.layers.0.mlp.down_proj.weight` which is "
     "not allowed.", "kb.checkpoint.safetensors_shared_or_strided_tensors", ["contiguous"]),
    ("ValueError: only one element tensors can be converted to Python scalars",
     "kb.graph.multi_element_used_as_one_value", [".item()"]),
    ("RuntimeError: a Tensor with 2 elements cannot be converted to Scalar", "kb.graph.multi_element_used_as_one_value",
     [".item()"]),
    ("RuntimeError: Input and hidden tensors are not at the same device, found input tensor at cpu and hidden tensor "
     "at npu:0", "kb.runtime.tensors_on_two_devices", ["npu:0"]),
    ("RuntimeError: Attempting to deserialize object on CUDA device 2 but torch.cuda.device_count() is 1. Please use "
     "torch.load with map_location to map your storages to an existing device.",
     "kb.weights.cuda_checkpoint_without_cuda", ["CUDA"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


def test_a_checkpoint_loaded_into_zero3_partitioned_parameters_is_not_called_a_resharding_problem(tmp_path):
    text = ("RuntimeError: Error(s) in loading state_dict for Qwen2ForCausalLM:\n\tsize mismatch for lm_head.weight: "
            "copying a param with shape torch.Size([151936, 3584]) from checkpoint, the shape in current model is "
            "torch.Size([0]).")
    assert _diagnose(tmp_path, text).root_cause.rule == "kb.parallel.zero3_param_still_partitioned"
    other = text.replace("torch.Size([0])", "torch.Size([152064, 3584])")
    assert _diagnose(tmp_path, other).root_cause.rule == "kb.checkpoint.state_dict_size_mismatch"


def test_a_store_connection_reset_is_a_consequence_of_the_peer_that_left(tmp_path):
    findings = _diagnose(tmp_path, "torch.distributed.DistNetworkError: Connection reset by peer").findings
    assert [f.rule for f in findings] == ["kb.runtime.peer_connection_lost"]


def test_a_resize_error_is_read_as_ragged_samples_only_inside_a_collate(tmp_path):
    line = "RuntimeError: Trying to resize storage that is not resizable"
    assert "kb.data.batch_samples_differ_in_size" not in {f.rule for f in _diagnose(tmp_path, line).findings}


@pytest.mark.parametrize("line, rule", [
    # both on the host, only the dtype differs: a dtype mismatch, not a device one
    ("RuntimeError: Input type (torch.FloatTensor) and weight type (torch.HalfTensor) should be the same",
     "kb.operator.input_dtype_mismatch"),
    ("RuntimeError: Input type (c10::BFloat16) and bias type (float) should be the same",
     "kb.operator.input_dtype_mismatch"),
    # one on the NPU, one on the host: a device mismatch
    ("RuntimeError: Input type (torch.FloatTensor) and weight type (torch.npu.FloatTensor) should be the same or "
     "input should be a MKLDNN tensor and weight is a dense tensor", "kb.runtime.tensors_on_two_devices"),
])
def test_a_device_mismatch_and_a_dtype_mismatch_are_told_apart(tmp_path, line, rule):
    assert _diagnose(tmp_path, line).root_cause.rule == rule


@pytest.mark.parametrize("line, rule", [
    ("pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig",
     "kb.parallel.deepspeed_config_key_invalid"),
    ("[INFO] gradient checkpointing is enabled for Qwen2ForCausalLM", "kb.weights.model_no_gradient_checkpointing"),
    ("[WARNING|2025-05-01 10:00:00] llamafactory.model.model_utils.checkpointing:143 >> Current model does not "
     "support gradient checkpointing.", "kb.weights.model_no_gradient_checkpointing"),
    ("RuntimeError: Input type (torch.FloatTensor) and weight type (torch.HalfTensor) should be the same",
     "kb.runtime.tensors_on_two_devices"),
    ("[INFO] using sdpa attention: Flash Attention 2 is not installed", "kb.environment.flash_attention_needs_cuda"),
    ("INFO  columns in the dataset: ['text'] (1000 rows)", "kb.data.dataset_column_missing"),
    ("[W compiler_depend.ts:51] Warning: Device do not support double dtype now, dtype cast repalce with float.",
     "kb.operator.npu_complex_needs_jit_off"),
    ("[INFO] inf-nan mode is enabled on this device (INF_NAN_MODE_ENABLE unset)", "kb.environment.inf_nan_mode_disabled"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, line).findings}
