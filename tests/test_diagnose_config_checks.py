"""The training frameworks' own config and argument checks (MindFormers, Megatron-core's config as MindFormers
and MindSpeed-LLM carry it, MindRLHF, MindSpeed-RL): each message family names its cause, whatever values the
user's config put in it, and lines that only share words with a check stay quiet.

The texts are the frameworks' raise sites with other values filled in.
"""

from __future__ import annotations

import pytest

from support import diagnose_text as _diagnose


@pytest.mark.parametrize("line, rule, words", [
    ("ValueError: 'first_k_dense_replace'(3) cannot be bigger than 'num_layers'(2).", "kb.parallel.moe_config_conflict",
     ["MoE"]),
    ("ValueError: moe_expert_capacity_factor must be set to use moe_pad_expert_input_to_capacity",
     "kb.parallel.moe_config_conflict", ["MoE"]),
    ("ValueError: Please use --moe-router-pre-softmax when topk is 1.", "kb.parallel.moe_config_conflict", ["MoE"]),
    ("KeyError: \"Multiple configurations provided for the same setting. Please check these conflicting configs: "
     "['n_kv_heads', 'num_query_groups']\"", "kb.parallel.mf_config_keys_unmapped", ["n_kv_heads"]),
    ("ValueError: When using seq pipe, cannot apply calculate_per_token_loss.", "kb.parallel.mf_seq_pipe_limits",
     ["seq pipe"]),
    ("ValueError: It is not supported that pipeline_scheduler is seqvpp when seq_split_num is 1, please set "
     "pipeline_scheduler to seqpipe.", "kb.parallel.mf_seq_pipe_limits", ["seq pipe"]),
    ("ValueError: When device num > 16 and auto_trans_ckpt is set to True,the output_dir should be a shared "
     "directory that can be accessed by all nodes.but /data/out is not a shared directory.",
     "kb.checkpoint.mf_auto_trans_needs_shared_dir", ["output_dir"]),
    ("ValueError: Try to resume from checkpoints with strategy in directory '/ckpt/llama' failed, please specify "
     "load_checkpoint to specific checkpoint file to resume training.", "kb.checkpoint.mf_resume_needs_load_checkpoint",
     ["load_checkpoint"]),
    ("ValueError: Current `dataset_broadcast_opt_level` is 2, if set larger than 0, then sink_mode should be set "
     "to be 'True'", "kb.data.mf_dataset_broadcast_settings", ["broadcast"]),
    ("ValueError: Illegal input list for select_recompute: ['feed_forward', 3]", "kb.parallel.mf_recompute_form",
     ["recompute"]),
    ("ValueError: When use ring attention, use_flash_attention must be True.", "kb.parallel.cp_flash_attention",
     ["flash attention"]),
    ("ValueError: offset.shape[-1] should equal to `pp` (4), but got (2). `offset`: [1, 1]",
     "kb.parallel.offset_sum", ["offset"]),
    ("ValueError: /data/llama/rank_0 is not existed, please check load_checkpoint in yaml and set a correct value.",
     "kb.checkpoint.mf_load_checkpoint_missing", ["/data/llama/rank_0"]),
    ("ValueError: The `model_name`=qwen_72b is not support in task: text_generation,",
     "kb.parallel.mf_model_name_unsupported", ["qwen_72b"]),
    # MindSpeed-RL's validate_rl_args.
    ("ValueError: Reward model is not supported when use_integrated_worker mode is on.",
     "kb.rl.integrated_worker_config", ["reward"]),
    ("ValueError: clip_ratio_low 0.28 must less than clip_ratio_high 0.2", "kb.rl.rollout_option_conflict", ["clip"]),
    ("ValueError: async_engine must be True when multi_turn_enable is True", "kb.rl.rollout_option_conflict",
     ["multi-turn"]),
    ("ValueError: dynamic sampling dispatch size 12 must be divisible by n samples per prompt 8",
     "kb.rl.batch_not_divisible_by_group", ["dispatch"]),
    ("ValueError: when use ring cp and remove_padding, reset_attention_mask must be true",
     "kb.rl.remove_padding_requirements", ["reset_attention_mask"]),
    ("ValueError: Verifier function and weight length mismatch: 3 vs 2", "kb.rl.reward_weights", ["weight"]),
    # MindRLHF.
    ("ValueError: origin_inputs size is 9000, you should increase the seq_length of the model 8192.",
     "kb.data.input_longer_than_seq_length", ["9000", "8192"]),
    # Checkpoint slicing in MindFormers and MindRLHF.
    ("FileNotFoundError: The rank_3 folder was not found under src_checkpoint folder.",
     "kb.checkpoint.mf_sliced_checkpoint_layout", ["rank_N"]),
    ("ValueError: The checkpoint of rank_12 is not found!", "kb.checkpoint.mf_sliced_checkpoint_layout", ["rank_N"]),
    ("ValueError: `src_strategy` should not be None when `src_checkpoint` is sliced.",
     "kb.checkpoint.mf_src_strategy_missing", ["strategy"]),
    ("ValueError: dst_strategy: /out/strategy/ckpt_strategy_rank_0.ckpt is not found!",
     "kb.checkpoint.mf_dst_strategy_missing", ["only_save_strategy"]),
    ("ValueError: device_num: 12 must be a multiple of expert_parallel: 8.",
     "kb.parallel.mf_expert_parallel_divisible", ["expert_parallel"]),
    ("ValueError: data parallel * context parallel: 4 must be a multiple of expert_parallel: 8 when using MoE.",
     "kb.parallel.mf_expert_parallel_divisible", ["expert_parallel"]),
    ("ValueError: 'num_experts_chosen' must not be larger than 'expert_num', but got 10.",
     "kb.parallel.moe_config_conflict", ["MoE"]),
    ("ValueError: num_layers should be greater than `pp * pp_interleave_num`, but got num_layers : 4 and pp: 4, "
     "pp_interleave_num: 2", "kb.parallel.layers_lt_pp", ["pp_interleave_num"]),
    ("ValueError: lr_end (0.001) must be be smaller than initial lr (1e-05)", "kb.rl.cosine_lr_order", ["initial"]),
    ("ValueError: Check name of the checkpoint file with the last timestamp Failed.", 
     "kb.checkpoint.mf_resume_checkpoint_names", ["rank"]),
    # MindSpeed-LLM.
    ("AssertionError: Num of layers in vpp stage should be less than pp stage, please turn down "
     "args.num_layers_per_virtual_pipeline_stage.", "kb.parallel.virtual_pipeline_layout", ["virtual"]),
    ("AssertionError: Interception Error: PP Stage 3 contains layers [28, 29, 30, 31] that are all noop_layers!",
     "kb.parallel.virtual_pipeline_layout", ["noop"]),
    ("ValueError: len(args.num_layer_list) != args.pipeline_model_parallel_size", "kb.parallel.num_layer_list_sum",
     ["--num-layer-list"]),
    ("AssertionError: The parameter qk-pos-emb-head-dim should be set when use multi_head_latent_attention.",
     "kb.parallel.mla_params_missing", ["qk-pos-emb-head-dim"]),
    ("AssertionError: Num-layer (4) must be greater than first-k-dense-replace (8) when first-k-dense-replace is "
     "set.", "kb.parallel.moe_config_conflict", ["MoE"]),
    ("ValueError: Configuration conflict: 'first_k_dense_replace' cannot be used together with 'moe_layer_freq > 1'.",
     "kb.parallel.moe_config_conflict", ["MoE"]),
    ("AssertionError: When enable_hf2mg_convert is enabled, path /models/mg_ckpt is not a valid HuggingFace path.",
     "kb.weights.online_hf_convert_load_dir", ["--load"]),
    ("ValueError: The input length:5000 is longer than the seq_length:4096, which is not allowed.",
     "kb.data.input_longer_than_seq_length", ["5000", "4096"]),
    ("RuntimeError: world_size (8) is not equal to total_model_size(16)", "kb.parallel.device_num_product", ["tp"]),
    ("ValueError: World size(6) can not be divisible by expert parallel size(4)",
     "kb.parallel.mf_expert_parallel_divisible", ["expert_parallel"]),
    ("FileNotFoundError: There are no safetensors files under the given path /models/qwen2_7b.",
     "kb.checkpoint.mf_no_checkpoint_files", ["safetensors"]),
    ("RuntimeError: The model does not appear to be a chat model because it is not configured with a "
     "`chat_template`.", "kb.serving.chat_template_missing", ["chat"]),
    ("ValueError: The training expert size should be divisibled by the inference expert size.",
     "kb.rl.reshard_parallel_mismatch", ["expert"]),
    ("ValueError: bad version, cannot read: /data/wiki_text_document.idx", "kb.data.indexed_dataset_bad_header",
     ["/data/wiki_text_document.idx"]),
    ("ValueError: tokenizer_model /models/qwen/tokenizer.json should be a directory for HuggingFaceTokenizer",
     "kb.data.tokenizer_not_directory", []),
    ("AssertionError: seq_length argument is None", "kb.parallel.megatron_required_arg_missing", ["seq_length"]),
    ("AssertionError: num_experts must be non None to use expert model parallelism",
     "kb.parallel.moe_config_conflict", ["MoE"]),
    ("ValueError: The key: max_num_seqs is missing, causing the setup to fail. Please check. If necessary, register "
     "it in the config file.", "kb.rl.config_key_unknown", ["max_num_seqs", "does not know"]),
    ("ValueError: TD max_len:96 need be divisible by experience_count: 64", "kb.rl.batch_not_divisible_by_group",
     ["experience_count"]),
    ("ValueError: For 'MultiHeadAttention', the class variable 'num_heads' must be a multiple of "
     "'parallel_config.model_parallel', but got the num_heads is 28 and the parallel_config.model_parallel  is 8.",
     "kb.parallel.heads_mp", ["model_parallel"]),
    ("ValueError: For 'FeedForward', the class variable 'ffn_hidden_size' must be a multiple of thenum of model "
     "parallel, but got the ffn_hidden_size is 18944 and the num of model parallel is 3.", "kb.parallel.ffn_mp",
     ["mp"]),
    ("ValueError: Device num should be divided by pipeline stage num.", "kb.parallel.device_num_not_divisible_by_stages",
     ["pipeline"]),
    ("ValueError: For 'MultiHeadAttention', the class variable 'hidden_size' must be a multiple of 'n_head', but got "
     "the hidden_size is 5120 and the n_head is 48.", "kb.parallel.hidden_not_multiple_of_heads", ["5120", "48"]),
    ("ValueError: tp_group_size must be divisible by kv_num_heads when kv_num_heads is less than tp_group_size, but "
     "got kv_num_heads 4 and tp_group_size 6", "kb.parallel.heads_mp", ["KV"]),
    ("ValueError: The value of expert_model_parallel_size must be divisible by data_parallel_size * "
     "tensor_model_parallel_size, wheredata_parallel_size: 2, tensor_model_parallel_size: 2, ",
     "kb.parallel.mf_expert_parallel_divisible", ["expert_parallel"]),
])
def test_each_check_names_its_cause(tmp_path, line, rule, words):
    report = _diagnose(tmp_path, line)
    assert report.root_cause is not None and report.root_cause.rule == rule, \
        [(finding.rule, finding.line) for finding in report.findings]
    said = " ".join([report.findings[0].title, report.findings[0].detail or "", report.findings[0].fix or ""])
    assert all(word in said for word in words), said


