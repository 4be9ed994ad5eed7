"""Serving families written from the stacks' raise sites (issue 17, seventh round): vLLM's request and start-up
checks, MindIE's endpoint checks, Xinference / GPUStack / LMCache-Ascend on Ascend. Each rule reads other members of
its family (other values, other wordings the source raises, launcher prefixes) and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; the lines here are the framework's message with other
values, and lines that share words with it but are not the error.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="server.log")


@pytest.mark.parametrize("text, rule, words", [
    ("ERROR 10-11 09:12:40 [serving_chat.py:222] ValueError: presence_penalty must be in [-2, 2], got 3.0.",
     "kb.serving.sampling_param_out_of_range", ["presence_penalty", "[-2, 2]"]),
    ("ValueError: min_tokens must be less than or equal to max_tokens=16, got 32.",
     "kb.serving.sampling_param_out_of_range", ["min_tokens"]),
    ("(APIServer pid=9) ValueError: Requested prompt logprobs of 30, which is greater than max allowed: 20",
     "kb.serving.logprobs_over_server_max", ["--max-logprobs 30", "prompt"]),
    ("ValueError: Token id 200001 is out of vocabulary", "kb.serving.token_id_out_of_vocab", ["200001", "--tokenizer"]),
    ("ValueError: Failed to transform json schema into a grammar: unsupported keyword 'patternProperties'",
     "kb.serving.structured_output_unsupported", ["guidance"]),
    ("ValueError: Invalid value for `tool_choice`: always! Only named tools, \"none\", \"auto\" or \"required\" are "
     "supported.", "kb.serving.request_fields_conflict", ["tool_choice"]),
    ("ValueError: Unknown tokenizer mode: fast. Must be one of ['auto', 'slow', 'mistral', 'custom'].",
     "kb.serving.flag_value_unknown", ["tokenizer mode", "fast", "--tokenizer-mode"]),
    ("ValueError: Unsupported kv_role: kv_prefill. Supported roles are ['kv_producer', 'kv_consumer', 'kv_both']",
     "kb.serving.flag_value_unknown", ["kv_role", "kv_prefill"]),
    ("ValueError: Classification API is not supported by this model. Try converting the model using "
     "`--convert classify`.", "kb.serving.runner_kind_mismatch", ["--convert embed"]),
    ("ValueError: Failed to import Ray: No module named 'ray'.Please install Ray with `pip install ray`.",
     "kb.serving.ray_not_installed", ["ray[cgraph]", "--distributed-executor-backend mp"]),
    ("RuntimeError: Every node should have a unique IP address. Got 4 nodes with node ids ['a', 'b', 'c', 'd'] and 2 "
     "unique IP addresses {'172.17.0.2', '172.17.0.3'}.", "kb.serving.ray_nodes_share_ip",
     ["4 nodes", "2 different IPs", "VLLM_HOST_IP"]),
    ("TimeoutError: Timed out waiting for new engines to send initial message on input socket.",
     "kb.serving.dp_engines_not_connected", ["--headless", "--data-parallel-address"]),
    ("ValueError: The model type 'gemma2' does not support float16. Reason: Numerical instability.",
     "kb.serving.model_dtype_refused", ["'gemma2'", "--dtype bfloat16"]),
    ("ValueError: Following weights were not initialized from checkpoint: {'model.embed_tokens.weight'}",
     "kb.serving.weights_left_uninitialized", ["model.embed_tokens.weight", "model.safetensors.index.json"]),
    ("WARNING 06-01 10:00:00 [scheduler.py:1091] Input prompt (4097 tokens) is too long and exceeds limit of 4096",
     "kb.serving.prompt_over_scheduler_limit", ["4097", "--max-num-batched-tokens"]),
    ("ValueError: Found conflicts between 'rope_type=linear' (modern field) and 'type=yarn' (legacy field). You "
     "should only specify one of them.", "kb.serving.rope_scaling_invalid", ["linear", "yarn", "--hf-overrides"]),
    ("ValueError: lora_extra_vocab_size (100) must be one of (256, 512).", "kb.serving.lora_config_values",
     ["lora_extra_vocab_size"]),
    ("ValueError: Qwen3VLMoeForConditionalGeneration is not a multimodal model", "kb.serving.mm_input_to_text_model",
     ["Qwen2.5-VL"]),
    ("[2025-04-27 16:21:03.112] [3456] [281473][endpoint][ERROR] [http_server.cpp:237] : Socket bind failed, "
     "bind_result is -1. Address already in use", "kb.serving.mindie_port_occupied", ["managementPort", "lsof"]),
    ("Input managementIpAddress [10.0.0.300] is invalid", "kb.serving.mindie_listen_address_invalid",
     ["managementIpAddress", "allowAllZeroIpListening"]),
    ("[2025-04-27 16:40:12.311] [3480] [281473][endpoint][ERROR] [http_ssl.cpp:446] : Certificate has expired! current "
     "time after cert time.", "kb.serving.mindie_https_certificates", ["httpsEnabled"]),
    ("RuntimeError: GPU index 2 has been occupied with models: ['qwen3-0'], and multi-replica-per-GPU is disabled.",
     "kb.serving.xinference_no_free_device", ["xinference terminate"]),
    ("ValueError: Model glm4-chat cannot be run on engine MindIE, with format pytorch, size 9 and quantization "
     "none.", "kb.serving.xinference_engine_unavailable", ["glm4-chat", "MindIE", "xinference engine"]),
    ("Unable to halHostRegister: 7", "kb.serving.lmcache_host_register_failed", ["IPC_LOCK", "24.1.0"]),
    ("TypeError: NPUWorker.load_model() missing 1 required positional argument: 'config'",
     "kb.serving.plugin_call_mismatch", []),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    # a training framework's own range check is not a request's sampling parameter
    ("ValueError: learning_rate must be positive, got -0.1", "kb.serving.sampling_param_out_of_range"),
    ("INFO 10-11 09:12:40 [logger.py:49] params: SamplingParams(temperature=0.7, top_p=0.8, top_k=20)",
     "kb.serving.sampling_param_out_of_range"),
    ("INFO: xgrammar supports this JSON schema, compiled in 3 ms", "kb.serving.structured_output_unsupported"),
    ("INFO 10-11 11:00:02 [cache.py:120] Using kv cache dtype: auto", "kb.serving.flag_value_unknown"),
    ("INFO 10-11 11:00:02 [__init__.py:38] Available plugins for group vllm.platform_plugins: ascend, "
     "distributed executor backend mp", "kb.serving.flag_value_unknown"),
    ("INFO 10-11 11:40:10 [ray_utils.py:60] Ray is available, version 2.46.0", "kb.serving.ray_not_installed"),
    ("WARNING 10-11 12:00:01 [scheduler.py:1600] Sequence group 3 is preempted because the client aborted",
     "kb.serving.kv_cache_preemption"),
    ("INFO 10-11 12:00:01 [default_loader.py:267] Loading weights took 42.10 seconds",
     "kb.serving.weights_left_uninitialized"),
    ("[INFO] Input ipAddress [10.0.0.1] accepted", "kb.serving.mindie_listen_address_invalid"),
    ("[INFO] Certificate valid until 2027-01-01", "kb.serving.mindie_https_certificates"),
    # a library missing for some other program is not MindIE's own library
    ("python: error while loading shared libraries: libboost_thread.so.1.82.0: cannot open shared object file",
     "kb.serving.mindie_libs_not_on_path"),
    ("--max-num-seqs requires no other flag", "kb.serving.option_requires_other"),
    ("usage: vllm serve [-h] [--enable-auto-tool-choice] [--tool-call-parser TOOL_CALL_PARSER]",
     "kb.serving.option_requires_other"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_a_rule_that_names_the_pair_outranks_the_catch_all_for_a_flag_needing_another(tmp_path):
    report = _diagnose(tmp_path, "TypeError: Error: --enable-auto-tool-choice requires --tool-call-parser")
    assert report.root_cause.rule == "kb.serving.tool_choice_needs_parser"
    other = _diagnose(tmp_path, "TypeError: Error: --enable-log-outputs requires --enable-log-requests")
    assert other.root_cause.rule == "kb.serving.option_requires_other"
    assert other.root_cause.confidence != "confident"  # a catch-all is said as likely


def test_a_request_refused_in_a_long_server_log_is_the_root_cause(tmp_path):
    """A server that keeps serving logs many lines after a refused request; the request's own error is named."""
    lines = [f"INFO 10-11 09:{m:02d}:00 [metrics.py:455] Avg prompt throughput: 120.0 tokens/s, Running: 3 reqs"
             for m in range(40)]
    lines[20:20] = [
        "ERROR 10-11 09:20:01 [serving_chat.py:222] Error in preprocessing prompt inputs",
        "ERROR 10-11 09:20:01 [serving_chat.py:222] ValueError: temperature must be non-negative, got -1.0.",
        'INFO:     10.0.0.7:51234 - "POST /v1/chat/completions HTTP/1.1" 400 Bad Request',
    ]
    report = _diagnose(tmp_path, "\n".join(lines))
    assert report.root_cause is not None and report.root_cause.rule == "kb.serving.sampling_param_out_of_range"
