"""MindSpore-side families (runtime, MindFormers' mcore checks, MindSpore Lite, the data pipeline): other members'
wordings reach the family's rule, and lines that only look like a member (a summary printed for several causes, an
error the run recovered from, a wording of another framework) do not get a confident wrong answer.

The fixtures of tests/data/logs/kb/ show one member each; these lines are others, from the same raise sites.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    # Megatron-LM's parallel_state asserts with its own lower-case wording of the same missing set-up
    ("AssertionError: data parallel group is not initialized", "kb.launch.parallel_groups_not_initialized",
     ["initialize_model_parallel"]),
    ("RuntimeError: Pipeline parallel group is not initialized", "kb.launch.parallel_groups_not_initialized",
     ["msrun"]),
    ("RuntimeError: The capture graph feature can not work in this case. Please eliminate heterogeneity(cpu kernel) "
     "and control flow, or disable capture graph feature by set capture graph false in your python script.",
     "kb.runtime.ms_capture_trace_memory_unsupported", ["capture graph", "CPU kernels"]),
    ("ValueError: The input shapes item size 3 is not equal to dataset strategy item size 2",
     "kb.parallel.ms_dataset_strategy_size", ["dataset_strategy", "3"]),
    ("ValueError: No safetensors files found in directory './ckpt/rank_0' with suffix 'ckpt' and format "
     "'safetensors'. Please verify the directory contains the expected files.",
     "kb.checkpoint.ms_safetensors_file_suffix", ["file_suffix"]),
    ("ValueError: The `npu_num_per_node` must be a power of 2, but get 6", "kb.checkpoint.mf_transform_process_settings",
     ["npu_num_per_node"]),
    ("ValueError: No dataset file in /data/sft/train", "kb.data.mf_dataset_file_format", ["parquet"]),
    ("ValueError: rotary_interleaved does not work with multi_latent_attention.",
     "kb.parallel.mf_transformer_config_value", ["MLA"]),
    ("RuntimeError: To use kv-cache-dtype 'int8', it is necessary to set fa3_quant to True.",
     "kb.serving.vllm_ms_fa3_quant_kv_cache", ["--kv-cache-dtype"]),
    ("[ERROR] LITE(1,converter_lite):2025 [quant_param_parser.cc:60] ParseActivationQuantizedMethod] INPUT ILLEGAL: "
     "activation_quant_method must be MAX_MIN|KL|REMOVAL_OUTLIER.", "kb.operator.lite_converter_config_invalid",
     ["--configFile", "activation_quant_method"]),
    ("RuntimeError: Memory isn't enough and alloc failed, kernel name: Default/Add-op3, alloc size: 2048B.",
     "kb.runtime.device_oom", ["HBM"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    # converter_lite tries other parsers on a MINDIR, logs the attempt as an error, then succeeds
    ("[ERROR] LITE(1,converter_lite):2025 [protobuf_utils.cc:94] ReadProtoFromBinaryFile] Parse ./lenet.mindir "
     "failed.\n[WARNING] LITE(1,converter_lite):2025 [tensor_name_pass.cc:39] Run] input tensor (id = 7) name is "
     "null\nCONVERT RESULT SUCCESS:0", "kb.operator.lite_model_import_failed"),
    # the funcGraph summary is printed for unsupported operators as well as for unreadable files
    ("[ERROR] LITE(1,converter_lite):2025 [converter.cc:123] BuildFuncGraph] Get funcGraph failed for fmk: ONNX",
     "kb.operator.lite_model_import_failed"),
    # a start-up INFO line about the group that is about to be created
    ("[INFO] ME(1,python):2025 Tensor model parallel group is being initialized with 8 ranks",
     "kb.launch.parallel_groups_not_initialized"),
    # vLLM's own LoRA module list, not the vocabulary check
    ("INFO 09-03 10:00:00 [models.py:120] LoRA vocab size 151936 loaded", "kb.serving.lora_vocab_size_out_of_range"),
])
def test_look_alike_lines_get_no_confident_wrong_answer(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}


def test_ge_graph_call_is_said_as_likely_and_the_cann_error_before_it_wins(tmp_path):
    text = ("[ERROR] GE(1,python):2025-01-01-00:00:00.000.000 [graph_manager.cc:100] E19010: No parser is registered "
            "for Op [Foo, optype [Custom]].\n"
            "[ERROR] GE_ADPT(1,ffff,python):2025-01-01-00:00:00.000.100 [utils.cc:1102] CompileGraph] Call GE "
            "CompileGraph Failed, ret is: 4294967295")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause is not None
    assert report.root_cause.rule != "kb.runtime.ms_ge_graph_call_failed" or report.root_cause.confidence != "confident"
    alone = diagnose_text(tmp_path, text.splitlines()[1], name="alone.log")
    assert alone.root_cause is not None and alone.root_cause.rule == "kb.runtime.ms_ge_graph_call_failed"
    assert alone.root_cause.confidence == "likely"
