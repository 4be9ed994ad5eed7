"""MindSpore and MindFormers families: each rule reads other members of its message family (other values,
other files, other wordings the framework's source raises) and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; the lines here are the framework's message with
other values, and lines that share words with it but are not the error.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="worker_0.log")


@pytest.mark.parametrize("text, rule, words", [
    ("RuntimeError: Unsupported device target GPU. This process only supports one of the ['CPU', 'Ascend']. "
     "Please check whether the GPU environment is installed and configured correctly",
     "kb.versions.mindspore_backend_unavailable", ["GPU", "set_env.sh"]),
    ("[ERROR] KERNEL(1,f,python):2024-01-01-00:00:00.000.000 [op_info_utils.cc:172] LoadOpInfoJson] "
     "Get op info json suffix path failed, soc_version: Ascend310P3", "kb.versions.mindspore_soc_not_supported",
     ["Ascend310P3", "MindSpore Lite"]),
    ("RuntimeError: Communicator of group tp-0-1 inited: failed. Result: Init communicator for group tp-0-1 exception "
     "info: Failed to fetch the unique id of the collective lib from the meta server node.",
     "kb.launch.ms_unique_id_timeout", ["MS_NODE_TIMEOUT"]),
    ("RuntimeError: The pointer[kernel_graph] is null.", "kb.runtime.ms_null_pointer", ["kernel_graph"]),
    ("RuntimeError: Unsupported statement 'AsyncFunctionDef'.", "kb.graph.unsupported_syntax", ["AsyncFunctionDef"]),
    ("TypeError: For syntax like 'a is b', b supports True, False and None, but got int.",
     "kb.graph.is_comparison_unsupported", ["True, False and None"]),
    ("RuntimeError: Exception thrown from dataset pipeline. Refer to 'Dataset Pipeline Error Message'.",
     "kb.data.user_function_failed", ["Python Call Stack"]),
    ("ValueError: batch_size should be divisible by dp. But batch_size % dp = 1 % 2 = 1",
     "kb.parallel.mf_batch_not_divisible_dp", ["(1)", "(2)"]),
    ("ValueError: make sure `seq_length = max_source_length`, but got seq_length=2048, max_source_length=1024 in "
     "eval_dataset.", "kb.data.mf_seq_length_mismatch", ["2048"]),
    ("ValueError: If set full_batch=False, dataset_strategy must be set as 'tuple', such as ((dp, 1), ).",
     "kb.parallel.mf_dataset_strategy", ["dataset_strategy"]),
    ("ValueError: When load checkpoint is a single file and use_parallel is True, please change load_checkpoint in "
     "yaml from file name to the directory where only this file is located.", "kb.checkpoint.mf_file_mode_conflict",
     ["use_parallel"]),
    ("ValueError: when input checkpoint file is rank dir, Please set use_parallel: True to enable distributed ckpt "
     "load.", "kb.checkpoint.mf_file_mode_conflict", ["rank_*"]),
    ("ValueError:  rank 3 src_strategy is not exist", "kb.checkpoint.mf_src_strategy_missing", ["strategy"]),
    ("  File \"/opt/mindformers/mindformers/dataset/dataloader/adgen_dataloader.py\", line 56, in __new__\n"
     "    raise ValueError(f\"{dataset_dir} is not existed.\")\n"
     "ValueError: /data/AdvertiseGen/train.json is not existed.", "kb.data.mf_dataset_path_missing", ["dataset_dir"]),
    ("ValueError: If set packing, 'input_ids', 'labels', 'actual_seq_len' should in dataset.column_names, but got "
     "['text'].", "kb.data.mf_columns_missing", ["input_ids"]),
    ("RuntimeError: The size of micro_batch must be greater than or equal to stage_num. But got the size of "
     "micro_batch: 1 and the stage_num: 2", "kb.parallel.micro_batch_lt_stages", ["micro_batch_num"]),
    ("RuntimeError: For zero_bubble_v scheduler, micro_size must be greater than or equal to twice stage_num. "
     "Got micro_size:4, stage_num:4", "kb.parallel.micro_batch_lt_stages", ["zero_bubble_v"]),
    ("RuntimeError: Stage 0 should has at least 1 trainable parameter. but got none. ",
     "kb.parallel.stage_without_parameters", ["stage 0"]),
    ("[ERROR] PARALLEL(1,f,python):2025-01-01 [matmul_info.cc:200] CheckStrategy] MatMulInfo03 : Invalid strategy "
     "for mat_a ((2, 4)) and mat_b ((2, 2))", "kb.parallel.ms_invalid_strategy", ["mp"]),
    ("[ERROR] ME(1:2,MainProcess):2025-01-01-00:00:00.000.000 [mindspore/parallel/cluster/process_entity/_api.py:369] "
     "Worker process 77 exit with exception. Error code: -6.", "kb.runtime.ms_worker_crashed", ["77", "6"]),
    ("RuntimeError: Malloc for kernel input failed, Memory isn't enough, node: Default/Add-op1",
     "kb.runtime.device_oom", ["recompute"]),
    ("RuntimeError: Allocate memory failed, maybe device memory(device id:3) isn't enough. Allocate size: 1024",
     "kb.runtime.device_oom", ["HBM"]),
    ("RuntimeError: Failed to initialize collective communication because some processes in the cluster are not "
     "successfully spawned.", "kb.launch.topology_timeout", ["worker_num"]),
    ("ValueError: Can't find class type tokenizer class name Qwen3Tokenizer in class registry when use_legacy=True",
     "kb.parallel.mf_class_not_registered", ["Qwen3Tokenizer", "use_legacy"]),
    ("ValueError: Failed to read the checkpoint file /ckpt/rank_3/net.ckpt. The file may be corrupted, and the "
     "content cannot be parsed.", "kb.checkpoint.ckpt_damaged", ["incomplete"]),
    ("ValueError: The strategy file for pipeline parallel does not contains all stages.",
     "kb.checkpoint.strategy_file_invalid", ["merge_pipeline_strategys"]),
    ("ValueError: The batch_size 3 must be a multiple of parallel_config.data_parallel 2.",
     "kb.parallel.mf_batch_not_divisible_dp", ["(3)", "(2)"]),
    ("ValueError: tokenizer.vocab_file in yaml file is not set, please set tokenizer.vocab_file a correct value.",
     "kb.data.mf_vocab_file_missing", ["vocab_file"]),
    ("RuntimeError: Thread ID 1 Unexpected error. GeneratorDataset's num_workers=8, this value is not within the "
     "required range of [1, cpu_thread_cnt=2].", "kb.data.workers_over_cpus", ["(2)"]),
    ("RuntimeError: Invalid columns_list, column name: labels not found", "kb.data.ms_column_missing",
     ["get_col_names"]),
    ("RuntimeError: Invalid columns, the number of columns returned in 'map' operations should match the number of "
     "'output_columns', but got the number of columns returned in 'map' operations: 2",
     "kb.data.generator_column_count", ["output_columns"]),
    ("RuntimeError: Error(s) in loading state_dict for Float16Module:\n\tUnexpected key(s) in state_dict: "
     "\"module.language_model.encoder.layers.0.mlp.dense_h_to_4h.weight\".", "kb.checkpoint.state_dict_keys_mismatch",
     ["--use-mcore-models"]),
    ("\tsize mismatch for decoder.layers.0.mlp.linear_fc1.weight: copying a param with shape torch.Size([4736, 3584]) "
     "from checkpoint, the shape in current model is torch.Size([9472, 3584]).", "kb.checkpoint.state_dict_size_mismatch",
     ["decoder.layers.0.mlp.linear_fc1.weight", "[4736, 3584]"]),
    ("OSError: ./model_from_hf/llama does not appear to have a file named config.json. Checkout "
     "'https://huggingface.co/./model_from_hf/llama/tree/None' for available files.", "kb.weights.hf_path_invalid",
     ["config.json"]),
    ("OSError: We couldn't connect to 'https://hf-mirror.com' to load this file, couldn't find it in the cached files",
     "kb.weights.hf_hub_unreachable", ["https://hf-mirror.com"]),
    ("AssertionError: If specify prompt_type , handler name must be in:\n['AlpacaStyleInstructionHandler']",
     "kb.data.prompt_template_unknown", ["--handler-name"]),
    ("AttributeError: module 'mindspore.mint' has no attribute 'baddbmm'", "kb.versions.mindspore_api_missing",
     ["mindspore.mint", "baddbmm"]),
    ("ValueError: Reference global_batch_size 6 must be divisible by data_parallel_size 4",
     "kb.rl.batch_not_divisible", ["Reference"]),
    ("ValueError: 'use_remove_padding' feature requires 'no_pad_to_seq_lengths=True' when using pipeline parallelism!",
     "kb.rl.remove_padding_requirements", ["no_pad_to_seq_lengths"]),
    ("RuntimeError: Communicator of group tp-0-1-2-3 inited: failed. Result: Init communicator for group tp-0-1-2-3 "
     "exception info: HCCL init failed", "kb.launch.ms_comm_group_init_failed", ["tp-0-1-2-3", "plog"]),
    ("AssertionError: sequence length must be divisible by context_parallel_size", "kb.parallel.seq_not_divisible_cp",
     ["context_parallel_size"]),
    ("AssertionError: --ulysses-degree-in-cp must be devisible by --context-parallel-size",
     "kb.parallel.heads_not_divisible_cp_tp", ["--ulysses-degree-in-cp"]),
    ("    oserror: [errno 24] too many open files", "kb.data.too_many_open_files", ["ulimit -n"]),
    ("    MRMOpenError: [MRMOpenError]: MindRecord File could not open successfully.", "kb.data.mindrecord_open_failed",
     [".mindrecord.db"]),
    ("ValueError: Dtype:int8 is not supported!\nSupported Models:fp32,bf16,fp16.", "kb.weights.mf_convert_model_unsupported",
     ["--dtype"]),
    ("ValueError: For 'MatMulAllReduce' the input dimensions must be equal, but got 'x1_col': 2048 and 'x2_row': 1024",
     "kb.graph.matmul_inner_dims", ["MatMulAllReduce", "2048"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    # MindSpore's start-up retries are not the failure; only the final "Failed to fetch" line is.
    ("[WARNING] DEVICE(1,f,python):2025-01-01-00:00:00.000.000 [ms_collective_comm_lib.cc:251] QueryUniqueID] Retry "
     "to lookup the unique id for group hccl_world_group from the meta server node...Retry time: 3/66, sleep 2",
     "kb.launch.ms_unique_id_timeout"),
    # task_type=3 with no data pipeline around it is not a GetNext timeout.
    ("[ERROR] RUNTIME(1,python):2025-01-01-00:00:00.000.000 [task.cc:92]2 PrintErrorInfo:Task execute failed, base "
     "info: device_id=0, stream_id=2, task_id=3, flip_num=0, task_type=3.", "kb.runtime.ms_event_wait_data_timeout"),
    # An AI Core kernel task (type 0) next to a dataset is not an event wait.
    ("[ERROR] RUNTIME(1,python):2025-01-01-00:00:00.000.000 [task.cc:92]2 PrintErrorInfo:Task execute failed, base "
     "info: device_id=0, stream_id=2, task_id=3, flip_num=0, task_type=0.\n"
     "[WARNING] MD(1,f,python):2025-01-01 [data_queue_op.cc:93] ~DataQueueOp] preprocess_batch: 4;",
     "kb.runtime.ms_event_wait_data_timeout"),
    # "is not existed." outside MindFormers' dataset loaders is some other path.
    ("ValueError: /home/u/vocab.json is not existed.", "kb.data.mf_dataset_path_missing"),
    ("[INFO] sync default stream in 3 ms", "kb.runtime.ms_sync_stream_failed"),
    ("[INFO] Unsupported expressions are listed in the syntax support page", "kb.graph.unsupported_syntax"),
    # A worker msrun stopped after another one failed ends on SIGTERM: not a crash of its own.
    ("[ERROR] ME(1:2,MainProcess):2025-01-01 [_api.py:369] Worker process 78 exit with exception. Error code: -15.",
     "kb.runtime.ms_worker_crashed"),
    ("[ERROR] ME(1:2,MainProcess):2025-01-01 [_api.py:369] Worker process 78 exit with exception. Error code: -99.",
     "kb.launch.ms_worker_killed"),
    ("[INFO] strategy search done, every stage has at least 1 trainable parameter", "kb.parallel.stage_without_parameters"),
    ("[INFO] The strategy cache is empty, searching", "kb.checkpoint.strategy_file_invalid"),
    ("[INFO] load_checkpoint: crc check enabled", "kb.checkpoint.ckpt_damaged"),
    # "Template X does not exist." outside MindSpeed-LLM's preprocessing is some other template.
    ("jinja2.exceptions.TemplateNotFound: Template chat.html does not exist.", "kb.data.prompt_template_unknown"),
    ("[INFO] loading state_dict: 0 missing keys", "kb.checkpoint.state_dict_keys_mismatch"),
    ("AttributeError: module 'mindspore_gs' has no attribute 'ptq'", "kb.versions.mindspore_api_missing"),
    ("[INFO] Communicator of group hccl_world_group inited: success", "kb.launch.ms_comm_group_init_failed"),
    ("[WARNING] Feature: flash attention is not supported! falling back", "kb.weights.mf_convert_model_unsupported"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_sync_stream_failure_is_a_consequence_of_the_operator_error_before_it(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "RuntimeError: Unsupported device target Ascend. This process only supports one of the ['CPU'].",
        "[ERROR] DEVICE(1,f,python):2025-01-01-00:00:01.000.000 [ascend_device_address.cc:512] SyncStream] "
        "Sync default stream failed.",
    ]))
    assert report.root_cause.rule == "kb.versions.mindspore_backend_unavailable"
    assert any(group.rule == "kb.runtime.ms_sync_stream_failed" for group in report.consequences)


def test_a_failed_kernel_launch_yields_to_the_operator_error_beside_it(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "[ERROR] DEVICE(1,f,python):2025-01-01-00:00:00.000.000 [kernel_actor.cc:408] ExecuteLaunchKernelTask] "
        "Launch kernel failed, name:Default/MatMul-op3",
        "RuntimeError: Malloc for kernel output failed, Memory isn't enough, node: Default/MatMul-op3",
    ]))
    assert report.root_cause.rule == "kb.runtime.device_oom"


def test_a_null_pointer_yields_to_the_cause_named_next_to_it(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "RuntimeError: The pointer[device_context] is null.",
        "Get op info json suffix path failed, soc_version: Ascend310B1",
    ]))
    assert report.root_cause.rule == "kb.versions.mindspore_soc_not_supported"
