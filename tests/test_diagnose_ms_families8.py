"""MindSpore-ecosystem family rules (session 8): the operator-check families and framework raise sites: one rule reads the many operators, arguments and wordings of one fact (an
input of the wrong rank or dtype, two shapes that must agree, an axis past the rank), yields to a rule that names
the cause, and stays quiet on look-alike lines.

The fixtures in tests/data/logs/kb/ show one member each; these lines are other members, worded as MindSpore 2.7.1,
MindFormers, MindCV and MindNLP raise them (the raise sites are in each rule's ``source``).
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("line, rule, words", [
    # ranks: the C++ infer checks word the same fact many ways
    ("ValueError: For 'BatchMatMul', the rank of 'x' must be greater than or equal to 3, but got 2.",
     "kb.operator.ms_input_rank_not_accepted", ["BatchMatMul", "dimensions"]),
    ("ValueError: For 'Conv3D', 'input_x' must be a 5-D tensor, but got a 4-D tensor.",
     "kb.operator.ms_input_rank_not_accepted", ["Conv3D", "input_x"]),
    ("ValueError: For 'MaxPool2D', the x_shape size must be equal to 4, but got 3.",
     "kb.operator.ms_input_rank_not_accepted", ["MaxPool2D"]),
    ("[ERROR] ME(7:281,MainProcess):2025-01-01 [ops/infer.cc:10] For 'Dense', the dim of 'x' should be equal to 2, "
     "but got 3", "kb.operator.ms_input_rank_not_accepted", ["Dense"]),
    ("ValueError: For primitive[BiasAdd], the input_x rank must be greater than or equal to 2, but got 1.",
     "kb.operator.ms_input_rank_not_accepted", ["BiasAdd"]),
    ("TypeError: For Conv2d, Expected 3D (unbatched) or 4D (batched),but got input of ndim: 2D",
     "kb.operator.ms_input_rank_not_accepted", ["Conv2d"]),
    # dtypes
    ("TypeError: For primitive[Add], the input arguments must have same data type, but got Tensor[Float32] and "
     "Tensor[Float16].", "kb.operator.ms_input_type_not_accepted", ["Add", "data type"]),
    ("TypeError: For 'Cast', the input 'x' must be a Tensor, but got list.", "kb.operator.ms_input_type_not_accepted",
     ["Cast"]),
    ("TypeError: For 'get_rank', the argument 'group' must be type of string, but got 'group' type : <class 'int'>.",
     "kb.operator.ms_input_type_not_accepted", ["get_rank"]),
    ("ImportError: `diffusers` is required but not installed. Please install it with: `pip install diffusers`",
     "kb.environment.mindnlp_extra_missing", ["diffusers", "optional dependency"]),
    # shapes that must agree
    ("ValueError: For 'SoftmaxCrossEntropyWithLogits', the shape of 'logits' and 'labels' must be the same, but got "
     "logits shape: (32, 10), labels shape: (32, 20).", "kb.operator.ms_input_shapes_disagree",
     ["logits", "labels"]),
    # axes
    ("ValueError: For 'ReduceSum', the 'axis[0]' must be in range [-2, 2), but got 2.",
     "kb.operator.ms_axis_out_of_range", ["axis", "[-2, 2)"]),
    # graph mode: only a None operand is an undefined variable
    ("RuntimeError: The 'mul' operation does not support the type.", "kb.graph.ms_operation_type_unsupported",
     ["mul"]),
    ("RuntimeError: The 'add' operation does not support the type [Int64, kMetaTypeNone].",
     "kb.graph.undefined_attribute", ["None"]),
    ("RuntimeError: Create device context failed, please make sure target device:Ascend is available.",
     "kb.environment.ms_device_plugin_not_loaded", ["set_env.sh"]),
    ("[ERROR] RandomCrop: invalid crop size, crop size is bigger than the image dimensions, got crop height: 256, "
     "crop width: 256", "kb.data.ms_crop_larger_than_image", ["RandomCrop", "HWC"]),
    ("RuntimeError: When using the range statement with some syntaxes that is not supported in graph mode, it is "
     "best to set jit_syntax_level to LAX.", "kb.graph.syntax_needs_lax_level", ["LAX"]),
    ("TypeError: Cannot join the return values of different branches, perhaps you need to make them equal.",
     "kb.graph.branch_type_join", []),
    # vLLM-MindSpore patches vLLM's modules by name: a module the installed vLLM lacks is the version pair
    ("Traceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/vllm_mindspore/__init__.py\", "
     "line 150, in <module>\n    vllm.worker.model_runner.X = Y\n"
     "AttributeError: module 'vllm.worker' has no attribute 'model_runner'", "kb.serving.plugin_call_mismatch",
     ["vLLM"]),
    ("RuntimeError: Load servable config failed, file '/srv/add/servable_config.py' not exist, servable directory "
     "'/srv', servable name 'add'", "kb.serving.ms_serving_servable_layout", ["servable_config.py"]),
    ("RuntimeError: Fail to start agents because of death of one agent", "kb.serving.ms_serving_worker_died",
     ["serving_logs"]),
    ("ValueError: The following patterns did not match any files: ['/data/wiki/*.tfrecord'].",
     "kb.data.ms_file_patterns_unmatched", ["wildcards"]),
    ("ValueError: Invalid parallel mode. Expected one of dict_keys([0, 1, 2, 3, 'DATA_PARALLEL']), got semi",
     "kb.parallel.mf_context_mode_invalid", ["parallel mode", "semi"]),
    ("RuntimeError: The 'mindspore.set_device' can not be modified.", "kb.launch.ms_device_setting_repeated",
     ["once"]),
    ("RuntimeError: The 'precision_mode' can not be set repeatedly.", "kb.launch.ms_device_setting_repeated",
     ["once"]),
    ("RuntimeError: Unknown loss module YOLOv8Losss", "kb.launch.ms_suite_component_unknown", ["YOLOv8Losss"]),
    ("ValueError: Invalid scheduler: cosine", "kb.launch.ms_suite_component_unknown", ["scheduler", "cosine"]),
    # MindFormers' 1.x layers word the parallel checks their own way
    ("ValueError: layers 2 must be larger than pipeline stage 4", "kb.parallel.layers_lt_pp", ["pipeline"]),
    ("ValueError: The number of heads 14 must be a multiple of parallel_config.model_parallel 4.",
     "kb.parallel.heads_mp", ["model_parallel"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


@pytest.mark.parametrize("text, specific", [
    # The MatMul check without a comma after the operator's name names the inner dimensions.
    ("ValueError: For 'MatMul' the input dimensions must be equal, but got 'x1_col': 128 and 'x2_row': 64.",
     "kb.graph.matmul_inner_dims"),
    # A plugin whose missing CANN library a rule knows: that rule, not the plugin catch-all.
    ("RuntimeError: Create device context failed, please make sure target device:Ascend is available, error message "
     "of loading plugins: Load dynamic library: libmindspore_ascend.so.2 failed. libge_runner.so: cannot open "
     "shared object file: No such file or directory", "kb.environment.cann_lib_missing"),
    # Conv channels: the specific rule, not the rank family.
    ("RuntimeError: For 'Conv2D', 'C_in' of input 'x' shape divide by parameter 'group' must be equal to 'C_in' of "
     "input 'weight' shape: 3, but got 'C_in' of input 'x' shape: 1, and 'group': 1.",
     "kb.operator.ms_conv_in_channels"),
    # the dtype list the specific rule reads
    ("TypeError: For primitive[MatMul], the input argument[x1] must be a type of {Float16, Float32}, but got Int32.",
     "kb.operator.ms_input_dtype_not_accepted"),
])
def test_a_rule_that_knows_the_member_wins_over_the_family(tmp_path, text, specific):
    assert _diagnose(tmp_path, text).root_cause.rule == specific


@pytest.mark.parametrize("line, rule", [
    # a JIT Fallback object is not an undefined variable
    ("RuntimeError: The 'setitem' operation does not support the type [External, Int64, Int64].",
     "kb.graph.undefined_attribute"),
    # a shape printed in an INFO line, not a check
    ("[INFO] ME(1:1,MainProcess):2025 For 'Conv2D', the input x shape is [1, 3, 224, 224]",
     "kb.operator.ms_input_rank_not_accepted"),
    ("[INFO] MD(1,python):2025 Loading dataset and push first batch into device successful.",
     "kb.data.ms_string_column_to_device"),
    ("ValueError: For 'Softmax', the 'axis' must be int, but got float.", "kb.operator.ms_axis_out_of_range"),
    ("ValueError: The vocab size 32000 is loaded from tokenizer.json", "kb.parallel.mf_vocab_not_divisible_mp"),
    # a vLLM module missing an attribute outside the plug-in's own import is not the plug-in pair
    ("AttributeError: module 'vllm.worker' has no attribute 'model_runner'", "kb.serving.plugin_call_mismatch"),
    ("[WARNING] Invalid optimizer: lamb is ignored, falling back to adam", "kb.launch.ms_suite_component_unknown"),
    # a map operation's line is the map rule's: the crop rule does not repeat it
    ("[ERROR] map operation: [Crop] failed. Crop: Crop height dimension: 8 exceeds image height: 3.",
     "kb.data.ms_crop_larger_than_image"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, line).findings}


def test_an_operator_check_is_said_as_likely_not_as_the_cause(tmp_path):
    """An op check says what is wrong with the input, not why the job fed it: never a confident answer."""
    report = _diagnose(tmp_path, "ValueError: For 'Conv2D', the dimension of 'x' must be equal to 4, but got 3.")
    assert report.root_cause.rule == "kb.operator.ms_input_rank_not_accepted"
    assert report.root_cause.confidence != "confident"
