"""MindSpore, MindFormers and MindSpore-suite families written from the frameworks' raise sites (issue 17, seventh
round): each rule reads other members of its family (other values, other wordings the source raises, launcher
prefixes) and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; the lines here are the framework's message with other
values, and lines that share words with it but are not the error.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="worker_0.log")


@pytest.mark.parametrize("text, rule, words", [
    ("[rank3]: ValueError: Expected num_moe_experts 256 to be divisible by expert_model_parallel_size 12",
     "kb.parallel.mf_experts_not_divisible_ep", ["256", "expert_parallel"]),
    ("ValueError: tensor and data parallel size(4) can not be divisible by expert parallel size(8)",
     "kb.parallel.mf_ep_not_dividing_dp_tp", ["data_parallel × model_parallel"]),
    ("ValueError: Length of 'moe_layer_freq'(4) must be equal to 'num_layers'(2).",
     "kb.parallel.mf_moe_layers_over_num_layers", ["num_layers=2", "moe_layer_freq"]),
    ("ValueError: When zero_bubble_v is enabled, pp_interleave_num must be set to 2. But get 1.",
     "kb.parallel.mf_zero_bubble_v_settings", ["pp_interleave_num must be set to 2"]),
    ("RuntimeError: The number of model layers is 2, but using pipeline parallel requires at least 'pp(4) layers "
     "for splitting", "kb.parallel.layers_lt_pp", ["pipeline"]),
    ("RuntimeError: total_model_size(16) = data_parallel_size(2) * tensor_model_parallel_size(8) * "
     "pipeline_model_parallel_size(1) * context_parallel_size(1) * num_virtual_instance(1), which is not equal to "
     "world_size (8).", "kb.parallel.device_num_product", ["worker_num"]),
    ("RuntimeError: Distributed communication is not initialized. Please call `mindspore.communication.init` before "
     "`initialize_model_parallel`.", "kb.launch.ms_comm_not_initialized", ["msrun"]),
    ("ValueError: For 'load_checkpoint', the crc check is failed, please check whether the ckpt file is damaged.",
     "kb.checkpoint.ckpt_damaged", ["checksum"]),
    ("ValueError: obs://bucket/llama.ckpt is not existed, please check checkpoint_name_or_path in yaml and set a "
     "correct value.", "kb.checkpoint.mf_checkpoint_name_missing", ["obs://bucket/llama.ckpt", "load_checkpoint"]),
    ("ValueError: No .safetensors files found in /models/qwen2_5_7b", "kb.weights.mf_no_safetensors_in_dir",
     ["/models/qwen2_5_7b", "model.safetensors.index.json"]),
    ("[ERROR] ME(33:281,MainProcess):2025-03-01-10:00:00.000.000 [mindspore/train/model.py:1090] "
     "RuntimeError: Create channel for sending data failed, please check DEVICE ID setting.",
     "kb.data.ms_sink_channel_failed", ["DEVICE_ID", "dataset_sink_mode=False"]),
    ("[ERROR] DEVICE(1,f,python):2021 [hccl_adapter.cc:120] get hccl json config failed, please set env "
     "MINDSPORE_HCCL_CONFIG_PATH or RANK_TABLE_FILE", "kb.launch.ms_rank_env_not_exported", ["msrun"]),
    ("ValueError: List rank_ids in Group moe_ep_0 has duplicate data!", "kb.launch.ms_comm_group_redefined",
     ["moe_ep_0", "rank_ids"]),
    ("ValueError: Only `loss_scale_type` is `fixed` and `drop_overflow_update` is `False`are supported on device "
     "`CPU`.", "kb.launch.ms_cpu_loss_scale_unsupported", ["loss_scale_type: fixed"]),
    ("ValueError: For 'safetensors_to_ckpt', no directories starting with 'rank' found in /data/st.",
     "kb.checkpoint.ms_convert_no_rank_dirs", ["safetensors_to_ckpt", "/data/st"]),
    ("AssertionError: Input image size (256*256) doesn't match model (224*224).", "kb.data.mindcv_image_size_mismatch",
     ["256*256", "image_size"]),
    ("ValueError: The strategy file ./output/strategy/ckpt_strategy_rank_0.ckpt if empty.",
     "kb.checkpoint.strategy_file_invalid", ["merge_pipeline_strategys"]),
    ("ValueError: The director of dst_strategy_file: /data/dst is not exists.", "kb.checkpoint.strategy_file_invalid",
     ["strategy"]),
    ("ValueError: For 'transform_checkpoints', the 'src_checkpoints_dir' can not be empty.",
     "kb.checkpoint.ms_transform_dir_layout", ["rank_0"]),
    ("ValueError: Set context keyword enable_paralel_optimizer is not recognized!",
     "kb.parallel.ms_auto_parallel_context_invalid", ["enable_paralel_optimizer"]),
    ("TypeError: initializing tensor by numpy array failed, because the element type '<class 'NoneType'>' of array is "
     "not supported.", "kb.data.ms_tensor_from_object_array", ["None"]),
    ("RuntimeError: Failed to create a batch since number of key/value pairs in dictionaries do not match. First row: 3",
     "kb.data.ms_batch_column_types_differ", ["keys"]),
    ("RuntimeError: The 2 's output of Add has being modified by inplace op, which will cause the gradient error, "
     "please check your inplace operator in code.", "kb.graph.ms_pynative_inplace_breaks_grad", ["x = x + y"]),
    ("RuntimeError: Invalid file path, Cityscapes Dataset dir: /data/cityscapes does not exist or is not a directory.",
     "kb.data.ms_dataset_path_missing", ["/data/cityscapes"]),
    ("RuntimeError: Invalid data, no valid data matching the dataset API 'DIV2KDataset'. Please check dataset API or "
     "file path: /data/div2k.", "kb.data.ms_dataset_no_data", ["layout"]),
    ("RuntimeError: For 'GatherD', indices out of range for input_x. Please check the indices which is 7",
     "kb.operator.ms_gather_index_beyond_table", ["vocab_size", "GatherD"]),
    ("[CRITICAL] ME(1:2,MainProcess):2025-01-01 [mindspore/run_check/_check_version.py:353] MindSpore relies on whl "
     "packages of \"te\" in the \"latest\" folder of the Ascend AI software package (Ascend Data Center Solution), "
     "please check whether they are installed correctly or not", "kb.environment.cann_python_packages", ["set_env.sh"]),
    ("ValueError: Seq pipe must using flash attention", "kb.parallel.mf_feature_needs_flash_attention",
     ["use_flash_attention: True", "seq_split_num"]),
    ("ValueError: When the seq_pipe = True, the use_ring_attention cannot be True.", "kb.parallel.mf_seq_pipe_conflicts",
     ["use_ring_attention cannot be True"]),
    ("ValueError: num_hidden_layers + num_nextn_predict_layers of model should be greater than or equal to "
     "pipeline_stage, but get num_hidden_layers (2) + num_nextn_predict_layers (1) < pp (4)",
     "kb.parallel.layers_lt_pp", ["pipeline"]),
    ("ImportError: Failed to load Hugging Face checkpoint. Please make sure the 'transformers' library is installed and "
     "available.", "kb.weights.mf_convert_needs_torch", ["transformers"]),
    ("IndexError: Only support integers, slices(`:`), ellipsis(`...`), None and bool, got 1.5 type is <class 'float'> ",
     "kb.graph.ms_tensor_index_form_unsupported", ["ms.Tensor(idx, ms.int32)"]),
    ("TypeError: Invalid index of a 0-dim tensor.", "kb.graph.ms_too_many_indices", ["keepdims=True"]),
    ("AttributeError: 'TupleIterator' object has no attribute 'get_next'", "kb.data.ms_iterator_get_next",
     ["next("]),
    ("RuntimeError: Thread ID 1 Unexpected error. Fail to open ./data/cora", "kb.data.mindrecord_open_failed",
     [".mindrecord.db"]),
    ("RuntimeError: Try to get response before Open()", "kb.operator.compile_response_empty", ["MS_BUILD_PROCESS_NUM"]),
    ("[ERROR] DEVICE(1,f,python):2025-01-01 [device_address_utils.cc:1203] CreateWorkspaceAddress] Allocate dynamic "
     "workspace memory failed, alloc size:2147483648B", "kb.runtime.device_oom", ["batch_size"]),
    ("RuntimeError: Alloc device memory pool address is nullptr, failed to alloc memory pool resource!",
     "kb.runtime.device_oom", ["npu-smi"]),
    ("AttributeError: 'StubTensor' object has no attribute 'backward'", "kb.graph.ms_tensor_torch_method",
     ["value_and_grad"]),
    ("ValueError: /models/glm4/generation_config.json does not exist. Please check files in given path.",
     "kb.weights.mf_hf_json_missing", ["/models/glm4/generation_config.json", "pretrained_model_dir"]),
    ("(VllmWorker rank=5 pid=88) ERROR 06-01 10:00:00 [multiproc_executor.py:470] IndexError: Process rank is greater "
     "than the number of available devices. Please check the value of `ASCEND_RT_VISIBLE_DEVICES`.",
     "kb.serving.vllm_ms_rank_over_visible_devices", ["ASCEND_RT_VISIBLE_DEVICES", "--tensor-parallel-size"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    ("[INFO] MoE: num_moe_experts 64 divisible by expert_model_parallel_size 8, ok",
     "kb.parallel.mf_experts_not_divisible_ep"),
    ("[INFO] zero_bubble_v is enabled with pp_interleave_num 2", "kb.parallel.mf_zero_bubble_v_settings"),
    # A model config read without a checkpoint path is not a missing checkpoint.
    ("[INFO] checkpoint_name_or_path in yaml is empty, skip loading", "kb.checkpoint.mf_checkpoint_name_missing"),
    ("[INFO] Found 4 .safetensors files in /models/qwen", "kb.weights.mf_no_safetensors_in_dir"),
    ("[INFO] Create channel for sending data successfully.", "kb.data.ms_sink_channel_failed"),
    ("[WARNING] 'tp_group' group has existed.", "kb.launch.ms_comm_group_redefined"),
    ("[INFO] learning rate scheduler: warmup 3 epoch, total epoch 300", "kb.launch.yolo_epochs_within_warmup"),
    ("KeyError: 'lr' not found in config", "kb.launch.mindcv_unknown_config_key"),
    ("[INFO] Sync value 8 matches rank size 8", "kb.launch.yolo_sync_not_rank_size"),
    ("[INFO] Set context keyword device_num to 8", "kb.parallel.ms_auto_parallel_context_invalid"),
    ("[WARNING] The tensor's block size must be a multiple of 32 for this kernel", "kb.serving.vllm_ms_block_size_not_16x"),
    # A subclass that defines construct and calls it is fine; only the base-class default says it is missing.
    ("[INFO] Cell construct is defined for Net", "kb.graph.ms_cell_without_construct"),
    ("[INFO] src_checkpoints_dir /data/ckpt holds 8 rank folders", "kb.checkpoint.ms_transform_dir_layout"),
    ("[INFO] For 'Gather', the 'input_indices' are checked on the host", "kb.operator.ms_gather_index_beyond_table"),
    # PyTorch's own wording (lower case, with its .item() advice) is not MindSpore's indexing check.
    ("IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` in Python", "kb.graph.ms_too_many_indices"),
    # A torch Tensor before torch_npu is imported: torch_npu's own rule, not MindSpore porting.
    ("AttributeError: 'Tensor' object has no attribute 'npu'", "kb.graph.ms_tensor_torch_method"),
    ("  File \"/usr/lib/python3.10/site-packages/torch/nn/modules/module.py\", line 1, in _call_impl\n"
     "AttributeError: 'Tensor' object has no attribute 'cuda'", "kb.graph.ms_tensor_torch_method"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_mindformers_mcore_loss_check_is_read_as_a_nan_loss(tmp_path):
    report = _diagnose(tmp_path, "ValueError: device_accum_local_loss of `main` is [nan], terminate training.")
    assert "kb.runtime.loss_nan" in {finding.rule for finding in report.findings}


def test_a_step_that_stops_after_an_earlier_failure_yields_to_that_failure(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "RuntimeError: Create channel for sending data failed.",
        "RuntimeError: ",
        "- Model execution error:",
        "An error occurred in the previous step of this model execution, and the current step cannot be executed.",
    ]))
    assert report.root_cause.rule == "kb.data.ms_sink_channel_failed"
    assert any(group.rule == "kb.runtime.ms_previous_step_failed" for group in report.consequences)


def test_an_operator_that_failed_its_parallel_set_up_yields_to_the_strategy_check_before_it(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "[ERROR] PARALLEL(1,f,python):2025-01-01 [softmax_info.cc:88] CheckStrategy] SoftmaxInfo00: Do not support to "
        "split the last dimension of input, but the strategy for input is (1, 4)",
        "[ERROR] PARALLEL(1,f,python):2025-01-01 [step_parallel.cc:1502] ExtractStrategyAndInit] Failure:operator "
        "Softmax init failed",
    ]))
    assert report.root_cause.rule == "kb.parallel.ms_operator_strategy_rejected"
    assert any(group.rule == "kb.parallel.ms_operator_init_failed" for group in report.consequences)


def test_mindformers_mcore_parameters_left_unloaded_are_named(tmp_path):
    report = _diagnose(tmp_path, "2025-01-01 10:00:00 - mindformers[gpt_model.py:493] - WARNING - These parameters are "
                                 "not loaded in the network: ['model.layers.0.attention.linear_qkv.weight']")
    assert "kb.checkpoint.params_not_loaded" in {finding.rule for finding in report.findings}


def test_the_hccl_code_after_a_failed_communicator_names_the_cause(tmp_path):
    # MindSpore's own line only says the HCCL call failed; CANN's code after it names why, and wins.
    report = _diagnose(tmp_path, "\n".join([
        "[ERROR] DEVICE(1,f,python):2025-01-01 [ascend_communication_group.cc:150] InitByRootInfoConfig] "
        "HcclCommInitRootInfoConfig failed. ",
        "EJ0001: Failed to initialize the HCCP process. Reason: Maybe the last training process is running.",
    ]))
    assert report.root_cause.rule == "kb.launch.hccp_already_running"
    # without CANN's code, MindSpore's own line is read
    report = _diagnose(tmp_path, "[ERROR] DEVICE(1,f,python):2025-01-01 [ascend_communication_group.cc:150] "
                                 "InitByRootInfoConfig] HcclCommInitRootInfoConfig failed. ")
    assert report.root_cause.rule == "kb.launch.ms_hccl_communicator_create_failed"