@pytest.mark.parametrize("line, rule", [
    ("[INFO] moe_expert_capacity_factor is None, tokens are not dropped", "kb.parallel.moe_config_conflict"),
    ("[INFO] seq pipe enabled with seq_split_num=4", "kb.parallel.mf_seq_pipe_limits"),
    ("[INFO] output_dir /mnt/shared is a shared directory, auto_trans_ckpt enabled", "kb.checkpoint.mf_auto_trans_needs_shared_dir"),
    ("[INFO] select_recompute: {'feed_forward\\.mul': [2, 2]}", "kb.parallel.mf_recompute_form"),
    ("[INFO] guarantee_order is false, partial_rollout_max_split = 2", "kb.rl.rollout_option_conflict"),
    ("[WARNING] the model weight file is not found!", "kb.checkpoint.mf_sliced_checkpoint_layout"),
    ("[INFO] batch size 8 is a multiple of device number 8", "kb.rl.batch_multiple_of_devices"),
    ("[INFO] lora_target argument is None, using defaults", "kb.parallel.megatron_required_arg_missing"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, line).findings}


@pytest.mark.parametrize("prefix", [
    "",
    "[rank3]: ",
    "(TaskRunner pid=2201) ",
    "2025-07-01 10:00:00.123 | ERROR    | mindspeed_rl.trainer:fit:120 - ",
    "[ERROR] ME(4021:281473300000000,MainProcess):2025-03-01-10:00:00.000.000 [mindformers/trainer/trainer.py:1345] ",
])
def test_a_launcher_or_logger_prefix_does_not_hide_the_check(tmp_path, prefix):
    report = _diagnose(tmp_path, prefix + "ValueError: actor global_batch_size 48 must be divisible by experience_count 32")
    assert report.root_cause is not None and report.root_cause.rule == "kb.rl.batch_not_divisible_by_group"
