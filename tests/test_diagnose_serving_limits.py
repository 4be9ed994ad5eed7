"""Serving limits and option checks (serving_limits.yaml, serving_options.yaml, serving_lmdeploy.yaml): each family
rule reads the other wordings its frameworks raise, a rule that knows the message outranks a broad one on the same
line, and look-alike lines (settings echoed at start-up, other products' "cannot be used with") stay quiet.

Each fixture of tests/data/logs/kb/ shows one member; these lines are the other members of the families.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    ("ValueError: LoRA rank 128 is greater than max_lora_rank 64.", "kb.serving.lora_rank_over_max",
     ["128", "--max-lora-rank"]),
    ("ValueError: torch.float16 is not supported for quantization method mxfp4. Supported dtypes: [torch.bfloat16]",
     "kb.serving.quantization_dtype_unsupported", ["mxfp4", "--dtype"]),
    ("ValueError: You set image=1 (or defaulted to 1) in `--limit-mm-per-prompt`, but passed 4 image items in the "
     "same prompt.", "kb.serving.mm_items_over_limit", ["--limit-mm-per-prompt"]),
    ("openai.BadRequestError: Error code: 400 - {'message': \"This model's maximum context length is 4096 tokens. "
     "However, your request has 5000 input tokens. Please reduce the length of the input messages.\"}",
     "kb.serving.prompt_over_max_model_len", ["5000", "--max-model-len"]),
    ("RuntimeError: Only one platform plugin can be activated, but got: ['ascend', 'mindie_turbo']",
     "kb.serving.platform_plugins_conflict", ["VLLM_PLUGINS", "mindie_turbo"]),
    ("ValueError: len(partitions)=2 does not match pp_size=4.", "kb.serving.pp_layer_partition_mismatch",
     ["VLLM_PP_LAYER_PARTITION"]),
    # vllm-ascend's --additional-config checks across releases
    ("ValueError: Unknown dyntra_lb_config keys: ['enable']", "kb.serving.ascend_additional_config_invalid",
     ["dyntra_lb_config", "--additional-config"]),
    ("ValueError: additional_config.rl_config must be a dict, got str.", "kb.serving.ascend_additional_config_invalid",
     ["rl_config"]),
    ("ValueError: Only one of additional_config.dump_config_path or additional_config.dump_config can be set.",
     "kb.serving.ascend_additional_config_invalid", ["dump_config_path"]),
    # two switches on together, in vllm-ascend's and lmdeploy's words
    ("ValueError: ShortRequestFirst scheduling cannot be enabled with batch_job_sched_config. Please disable one of "
     "them.", "kb.serving.options_mutually_exclusive", ["ShortRequestFirst", "batch_job_sched_config"]),
    ("A3: the max number of tokens must smaller then 512, but now is 1024", "kb.serving.torchair_mc2_token_capacity",
     ["512", "--max-num-seqs"]),
    ("2025-05-12 10:21:33,118 - lmdeploy - ERROR - engine.py:300 - RuntimeError: No enough gpu memory for runtime.",
     "kb.serving.lmdeploy_kv_cache_memory", ["runtime", "--max-prefill-token-num"]),
    ("RuntimeError: Multi-nodes support requires `ray`.", "kb.serving.lmdeploy_distributed_setting", ["ray"]),
    ("ValueError: Expected num_speculative_tokens to be greater than zero (0).", "kb.serving.spec_tokens_invalid",
     ["--speculative-config"]),
    ("ValueError: Warning: User-specified context_length (131072) is greater than the derived context_length (32768). "
     "This may lead to incorrect model outputs or CUDA errors. To allow overriding this maximum, set the env var "
     "SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1", "kb.serving.max_model_len_over_model_limit",
     ["131072", "--context-length"]),
    ("[2025-06-01 10:00:00.125+08:00] [3321] [3321] [llm] [ERROR] [schedule_config.cpp:257] : The maxN cannot be set "
     "greater than maxBatchSize, please set 'maxN' to be not greater than 'maxBatchSize' in config.json.",
     "kb.serving.mindie_config_value_invalid", ["maxN", "config.json"]),
    ("[2025-06-01 10:20:00.125+08:00] [9120] [9190] [endpoint] [ERROR] [single_llm_decode_req_handler.cpp:332] : "
     "Pull kv failed reversibly. cmpl-1", "kb.serving.pd_kv_pull_failed", ["kv_trans_timeout"]),
    # a plug-in class its vLLM has made abstract methods for: the versions are not a pair
    ("TypeError: Can't instantiate abstract class NPUWorker with abstract method get_kv_connector_handshake_metadata",
     "kb.serving.plugin_call_mismatch", ["pip show vllm vllm-ascend"]),
    ("TypeError: Can't instantiate abstract class NPUPlatform without an implementation for abstract method "
     "'get_attn_backend_cls'", "kb.serving.plugin_call_mismatch", ["pip show vllm vllm-ascend"]),
    ("jinja2.exceptions.TemplateError: After the optional system message, conversation roles must alternate user and "
     "assistant roles except for tool calls and results.", "kb.serving.chat_template_refused_messages",
     ["--chat-template"]),
    ("[2025-06-01 10:00:00.123+08:00] [4410] [4410] [llm] [ERROR] [file_utils.cpp:313] : Check path: "
     "model.safetensors.index.json failed, by: The file: model.safetensors.index.json is a link.",
     "kb.serving.mindie_file_check_failed", ["chmod 640"]),
    ("ValueError: local_rank 4 is out of bounds for the available NPU devices: [0, 1, 2, 3]",
     "kb.serving.local_rank_beyond_visible_npus", ["--data-parallel-size-local"]),
    ("ValueError: Currently, async scheduling is only supported with EAGLE/MTP kind of speculative decoding",
     "kb.serving.async_scheduling_limit", ["--async-scheduling"]),
    ("ValueError: Attempted to assign 25 + 25 + 25 = 75 multimodal tokens to 147 placeholders",
     "kb.serving.mm_placeholders_mismatch", ["75", "147", "--max-model-len"]),
    ("KeyError: \"Reasoning parser 'qwen25' not found\"", "kb.serving.parser_name_unknown", ["qwen25"]),
    ("vllm serve: error: argument --reasoning-parser: invalid choice: 'qwen3x' (choose from 'deepseek_r1', 'qwen3')",
     "kb.launch.argument_choice_invalid", ["qwen3x", "--reasoning-parser"]),
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host 127.0.0.1:8000 ssl:default "
     "[Connect call failed ('127.0.0.1', 8000)]", "kb.serving.server_not_listening", ["no_proxy", "--port"]),
    ("ValueError: Detected some but not all shards of model.layers.0.mlp.gate_up_proj are quantized. All shards of "
     "fused layers to have the same precision.", "kb.serving.quant_description_mismatch", ["msModelSlim"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, specific", [
    # the bf16 catch-all of operators yields to the quantization method's own dtype list
    ("ValueError: torch.bfloat16 is not supported for quantization method gptq. Supported dtypes: [torch.float16]",
     "kb.serving.quantization_dtype_unsupported"),
    # a switch vllm-ascend names with its environment variable keeps its own rule
    ("ValueError: fused mc2 op cannot be used with hierarchy communication.Please disable "
     "VLLM_ASCEND_ENABLE_FUSED_MC2 by setting it to 0.", "kb.serving.ascend_env_switch_not_applicable"),
])
def test_a_rule_that_knows_the_member_wins(tmp_path, text, specific):
    # (the child-process-gone lines below are consequences: the error above them is the root cause)
    assert _diagnose(tmp_path, text).root_cause.rule == specific


@pytest.mark.parametrize("text, rule", [
    ("INFO 01-01 10:00:00 [arg_utils.py:1200] max_lora_rank=64, max_loras=4, max_cpu_loras=None",
     "kb.serving.lora_rank_over_max"),
    ("INFO 01-01 10:00:00 [api_server.py:1000] args: limit_mm_per_prompt={'image': 4}", "kb.serving.mm_items_over_limit"),
    ("INFO 01-01 10:00:00 [__init__.py:44] Platform plugin ascend is activated", "kb.serving.platform_plugins_conflict"),
    # a product or a Python version after "cannot be used with" is not a second switch
    ("ERROR: this wheel cannot be used with Python 3.8", "kb.serving.options_mutually_exclusive"),
    ("UserWarning: torch.compile cannot be used with NPU graph mode in this release",
     "kb.serving.options_mutually_exclusive"),
    ("INFO 01-01 10:00:00 [ascend_config.py:90] additional_config: {'torchair_graph_config': {'enabled': True}}",
     "kb.serving.ascend_additional_config_invalid"),
    ("2025-05-12 10:21:30,001 - lmdeploy - INFO - check_env - <Dist> check passed.",
     "kb.serving.lmdeploy_env_check_failed"),
    # still waiting is not yet a failure
    ("INFO 08-12 10:02:03 [ray_utils.py:336] Waiting for creating a placement group of specs for 10 seconds. "
     "specs=[{'NPU': 1.0}]. Check `ray status` to see if you have enough resources.",
     "kb.serving.ray_placement_group_unready"),
    ("[2025-06-01 10:00:00.123+08:00] [3321] [3321] [llm] [INFO] [model_deploy_config.cpp:99] : "
     "CheckIfParallelInfoIsValid: tp is 8", "kb.serving.mindie_config_value_invalid"),
    # a user's own abstract class is not a plug-in paired with the wrong vLLM
    ("TypeError: Can't instantiate abstract class Base with abstract method forward", "kb.serving.plugin_call_mismatch"),
    # a remote host that refuses is the network's business, not a local server still starting
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded "
     "with url: /api/models (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] "
     "Connection refused'))", "kb.serving.server_not_listening"),
    # Python's operator type error is not a feature some framework lacks
    ("TypeError: unsupported operand type(s) for *: 'NoneType' and 'int'", "kb.operator.feature_not_supported"),
    # a template that does not parse is another error than a template refusing the messages
    ("jinja2.exceptions.TemplateSyntaxError: unexpected '}'", "kb.serving.chat_template_refused_messages"),
    # MindIE's daemon kills its own process group after the endpoint failed: the shell's Killed is not memory
    ("[2025-06-01 10:00:01.500+08:00] [4410] [4420] [server] [ERROR] [llm_daemon.cpp:319] : Failed to init endpoint! "
     "Please check the service log or console output.\nKilled", "kb.runtime.process_killed"),
])
def test_look_alike_lines_stay_quiet(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}
