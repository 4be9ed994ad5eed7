"""Serving (vLLM, vllm-ascend, SGLang) and device-visibility rules: each family reads its members' other
wordings (other vLLM versions, other frameworks), a rule that knows the member beats the catch-all, and
look-alike lines (INFO lines with the same words, settings printed at start-up) stay quiet.

The fixtures in tests/data/logs/kb/kb.serving.*.log show one member each; the lines here are the others.
"""

from __future__ import annotations

from functools import partial

import pytest

from mindpilot.validators.kb import load_kb
from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="serve.log")


def _rules(report) -> set:
    return {finding.rule for finding in report.findings}


@pytest.mark.parametrize("line, rule, words", [
    ("ValueError: Free memory on device cuda:0 (84.11/287.98 GiB) on startup is less than desired GPU memory "
     "utilization (0.95, 273.59 GiB).", "kb.serving.free_memory_below_utilization", ["84.11", "287.98", "another process"]),
    ("ValueError: The model's max seq len (32768) is larger than the maximum number of tokens that can be stored in "
     "KV cache (20480). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the "
     "engine.", "kb.serving.kv_cache_below_max_model_len", ["32768"]),
    ("ValueError: To serve at least one request with the model's max seq len (262144), (24.0 GiB KV cache is needed, "
     "which is larger than the available KV cache memory (9.05 GiB).", "kb.serving.kv_cache_below_max_model_len",
     ["262144"]),
    ("vllm serve: error: argument --quantization/-q: invalid choice: 'ascend' (choose from 'aqlm', 'awq')",
     "kb.serving.quantization_unknown", ["'ascend'", "vllm-ascend"]),
    ("(APIServer pid=1) Value error, World size (8) is larger than the number of available GPUs (4) in this node.",
     "kb.serving.fewer_devices_than_world_size", ["8 NPUs"]),
    ("RuntimeError: No NPUs are available", "kb.environment.no_npu_available", ["no NPU"]),
    ("RuntimeError: init: NPU function error: aclrtGetDeviceCount(&device_count), error code is 207006", "kb.serving.device_files_inaccessible",
     ["permission"]),
    ("ModuleNotFoundError: No module named 'vllm_mindspore.model_executor.models.qwen3'",
     "kb.serving.vllm_module_missing", ["vllm_mindspore.model_executor.models.qwen3", "incomplete"]),
    ("Value error, Ascend scheduler is enabled without chunked prefill feature. Argument max_num_batched_tokens (8192) "
     "is smaller than max_model_len (16384).", "kb.serving.batched_tokens_below_max_model_len", ["8192", "16384"]),
    ("RuntimeError: Not enough memory. Please try to increase --mem-fraction-static. Current value: "
     "mem_fraction_static=0.8", "kb.serving.sglang_mem_fraction", ["mem_fraction_static"]),
    ("E89999: Inner Error! HCCL_BUFFSIZE is too small, need 1024MB", "kb.serving.hccl_buffsize_too_small",
     ["HCCL_BUFFSIZE"]),
    # a bf16 kernel the chip's operator package does not build (310P, 910A have no bf16)
    ("EZ1001: PromptFlashAttention LaunchAicore failed.\n        Cannot find bin of op PromptFlashAttention, integral "
     "key 0/1/|bf16/ND/bf16/ND/.", "kb.environment.op_binary_missing", ["bf16", "310P"]),
    # the MoE dispatch v2 tiling names the expert-parallel window, under an EZ1008 tiling failure
    ("Execution_Error(EZ1008): Failed to execute operator MoeDistributeDispatchV2_1. Reason: Failed to execute "
     "tiling function.\n        HCCL_BUFFSIZE_EP is too SMALL, maxBs = 64, h = 4096, NEEDED = 600MB, HCCL_BUFFSIZE=256MB.",
     "kb.serving.hccl_buffsize_too_small", ["HCCL_BUFFSIZE"]),
    ("ValueError: The decoder prompt (length 9000) is longer than the maximum model length of 8192. Make sure that "
     "`max_model_len` is no smaller than the number of text tokens.", "kb.serving.prompt_over_max_model_len",
     ["9000", "8192"]),
    ("ValueError: The input (40000 tokens) is longer than the model's context length (32768 tokens).",
     "kb.serving.prompt_over_max_model_len", ["40000", "32768"]),
    ("ValueError: Current node has no NPU available. current_node_resource={'CPU': 192.0}. vLLM engine cannot start "
     "without NPU.", "kb.serving.ray_devices_short", ["NPU"]),
    ("ValueError: Cannot use chat template functions because tokenizer.chat_template is not set and no template "
     "argument was passed!", "kb.serving.chat_template_missing", ["chat template"]),
    ("AssertionError: oproj_tensor_parallel_size is only supported in graph mode",
     "kb.serving.graph_option_needs_graph_mode", ["oproj_tensor_parallel_size"]),
    ("NotImplementedError: ACL Graph does not support deepseek. Please try torchair graph mode to serve deepseek "
     "models on vllm-ascend. Or set `enforce_eager=True` to use eager mode.", "kb.serving.graph_mode_model_unsupported",
     ["graph mode"]),
    ("NotImplementedError: Ascend scheduler is only supported for V1 Engine.", "kb.serving.v0_engine_on_ascend",
     ["V1"]),
    ("ERROR 09-01 [model_runner.py:491] For 310p, mla kv cache not supported", "kb.operator.not_implemented_for_soc",
     ["310p"]),
    ("ImportError: Please install vllm[video] for video support", "kb.serving.vllm_extra_missing", ["vllm[video]"]),
    ("ValueError: Cannot find model module. 'Ernie5ForCausalLM' is not a registered model in the Transformers library "
     "(only relevant if the model is meant to be in Transformers)", "kb.serving.architecture_unsupported",
     ["Ernie5ForCausalLM"]),
    ("KeyError: 'model.layers.3.self_attn.qkv_proj.weight_scale'", "kb.serving.quantized_weights_unquantized_model",
     ["weight_scale", "--quantization ascend"]),
    ("NotImplementedError: Unsupported quant_type=W4A16 for layer_type=moe.", "kb.serving.quant_description_mismatch",
     ["quant"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


@pytest.mark.parametrize("text, specific, catch_all", [
    # torch_npu's "no device" status first, the runtime's reason for it a few lines below.
    ("RuntimeError: init: NPU function error: aclrtGetDeviceCount(&device_count), error code is 207004\n"
     "[ERROR] 2025-07-17-08:06:53 (PID:1, Device:-1, RankID:-1) ERR00100 PTA call acl api failed\n"
     "EE1001: [PID: 1] 2025-07-17-08:06:53.296.370 The argument is invalid.Reason: set "
     "ASCEND_RT_VISIBLE_DEVICES:0,2,1,3 error, it must be configured in ascending order",
     "kb.serving.visible_devices_not_ascending", "kb.serving.no_npu_visible"),
    ("[ERROR] RUNTIME(4,python):2025-11-18-09:33:13.666.323 [runtime.cc:5632]4 GetVisibleDevices:[INIT][DEFAULT]"
     "set ASCEND_RT_VISIBLE_DEVICES:[6] error, input data rang[0-4)",
     "kb.serving.visible_devices_out_of_range", "kb.serving.visible_devices_rejected"),
])
def test_the_rule_that_knows_the_reason_wins(tmp_path, text, specific, catch_all):
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == specific
    assert report.findings[0].rule == specific
    assert catch_all not in {report.root_cause.rule}


def test_the_harmless_vllm_ascend_c_warning_gives_way_to_the_real_error(tmp_path):
    report = _diagnose(tmp_path, (
        "WARNING 04-28 16:10:09 [camem.py:67] Failed to import vllm_ascend_C:No module named "
        "'vllm_ascend.vllm_ascend_C'. Sleep mode will be disabled.\n"
        "ERROR 04-28 16:10:30 [core.py:708] ValueError: Total number of attention heads (40) must be divisible by "
        "tensor parallel size (16)."))
    assert report.root_cause.rule == "kb.serving.heads_not_divisible_by_tp"
    assert [f.rule for f in report.findings][:2] == ["kb.serving.heads_not_divisible_by_tp",
                                                     "kb.serving.vllm_ascend_c_not_built"]
    assert "kb.serving.vllm_module_missing" not in _rules(report)


def test_the_engine_line_is_a_consequence_of_the_worker_error(tmp_path):
    report = _diagnose(tmp_path, (
        "(VllmWorker rank=0 pid=10) ERROR 07-01 10:00:01 [multiproc_executor.py:487] RuntimeError: Cannot "
        "re-initialize NPU in forked subprocess. To use NPU with multiprocessing, you must use the 'spawn' start method\n"
        "(APIServer pid=1) RuntimeError: Engine core initialization failed. See root cause above."))
    assert report.root_cause.rule == "kb.serving.npu_forked_subprocess"
    assert "kb.serving.engine_core_failed" in {group.rule for group in report.consequences}


@pytest.mark.parametrize("line, rule", [
    # vllm-ascend's INFO summary after warm-up shares the opening words with the start-up refusal.
    ("INFO 07-01 [worker.py:790] Free memory on device (61.2/64.0 GiB) on startup. Desired GPU memory utilization is "
     "(0.9, 57.6 GiB). Actual usage: 15.2 GiB for weights", "kb.serving.free_memory_below_utilization"),
    ("INFO 07-01 [worker.py:571] Available KV cache memory: 12.50 GiB", "kb.serving.kv_cache_memory_negative"),
    ("INFO 07-01 [scheduler.py:230] Chunked prefill is enabled with max_num_batched_tokens=8192.",
     "kb.serving.batched_tokens_below_max_model_len"),
    ("WARNING max_num_batched_tokens (65536) exceeds max_num_seqs * max_model_len (32768). This may lead to "
     "unexpected behavior.", "kb.serving.batched_tokens_below_max_num_seqs"),
    ("export HCCL_BUFFSIZE=200", "kb.serving.hccl_buffsize_too_small"),
    ("INFO ASCEND_RT_VISIBLE_DEVICES=0,1,2,3 set for rank 0", "kb.serving.visible_devices_rejected"),
    ("ModuleNotFoundError: No module named 'vllm'", "kb.serving.vllm_module_missing"),
    ("ModuleNotFoundError: No module named 'vllm._C'", "kb.serving.vllm_module_missing"),
    ("ModuleNotFoundError: No module named 'vllm.benchmarks.serve'", "kb.rl.vllm_missing"),
    ("[INFO] step 12, loss 2.07004", "kb.serving.no_npu_visible"),
    ("INFO Using max model len 4096; model architecture Qwen2ForCausalLM is supported",
     "kb.serving.architecture_unsupported"),
    # vLLM without CUDA kernels (the build vllm-ascend runs on) logs the caught error as a warning.
    ("WARNING 03-11 14:47:27 _custom_ops.py:19] Failed to import from vllm._C with ModuleNotFoundError(\"No module "
     "named 'vllm._C'\")", "kb.environment.source_tree_shadows_package"),
    ("INFO 07-01 [api_server.py:1000] max_model_len=32768, This model's context is served in chunks",
     "kb.serving.prompt_over_max_model_len"),
    ("INFO 07-01 [platform.py:200] Torchair graph mode is enabled, graph batch sizes [1, 2, 4]",
     "kb.serving.graph_option_needs_graph_mode"),
    ("[WARNING] DISTRIBUTED: Failed to connect to the tcp server, connect timed out, retry(3/1200)",
     "kb.serving.rpc_timed_out"),
    # a plain weight the model lacks is not a quantization matter
    ("KeyError: 'model.layers.0.mlp.down_proj.weight'", "kb.serving.quantized_weights_unquantized_model"),
    ("INFO 11-02 [modelslim_config.py:60] Using the quantization type W8A8 for layer model.layers.0.mlp",
     "kb.serving.quant_description_mismatch"),
])
def test_look_alike_lines_stay_quiet(tmp_path, line, rule):
    assert rule in load_kb().rules  # a misspelt id would make this test pass for nothing
    assert rule not in _rules(_diagnose(tmp_path, line))


def test_a_missing_vllm_is_told_apart_from_a_missing_part_of_it(tmp_path):
    assert _diagnose(tmp_path, "ModuleNotFoundError: No module named 'vllm'").root_cause.rule == "kb.rl.vllm_missing"
    report = _diagnose(tmp_path, "ModuleNotFoundError: No module named 'vllm.benchmarks.serve'")
    assert report.root_cause.rule == "kb.serving.vllm_module_missing"


@pytest.mark.parametrize("text, quiet", [
    # The failing frame is vLLM's own: nothing says the plugin and vLLM disagree.
    ('  File "/usr/lib/python3.11/site-packages/vllm/entrypoints/llm.py", line 10, in generate\n'
     "    outputs = self._run_engine(use_tqdm=use_tqdm, beam=True)\n"
     "TypeError: LLM._run_engine() got an unexpected keyword argument 'beam'", "kb.serving.plugin_call_mismatch"),
    # A None where an object was expected is a bug or a missing setting, not a version pair.
    ('  File "/usr/lib/python3.11/site-packages/vllm_ascend/worker/worker.py", line 20, in load_model\n'
     "    self.model_runner.model.eval()\n"
     "AttributeError: 'NoneType' object has no attribute 'eval'", "kb.serving.plugin_call_mismatch"),
])
def test_errors_outside_the_plugin_boundary_are_not_a_version_pair(tmp_path, text, quiet):
    assert quiet not in _rules(_diagnose(tmp_path, text))


def test_the_plugin_calling_vllm_with_another_signature_is_a_version_pair(tmp_path):
    report = _diagnose(tmp_path, (
        '  File "/usr/lib/python3.11/site-packages/vllm_ascend/attention/attention_v1.py", line 88, in build\n'
        "    common_prefix_len=common_prefix_len)\n"
        "AttributeError: 'AscendMetadata' object has no attribute 'seq_lens_cpu'"))
    assert report.root_cause.rule == "kb.serving.plugin_call_mismatch"


def test_a_real_missing_c_extension_is_still_a_shadowing_source_tree(tmp_path):
    report = _diagnose(tmp_path, "ModuleNotFoundError: No module named 'vllm._C'")
    assert report.root_cause.rule == "kb.environment.source_tree_shadows_package"


def test_an_rpc_timeout_points_back_at_the_worker_that_failed(tmp_path):
    report = _diagnose(tmp_path, (
        "(VllmWorker rank=2 pid=40) ERROR 10-02 11:59:00 [multiproc_executor.py:546] RuntimeError: NPU out of memory. "
        "Tried to allocate 2.00 GiB (NPU 2; 60.00 GiB total capacity; 58.10 GiB already allocated)\n"
        "(EngineCore_DP0 pid=7) ERROR 10-02 12:00:00 [core.py:790] TimeoutError: RPC call to execute_model timed out."))
    assert report.root_cause.rule != "kb.serving.rpc_timed_out"
    assert "kb.serving.rpc_timed_out" in {group.rule for group in report.consequences}


def test_a_worker_that_died_is_a_consequence_of_what_killed_it(tmp_path):
    report = _diagnose(tmp_path, (
        "(VllmWorker rank=0 pid=12) ERROR 10-02 11:00:00 [multiproc_executor.py:546] ValueError: Free memory on device "
        "(3.1/64.0 GiB) on startup is less than desired GPU memory utilization (0.9, 57.6 GiB).\n"
        "ERROR 10-02 11:00:02 [multiproc_executor.py:140] Worker proc VllmWorker-0 died unexpectedly, shutting down "
        "executor."))
    assert report.root_cause.rule == "kb.serving.free_memory_below_utilization"
    assert "kb.serving.engine_core_failed" in {group.rule for group in report.consequences}


@pytest.mark.parametrize("text, rule", [
    ("RuntimeError: Engine process failed to start. See stack trace for the root cause.",
     "kb.serving.engine_core_failed"),
    ("vllm.engine.async_llm_engine.AsyncEngineDeadError: Background loop has errored already.",
     "kb.serving.engine_core_failed"),
])
def test_older_engines_stopping_are_consequences_too(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is None or report.root_cause.rule != rule
    assert rule in {group.rule for group in report.consequences}


def test_a_request_error_does_not_hide_a_start_up_failure_before_it(tmp_path):
    report = _diagnose(tmp_path, (
        "ERROR 10-02 11:00:00 [core.py:708] ValueError: max_num_batched_tokens (2048) is smaller than max_model_len "
        "(32768).\n"
        "openai.NotFoundError: Error code: 404 - {'message': 'The model `qwen` does not exist.'}"))
    assert report.root_cause.rule == "kb.serving.batched_tokens_below_max_model_len"
    assert "kb.serving.served_model_name_mismatch" in _rules(report)


def test_the_version_pair_is_read_through_vllm_s_process_and_logger_prefixes(tmp_path):
    prefix = "(EngineCore_DP0 pid=200) ERROR 06-10 10:00:40 [core.py:708] "
    report = _diagnose(tmp_path, "\n".join(prefix + line for line in (
        '  File "/usr/local/lib/python3.11/site-packages/vllm_ascend/worker/model_runner_v1.py", line 412, in __init__',
        "    self.input_batch = InputBatch(max_num_reqs=self.max_num_reqs, is_spec_decode=False)",
        "TypeError: InputBatch.__init__() got an unexpected keyword argument 'is_spec_decode'")))
    assert report.root_cause.rule == "kb.serving.plugin_call_mismatch"
