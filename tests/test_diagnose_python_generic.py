"""Python's own exception families (validators/data/kb/python_generic.yaml and python_versions.yaml): any
package's member of a family is explained as *likely*, naming the package, name or path the message holds; a rule
that knows the package or the message better still names the cause; messages that state their own cause are
named as the cause; look-alike lines (warnings, reprs, other exceptions) stay quiet; what follows another
process's failure is a consequence.

The lines are Python's, glibc's and the libraries' own message formats with names of our choosing, not logs
of any one report.
"""

from __future__ import annotations

import pytest

from mindpilot.validators.kb.report import CONFIDENT, LIKELY
from support import assert_root_cause_says, diagnose_text as _diagnose

TRACEBACK = 'Traceback (most recent call last):\n  File "/home/u/run.py", line 3, in <module>\n    main()\n'


@pytest.mark.parametrize("text, rule, words", [
    ("[rank0]: ModuleNotFoundError: No module named 'einops'", "kb.environment.module_not_installed",
     ["einops", "not installed", "install"]),
    ("2025-01-01 10:00:00,870 - engine - ERROR - __init__.py:17 - ModuleNotFoundError: No module named 'lmkernels'",
     "kb.environment.module_not_installed", ["lmkernels", "install"]),
    ("ModuleNotFoundError: No module named 'google.protobuf'", "kb.environment.module_not_installed",
     ["google.protobuf", "install"]),
    ("ModuleNotFoundError: No module named 'peft.tuners.lora.layer'", "kb.versions.submodule_missing",
     ["peft", "tuners.lora.layer", "version"]),
    ("AttributeError: partially initialized module 'yaml' has no attribute 'safe_load' (most likely due to a "
     "circular import)", "kb.environment.circular_import", ["yaml", "safe_load"]),
    ("AttributeError: module 'numpy' has no attribute 'bool8'. Did you mean: 'bool_'?",
     "kb.versions.package_attribute_missing", ["numpy", "bool8", "version"]),
    ("AttributeError: module 'deepspeed_npu.ops' has no attribute 'adam'",
     "kb.versions.package_attribute_missing", ["deepspeed_npu.ops.adam", "version"]),
    ("TypeError: forward() missing 1 required positional argument: 'attention_mask'",
     "kb.versions.call_signature_mismatch", ["forward", "attention_mask", "version"]),
    ("TypeError: LlamaAttention.forward() takes from 2 to 5 positional arguments but 6 were given",
     "kb.versions.call_signature_mismatch", ["LlamaAttention.forward", "6 were given"]),
    ("RuntimeError: Unsupported data type!", "kb.operator.feature_not_supported", ["Unsupported data type"]),
    ("[ERROR] ME(4242,ffff,python):2025-01-01-10:00:00.000.000 [mindspore/ccsrc/x/y.cc:12] Check] sparse gather "
     "is not supported on this device", "kb.operator.feature_not_supported", ["sparse gather is not supported"]),
    ("NotImplementedError", "kb.operator.feature_not_supported", ["NotImplementedError"]),
    ("python3: can't open file '/home/u/train.py': [Errno 2] No such file or directory",
     "kb.environment.path_not_found", ["/home/u/train.py", "working directory"]),
    ("FileNotFoundError: The tokenizer folder /models/x does not exist", "kb.environment.path_not_found",
     ["/models/x"]),
    ("OSError: [Errno 13] Permission denied: '/var/log/npu/slog'", "kb.environment.path_permission_denied",
     ["/var/log/npu/slog"]),
    ("double free or corruption (out)\nAborted (core dumped)", "kb.runtime.heap_corruption",
     ["double free or corruption", "Python version"]),
    ("munmap_chunk(): invalid pointer", "kb.runtime.heap_corruption", ["munmap_chunk"]),
    ("terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc",
     "kb.runtime.host_memory_exhausted", ["host"]),
    (TRACEBACK + "MemoryError", "kb.runtime.host_memory_exhausted", ["host"]),
    ("Fatal Python error: Illegal instruction", "kb.runtime.illegal_instruction", ["CPU"]),
    (TRACEBACK + "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 3 column 1 "
     "(char 25)", "kb.data.json_file_invalid", ["line 3 column 1"]),
    (TRACEBACK + "yaml.parser.ParserError: while parsing a block mapping\n  in \"conf/run.yaml\", line 4, column 3\n"
     "expected <block end>, but found '<block sequence start>'\n  in \"conf/run.yaml\", line 9, column 5",
     "kb.data.yaml_file_invalid", ["conf/run.yaml", "line 4"]),
    ("UnicodeDecodeError: 'utf-8' codec can't decode byte 0xd6 in position 0: invalid continuation byte",
     "kb.data.text_encoding_mismatch", ["utf-8", "GBK"]),
    ('Traceback (most recent call last):\n  File "/srv/tools/load_state_dict.py", line 8, in remap\n'
     "    new[name] = old[mapping[name]]\nKeyError: 'layers.0.attn.wq'", "kb.checkpoint.loaded_file_key_missing",
     ["layers.0.attn.wq"]),
    ('Traceback (most recent call last):\n  File "/usr/lib/python3.10/os.py", line 680, in __getitem__\n'
     "    raise KeyError(key) from None\nKeyError: 'RANK_ID'", "kb.launch.env_var_missing", ["RANK_ID", "msrun"]),
    ('Traceback (most recent call last):\n  File "/usr/lib/python3.8/site-packages/newlib/core.py", line 88\n'
     "    match mode:\n          ^\nSyntaxError: invalid syntax", "kb.versions.python_too_old_syntax",
     ["Python version"]),
    ('Traceback (most recent call last):\n  File "/usr/local/lib/python3.10/site-packages/peft/tuners/lora.py", '
     "line 90, in _find_and_replace\n    target.update_layer(name)\n"
     "AttributeError: 'Linear8bitLt' object has no attribute 'update_layer'",
     "kb.versions.library_object_attribute_missing", ["Linear8bitLt", "update_layer", "version"]),
    ("FileExistsError: [Errno 17] File exists: '/cache/ckpt/rank_0'", "kb.environment.path_already_exists",
     ["/cache/ckpt/rank_0", "exist_ok"]),
    ("[rank3]: ConnectionRefusedError: [Errno 111] Connection refused", "kb.launch.connection_refused",
     ["rank 0", "MASTER_PORT"]),
    ("AttributeError: type object 'Resampling' has no attribute 'NEAREST_EXACT'",
     "kb.versions.library_object_attribute_missing", ["Resampling", "NEAREST_EXACT", "versions"]),
    ('Traceback (most recent call last):\n  File "/usr/lib/python3.9/site-packages/datasets/arrow_dataset.py", '
     "line 300, in map\n    ids, mask = encode(batch)\nValueError: too many values to unpack (expected 2)",
     "kb.versions.unpack_count_mismatch", ["too many values to unpack (expected 2)", "version"]),
])
def test_any_member_of_the_family_is_named_as_likely(tmp_path, text, rule, words):
    report = _diagnose(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == LIKELY


@pytest.mark.parametrize("text, rule, words", [
    ("ImportError: No module named 'os.path.x'; 'os.path' is not a package",
     "kb.environment.module_file_shadows_package", ["os.path.py"]),
    ("AttributeError: module 'numpy' has no attribute 'array' (consider renaming '/home/u/numpy.py' if it has the "
     "same name as a library you intended to import)", "kb.environment.own_file_shadows_module", ["/home/u/numpy.py"]),
    ("ModuleNotFoundError: No module named '__main__.utils'; '__main__' is not a package",
     "kb.environment.relative_import_in_script", ["python -m"]),
    ("ImportError: attempted relative import beyond top-level package", "kb.environment.relative_import_in_script",
     ["beyond top-level package"]),
    ("ImportError: cannot import name 'TypeAlias' from 'typing' (/usr/lib/python3.9/typing.py)",
     "kb.versions.python_too_old_typing", ["TypeAlias", "3.10"]),
    ("AttributeError: module 'pkgutil' has no attribute 'ImpImporter'. Did you mean: 'zipimporter'?",
     "kb.versions.python_too_new_for_code", ["ImpImporter", "setuptools"]),
    ("ModuleNotFoundError: No module named 'imp'", "kb.versions.python_too_new_for_code", ["imp", "3.12"]),
    ("AttributeError: module 'collections' has no attribute 'MutableMapping'", "kb.versions.python_too_new_for_code",
     ["MutableMapping", "collections.abc"]),
    ("SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?",
     "kb.versions.python_too_new_for_code", ["print", "Python 2"]),
    ("ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 16 from C header, got 96 "
     "from PyObject", "kb.versions.compiled_against_other_numpy", ["numpy.ndarray", "16", "96"]),
    ("WARNING: pip is configured with locations that require TLS/SSL, however the ssl module in Python is not "
     "available.", "kb.environment.python_built_without_module", ["ssl", "openssl-devel"]),
    ("ImportError: DetrConvEncoder requires the timm library but it was not found in your environment. You can "
     "install it with pip:", "kb.environment.optional_library_missing", ["timm", "not installed"]),
    ("ImportError: Using `low_cpu_mem_usage=True` or a `device_map` requires Accelerate: `pip install "
     "'accelerate>=0.26.0'`", "kb.environment.optional_library_missing", ["Accelerate"]),
    ("TypeError: cannot pickle '_thread.lock' object", "kb.data.object_not_picklable", ["_thread.lock", "num_workers"]),
    ("_pickle.PicklingError: Can't pickle <function <lambda> at 0x7f00>: attribute lookup <lambda> on __main__ failed",
     "kb.data.object_not_picklable", ["<function <lambda> at 0x7f00>"]),
    ("UserWarning: Failed to initialize NumPy: No module named 'numpy' (Triggered internally at "
     "../torch/csrc/utils/tensor_numpy.cpp:84.)", "kb.versions.torch_numpy_unavailable", ["No module named 'numpy'"]),
    ("TypeError: Object of type Tensor is not JSON serializable", "kb.data.value_not_json_serializable",
     ["Tensor", ".tolist()"]),
])
def test_a_message_that_states_its_cause_is_named_as_the_cause(tmp_path, text, rule, words):
    report = _diagnose(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == CONFIDENT


@pytest.mark.parametrize("text, specific, catch_all", [
    ("ModuleNotFoundError: No module named 'fastchat'", "kb.data.fastchat_missing",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'mindformers'", "kb.environment.no_module_mindformers",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'torch_npu'", "kb.environment.ascend_python_package_missing",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'flash_attn'", "kb.environment.gpu_only_package_on_npu",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'te'", "kb.environment.cann_python_packages",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'mindspore.version'", "kb.environment.package_shadowed",
     "kb.versions.submodule_missing"),
    ("ModuleNotFoundError: No module named 'torch_npu._C'", "kb.environment.source_tree_shadows_package",
     "kb.versions.submodule_missing"),
    ("ModuleNotFoundError: No module named 'mindspeed_llm.tasks.models'", "kb.versions.mindspeed_module_missing",
     "kb.versions.submodule_missing"),
    ("ModuleNotFoundError: No module named 'vllm.benchmarks.serve'", "kb.serving.vllm_module_missing",
     "kb.versions.submodule_missing"),
    ("AttributeError: module 'numpy' has no attribute 'float'", "kb.versions.numpy_alias_removed",
     "kb.versions.package_attribute_missing"),
    ("AttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'", "kb.versions.pillow_constant_removed",
     "kb.versions.package_attribute_missing"),
    ("TypeError: construct() missing 1 required positional argument: 'x'", "kb.graph.construct_arg_count",
     "kb.versions.call_signature_mismatch"),
    ("FileNotFoundError: [Errno 2] No such file or directory: 'npu-smi'", "kb.environment.npu_smi_missing",
     "kb.environment.path_not_found"),
    ("NotImplementedError: bfloat16 is not supported on this device", "kb.operator.bf16_unsupported",
     "kb.operator.feature_not_supported"),
    ("ModuleNotFoundError: No module named '_bz2'", "kb.environment.python_built_without_module",
     "kb.environment.module_not_installed"),
    ("ModuleNotFoundError: No module named 'asyncore'", "kb.versions.python_too_new_for_code",
     "kb.environment.module_not_installed"),
    ("AttributeError: module 'inspect' has no attribute 'getargspec'", "kb.versions.python_too_new_for_code",
     "kb.versions.package_attribute_missing"),
    ("ImportError: cannot import name 'Self' from 'typing' (/usr/lib/python3.10/typing.py)",
     "kb.versions.python_too_old_typing", "kb.versions.import_name_missing"),
    ("ImportError: cannot import name 'choice' from 'random' (consider renaming '/w/random.py' since it has the same "
     "name as the standard library module named 'random' and prevents importing that standard library module)",
     "kb.environment.own_file_shadows_module", "kb.versions.import_name_missing"),
    ("TypeError: unsupported operand type(s) for |: 'type' and 'NoneType'", "kb.environment.python_too_old_for_code",
     "kb.operator.feature_not_supported"),
    ('Traceback (most recent call last):\n  File "/usr/lib/python3.10/os.py", line 680, in __getitem__\n'
     "    raise KeyError(key) from None\nKeyError: 'ASCEND_HOME_PATH'", "kb.environment.op_build_no_cann_path",
     "kb.launch.env_var_missing"),
    ("RuntimeError: \"LayerNormKernelImpl\" not implemented for 'BFloat16'", "kb.operator.half_precision_kernel_on_cpu",
     "kb.operator.feature_not_supported"),
    ("ModuleNotFoundError: No module named 'mindspore'", "kb.environment.mindspore_not_installed",
     "kb.environment.module_not_installed"),
    ('Traceback (most recent call last):\n  File "/srv/vllm/model_executor/models/qwen2.py", line 480, in load_weights\n'
     "    param = params_dict[name]\nKeyError: 'model.layers.0.mlp.experts.w13_weight'",
     "kb.serving.weight_name_not_in_model", "kb.checkpoint.loaded_file_key_missing"),
    ("RuntimeError: Unsupported expression 'NamedExpr'.", "kb.graph.unsupported_syntax", "kb.operator.feature_not_supported"),
    ('Traceback (most recent call last):\n  File "/site-packages/transformers/models/auto/configuration_auto.py", '
     "line 623, in __getitem__\n    raise KeyError(key)\nKeyError: 'qwen3_moe'",
     "kb.versions.transformers_model_type_unknown", "kb.checkpoint.loaded_file_key_missing"),
])
def test_a_rule_that_knows_the_member_wins_and_the_catch_all_is_not_repeated(tmp_path, text, specific, catch_all):
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == specific
    assert catch_all not in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("text, rule", [
    ("module 'torch' has no attribute 'float8_e4m3fn'", "kb.versions.package_attribute_missing"),
    ("[WARNING] ME(1,python):2025-01-01 [x.py:3] ModuleNotFoundError: No module named 'triton', skip the kernels",
     "kb.environment.module_not_installed"),
    ("UserWarning: optional backend unavailable (ImportError: No module named 'apex_ext.fused')",
     "kb.versions.submodule_missing"),
    ("INFO Failed to import from vllm._C with ModuleNotFoundError(\"No module named 'vllm._C'\")",
     "kb.versions.submodule_missing"),
    ("AttributeError: 'NoneType' object has no attribute 'shape'", "kb.versions.package_attribute_missing"),
    ("[WARNING] flash attention is not supported for head_dim 96, fall back to the math path",
     "kb.operator.feature_not_supported"),
    ("ValueError: dtype bf16 is not supported here, using fp16 instead", "kb.operator.feature_not_supported"),
    ("[INFO] checking the supported dtypes: float16, float32", "kb.operator.feature_not_supported"),
    ('Traceback (most recent call last):\n  File "/srv/data/collator.py", line 20, in __call__\n'
     "    ids = batch['input_ids']\nKeyError: 'input_ids'", "kb.checkpoint.loaded_file_key_missing"),
    ("[ERROR] RUNTIME(7,python):2025-01-01 aicore kernel execute failed, illegal instruction, pc 0x1f",
     "kb.runtime.illegal_instruction"),
    ("[INFO] allocator: free(): 1024 blocks returned", "kb.runtime.heap_corruption"),
    ("loss 0.35, MemoryError count 0", "kb.runtime.host_memory_exhausted"),
    ("RuntimeWarning: numpy.dtype size changed, may indicate binary incompatibility. Expected 96, got 88",
     "kb.versions.compiled_against_other_numpy"),
    ('Traceback (most recent call last):\n  File "/home/u/run.py", line 3\n    print "x"\n          ^\n'
     "SyntaxError: invalid syntax", "kb.versions.python_too_old_syntax"),
    ('Traceback (most recent call last):\n  File "/home/u/run.py", line 9, in main\n    rank = ranks["RANK"]\n'
     "KeyError: 'RANK'", "kb.launch.env_var_missing"),
    ("ImportError: cannot import name 'Mapping' from 'collections_extended'", "kb.versions.python_too_new_for_code"),
    ("ModuleNotFoundError: No module named 'imp_tools'", "kb.versions.python_too_new_for_code"),
    ("AttributeError: 'NoneType' object has no attribute 'update_layer'\n  File \"/site-packages/x.py\", line 1",
     "kb.versions.library_object_attribute_missing"),
    ('Traceback (most recent call last):\n  File "/home/u/train.py", line 9, in main\n    model.fit()\n'
     "AttributeError: 'Trainer' object has no attribute 'fit'", "kb.versions.library_object_attribute_missing"),
    ("[WARNING] ME(7,python):2025-01-01 [x.py:3] optional file skipped: FileNotFoundError: [Errno 2] No such file or "
     "directory: '/root/.cache/hints.json'", "kb.environment.path_not_found"),
    ("2025-01-01 10:00:00,001 - trainer - WARNING - TypeError: f() got an unexpected keyword argument 'x', retrying "
     "without it", "kb.versions.call_signature_mismatch"),
    ("[WARNING] client: [Errno 111] Connection refused, retrying in 5 s", "kb.launch.connection_refused"),
    ("loss 0.31 KeyboardInterrupt handler installed", "kb.runtime.interrupted"),
    ('Traceback (most recent call last):\n  File "/home/u/run.py", line 9, in main\n    a, b = pair\n'
     "ValueError: not enough values to unpack (expected 2, got 1)", "kb.versions.unpack_count_mismatch"),
    ("RuntimeError: \"bitwise_and_npu\" not implemented for 'Float'", "kb.operator.half_precision_kernel_on_cpu"),
    ('Traceback (most recent call last):\n  File "/site-packages/torch/utils/data/dataloader.py", line 630, in '
     "__next__\n    data = self._next_data()\nKeyError: 'labels'", "kb.checkpoint.loaded_file_key_missing"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}


def test_a_catch_all_crash_line_yields_to_an_error_that_names_a_cause_just_above(tmp_path):
    text = ("ImportError: libascendcl.so: cannot open shared object file: No such file or directory\n"
            "free(): invalid pointer\nAborted (core dumped)")
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.cann_lib_missing"
    assert report.root_cause.confidence == CONFIDENT


def test_a_failed_command_is_a_consequence_of_its_own_error_above(tmp_path):
    text = ("/tmp/build/ops.cpp:12:10: fatal error: Python.h: No such file or directory\n"
            "compilation terminated.\n"
            "subprocess.CalledProcessError: Command '['ninja', '-v']' returned non-zero exit status 1.")
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.build_python_not_shared"
    assert "kb.launch.subprocess_failed" in {group.rule for group in report.consequences}


@pytest.mark.parametrize("tail, consequence", [
    ("BrokenPipeError: [Errno 32] Broken pipe", "kb.runtime.peer_connection_lost"),
    ("ConnectionResetError: [Errno 104] Connection reset by peer", "kb.runtime.peer_connection_lost"),
    ("KeyboardInterrupt", "kb.runtime.interrupted"),
])
def test_what_follows_another_failure_is_a_consequence_not_the_cause(tmp_path, tail, consequence):
    text = TRACEBACK + "ModuleNotFoundError: No module named 'einops'\n" + TRACEBACK + tail
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.module_not_installed"
    assert consequence in {group.rule for group in report.consequences}
