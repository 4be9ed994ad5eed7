"""The PyTorch side's own raise sites: PyTorch core, torch_npu's run-time checks, the training frameworks' argument
checks, DeepSpeed's launcher; with them the same settings checks of the MindSpore side (MindFormers, MindRLHF,
MindSpore's own argument and data-pipeline validators) and of the serving engines. Other members of each family are named, a rule of the message itself outranks the
framework-check catch-all, and look-alike lines (a frame that is not a check, a warning, another index error) stay
quiet: a confident wrong answer is worse than an unsure one.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


def _check_raised(path: str, exception_line: str, code: str = "raise ValueError(") -> str:
    return ("Traceback (most recent call last):\n"
            f"  File \"{path}\", line 120, in check\n"
            f"    {code}\n"
            f"{exception_line}")


@pytest.mark.parametrize("text, rule, words", [
    # the other wordings of one family
    ("RuntimeError: The expanded size of the tensor (4096) must match the existing size (2048) at non-singleton "
     "dimension 2.  Target sizes: [1, 32, 4096].  Tensor sizes: [32, 2048]", "kb.graph.tensor_sizes_mismatch",
     ["4096", "2048"]),
    ("[rank5]: RuntimeError: [5] is setting up NCCL communicator and retrieving ncclUniqueId from [0] via c10d "
     "key-value store by key '0', but store->get('0') got error: Socket Timeout", "kb.launch.comm_id_from_rank0_failed",
     ["NCCL", "rank 0"]),
    ("RuntimeError: Jit compile set is disabled! If you want to set, please change the environment variable "
     "ACL_OP_INIT_MODE to 0 or 1.", "kb.environment.acl_op_init_mode_disabled", ["ACL_OP_INIT_MODE"]),
    ("RuntimeError: per_process_memory_fraction is invalid, set it in [0.0, 1.0]",
     "kb.environment.npu_alloc_conf_value_invalid", ["PYTORCH_NPU_ALLOC_CONF"]),
    ("RuntimeError: endpoint is absent in RendezvousParameters Try add --master_port and --master_addr to the cmd "
     "request", "kb.launch.rendezvous_arguments_missing", ["--master_port and --master_addr"]),
    ("ValueError: Hostfile is empty or not formatted correctly, unable to proceed with launching.",
     "kb.launch.deepspeed_hostfile_invalid", ["hostfile"]),
    # a framework's check raising on purpose: its message is the cause, whichever framework
    (_check_raised("/opt/MindSpeed-LLM/mindspeed_llm/training/arguments.py",
                   "AssertionError: --num-layers must be divisible by --pipeline-model-parallel-size",
                   code="assert args.num_layers % args.pipeline_model_parallel_size == 0, ("),
     "kb.parallel.framework_rejected_settings", ["num-layers must be divisible", "mindspeed_llm/training/arguments.py"]),
    (_check_raised("/usr/lib/python3.10/site-packages/accelerate/utils/dataclasses.py",
                   "ValueError: `mixed_precision` must be one of ['no', 'fp16', 'bf16', 'fp8']"),
     "kb.parallel.framework_rejected_settings", ["mixed_precision"]),
    # (its "num-layers should be divisible by target-pipeline-parallel-size" is the conversion rule's own now)
    (_check_raised("/home/MindSpeed-LLM/mindspeed_llm/tasks/checkpoint/convert_hf2mg.py",
                   "ValueError: Invalid expert-tensor-parallel-size configuration: only 1 or None are supported."),
     "kb.parallel.framework_rejected_settings", ["expert-tensor-parallel-size"]),
    (_check_raised("/opt/verl/verl/workers/config/actor.py",
                   "ValueError: ppo_mini_batch_size must be divisible by ppo_micro_batch_size_per_gpu"),
     "kb.parallel.framework_rejected_settings", ["ppo_mini_batch_size"]),
    ("ValueError: bf16 mixed precision requires PyTorch >= 1.10 and a supported device.",
     "kb.environment.accelerate_no_device", ["torch_npu"]),
    # the MindSpore side's training frameworks and the serving engines check their settings the same way
    (_check_raised("/home/work/mindformers/mindformers/core/context/validators.py",
                   "ValueError: sink_size should be 1, got 2"),
     "kb.parallel.framework_rejected_settings", ["sink_size should be 1", "mindformers/core/context/validators.py"]),
    (_check_raised("/opt/mindrlhf/mindrlhf/configs/grpo_configs.py",
                   "ValueError: num_generations must be greater than 1, got 1"),
     "kb.parallel.framework_rejected_settings", ["num_generations"]),
    (_check_raised("/usr/local/lib/python3.10/site-packages/sglang/srt/server_args.py",
                   "ValueError: The argument --dp-size must be set when --enable-dp-attention is on"),
     "kb.serving.engine_rejected_settings", ["dp-size", "sglang/srt/server_args.py"]),
    # torchrun's rank prefix on every line of the traceback
    ("[rank3]: Traceback (most recent call last):\n"
     "[rank3]:   File \"/usr/local/lib/python3.10/site-packages/sglang/srt/server_args.py\", line 2210, in check\n"
     "[rank3]:     assert self.tp_size % self.nnodes == 0, \"tp_size must be divisible by number of nodes\"\n"
     "[rank3]: AssertionError: tp_size must be divisible by number of nodes",
     "kb.serving.engine_rejected_settings", ["tp_size must be divisible by number of nodes"]),
    (_check_raised("/usr/local/lib/python3.10/site-packages/vllm/config/parallel.py",
                   "ValueError: Tensor parallel size (3) must divide the number of attention heads"),
     "kb.serving.engine_rejected_settings", ["Tensor parallel size (3)"]),
    (_check_raised("/usr/local/lib/python3.11/site-packages/vllm_mindspore/config.py",
                   "ValueError: Unknown dtype: 'float8'"),
     "kb.serving.engine_rejected_settings", ["float8"]),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/dataset/core/validator_helpers.py",
                   "ValueError: Input num_shards is not within the required interval of [1, 2147483647]."),
     "kb.data.mindspore_dataset_argument_rejected", ["num_shards"]),
    (_check_raised("/vllm-workspace/vllm-ascend/vllm_ascend/core/schedule_config.py",
                   "ValueError: max_long_partial_prefills must be non-negative, but got -1"),
     "kb.serving.engine_rejected_settings", ["max_long_partial_prefills", "vllm_ascend/core/schedule_config.py"]),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/_checkparam.py",
                   "TypeError: For 'Adam', the type of 'learning_rate' should be float, but got 'str'.",
                   code="raise TypeError(f\"{msg_prefix} type of '{arg_name}' should be {type_names}\""),
     "kb.graph.mindspore_argument_rejected", ["Adam", "learning_rate"]),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/parallel/_auto_parallel_context.py",
                   "ValueError: For 'set_auto_parallel_context', the argument 'pipeline_stages' should be greater or "
                   "equal 1, but got the value of stages : 0."),
     "kb.graph.mindspore_argument_rejected", ["set_auto_parallel_context", "pipeline_stages"]),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/parallel/nn/parallel_cell_wrapper.py",
                   "ValueError: For 'PipelineCell', the argument 'micro_size' must be large than 0, but got 0."),
     "kb.graph.mindspore_argument_rejected", ["PipelineCell", "micro_size"]),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/train/callback/_checkpoint.py",
                   "ValueError: For 'CheckpointConfig', the input arguments 'save_checkpoint_steps', "
                   "'save_checkpoint_seconds', 'keep_checkpoint_max' and 'keep_checkpoint_per_n_minutes' can't be all "
                   "None or 0."),
     "kb.graph.mindspore_argument_rejected", ["CheckpointConfig"]),
    (_check_raised("/home/work/mindformers/mindformers/modules/transformer/transformer.py",
                   "ValueError: layer_swap must be a list or dict"),
     "kb.parallel.framework_rejected_settings", ["layer_swap"]),
    (_check_raised("/usr/local/lib/python3.10/site-packages/transformers/models/llama/configuration_llama.py",
                   "ValueError: `rope_scaling`'s factor field must be a float > 1, got 0.5"),
     "kb.parallel.framework_rejected_settings", ["factor field must be a float > 1"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, specific", [
    # DeepSpeed's config check is a framework check, and the batch arithmetic rule knows what to change
    (_check_raised("/usr/lib/python3.10/site-packages/deepspeed/runtime/config.py",
                   "AssertionError: Check batch related parameters. train_batch_size is not equal to "
                   "micro_batch_per_gpu * gradient_acc_step * world_size 16 != 2 * 1 * 4",
                   code="assert train_batch == micro_batch * grad_acc * self.world_size, ("),
     "kb.parallel.deepspeed_batch_arithmetic"),
    (_check_raised("/data/LLaMA-Factory/src/llamafactory/data/parser.py",
                   "ValueError: Undefined dataset alpaca_zh_demo in dataset_info.json."),
     "kb.data.llamafactory_dataset_not_registered"),
    (_check_raised("/home/work/mindformers/mindformers/tools/check_rules.py",
                   "ValueError: batch_size should be divisible by dp. But batch_size % dp = 6 % 4 = 2"),
     "kb.parallel.mf_batch_not_divisible_dp"),
    (_check_raised("/vllm-workspace/vllm-ascend/vllm_ascend/ascend_config.py",
                   "ValueError: mega_moe_max_tokens must be a positive integer, got 0"),
     "kb.serving.ascend_additional_config_invalid"),
    (_check_raised("/usr/local/lib/python3.11/site-packages/vllm/sampling_params.py",
                   "ValueError: top_p must be in (0, 1], got 1.5."),
     "kb.serving.sampling_param_out_of_range"),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/dataset/core/validator_helpers.py",
                   "ValueError: num_parallel_workers exceeds the boundary between 1 and 8!"),
     "kb.data.workers_over_cpus"),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/dataset/core/validator_helpers.py",
                   "ValueError: The folder /data/imagenet/train does not exist or is not a directory or permission "
                   "denied!"),
     "kb.data.ms_dataset_path_missing"),
    (_check_raised("/vllm-workspace/vllm-ascend/vllm_ascend/core/schedule_config.py",
                   "NotImplementedError: currently AscendScheduler only supports fcfs policy, got priority",
                   code="raise NotImplementedError("),
     "kb.serving.ascend_scheduler_limit"),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/_checkparam.py",
                   "ValueError: For 'load_checkpoint', the checkpoint file: /data/ckpt/rank_0/llama.ckpt does not "
                   "exist, please check whether the 'ckpt_file_name' is correct."),
     "kb.checkpoint.not_found"),
])
def test_a_rule_of_the_message_wins_over_the_framework_check(tmp_path, text, specific):
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == specific
    assert report.root_cause.confidence == "confident"


def test_set_context_keeps_its_own_reading(tmp_path):
    # set_context's catch-all speaks of the YAML context: section; MindSpore's context module is not listed as a check
    report = _diagnose(tmp_path, _check_raised(
        "/usr/local/lib/python3.9/site-packages/mindspore/context.py",
        "ValueError: For 'context.set_context', the keyword argument max_device_memroy is not recognized!"))
    assert report.root_cause.rule == "kb.graph.set_context_invalid"
    assert "kb.graph.mindspore_argument_rejected" not in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("text, rule", [
    # the innermost frame is torch's own code, called from a check: not the check refusing a setting
    ("Traceback (most recent call last):\n"
     "  File \"/usr/lib/python3.10/site-packages/transformers/training_args.py\", line 1790, in __post_init__\n"
     "    self.device\n"
     "  File \"/usr/lib/python3.10/site-packages/torch_npu/npu/__init__.py\", line 210, in _lazy_init\n"
     "    torch_npu._C._npu_init()\n"
     "RuntimeError: npu device init failed.", "kb.parallel.framework_rejected_settings"),
    # the user's own script raising is not a framework's check
    (_check_raised("/home/u/train.py", "ValueError: bad value for lr"), "kb.parallel.framework_rejected_settings"),
    ("IndexError: list index out of range", "kb.data.token_id_beyond_embedding"),
    # the engine's run-time modules are not its settings checks
    ("Traceback (most recent call last):\n"
     "  File \"/usr/local/lib/python3.11/site-packages/vllm/v1/worker/gpu_model_runner.py\", line 2210, in execute\n"
     "    raise ValueError(\"Invalid type for tensors\")\n"
     "ValueError: Invalid type for tensors", "kb.serving.engine_rejected_settings"),
    (_check_raised("/vllm-workspace/vllm-ascend/vllm_ascend/utils.py", "ValueError: Invalid type for tensors"),
     "kb.serving.engine_rejected_settings"),
    # a MindSpore message without the check module as the innermost frame, or a check's warning, says nothing here
    ("ValueError: For 'Dense', the 'in_channels' must be int and must > 0, but got '-1' with type 'int'.",
     "kb.graph.mindspore_argument_rejected"),
    (_check_raised("/home/user/work/layers.py",
                   "ValueError: For 'Dense', the 'in_channels' must be int and must > 0, but got '-1'."),
     "kb.graph.mindspore_argument_rejected"),
    ("[WARNING] ME(1234:281473,MainProcess):2026-12-07-10:00:00 [_checkparam.py:219] For 'Dense', the 'in_channels' "
     "should be positive", "kb.graph.mindspore_argument_rejected"),
    # the data pipeline's run-time modules (iterators, the dataset graph) are not its argument checks
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/dataset/engine/iterators.py",
                   "RuntimeError: Exception thrown from dataset pipeline. Refer to 'Dataset Pipeline Error Message'."),
     "kb.data.mindspore_dataset_argument_rejected"),
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/dataset/engine/datasets.py",
                   "ValueError: Input is not within the required interval of [1, 16777216]."),
     "kb.data.mindspore_dataset_argument_rejected"),
    # MindSpore's file readers say "For 'X'" about a file, not an argument
    (_check_raised("/usr/local/lib/python3.9/site-packages/mindspore/parallel/checkpoint_transform.py",
                   "ValueError: For 'restore_group_info_list', the group information file should not be empty."),
     "kb.graph.mindspore_argument_rejected"),
    # a MindFormers module that is not a settings check
    (_check_raised("/home/work/mindformers/mindformers/models/modeling_utils.py", "ValueError: bad weight name"),
     "kb.parallel.framework_rejected_settings"),
    ("[WARNING] torch.distributed: Default process group will be initialized lazily",
     "kb.launch.default_group_not_initialized"),
    ("RuntimeError: NPU out of memory. Tried to allocate 2.00 GiB", "kb.runtime.npu_memory_fraction_exceeded"),
    ("[INFO] Acl op is enabled, ACL_OP_INIT_MODE=0", "kb.environment.acl_op_init_mode_disabled"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}
