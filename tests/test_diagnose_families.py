"""Family rules: one rule per family of causes reads every member's wording, yields to a rule that knows the
member better, and stays quiet on look-alike lines (a confident wrong answer is worse than an unsure one).

Each fixture of tests/data/logs/kb/ shows one member; these lines are other members of the same families
(other libraries, packages, exception kinds) and lines that share words with them but are not the error.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose




@pytest.mark.parametrize("line, rule, words", [
    ("[ERROR]HCCL(9,python):2025-01-01-00:00:00.000.000[task_exception_handler.cc:610][9][TaskExecStage]"
     "[HeartbeatAbnormal]Cluster Exception Location[IP/ID]:[10.2.0.3/11], Arrival Time:[x], "
     "ExceptionType:[Stuck Occurred], Possible Reason:1.Host process is stuck",
     "kb.runtime.hccl_heartbeat_abnormal", ["Stuck Occurred", "10.2.0.3/11"]),
    ("OSError: libcustom_kernels.so.3: cannot open shared object file: No such file or directory",
     "kb.environment.shared_lib_not_found", ["libcustom_kernels.so"]),
    ("ImportError: cannot import name 'LLM' from 'vllm.entrypoints' (unknown location)",
     "kb.environment.package_without_code", ["vllm "]),
    ("ImportError: cannot import name 'get_args' from 'megatron.training' "
     "(/home/u/Megatron-LM/megatron/training/__init__.py)", "kb.versions.import_name_missing", ["megatron", "get_args"]),
    ("ModuleNotFoundError: No module named 'torch._C'", "kb.environment.source_tree_shadows_package", ["torch"]),
    ("AssertionError: /data/wiki/wiki_packed_input_ids_document not exists", "kb.data.preprocessed_dataset_missing",
     ["wiki_packed_input_ids_document"]),
    ("socket.gaierror: [Errno -2] Name or service not known", "kb.launch.hostname_unresolved", ["host name"]),
    ("ModuleNotFoundError: No module named 'vllm_ascend'", "kb.environment.ascend_python_package_missing",
     ["vllm_ascend"]),
    ("[ERROR] HCCL(5,python):2025-01-01 [config.cc:413] [5][InitGroupStage][RanktableCheck]rank[1] device ip "
     "family[2] is not same as others[10].", "kb.launch.hccl_ip_family_mismatch", ["IPv4", "IPv6"]),
    # MindSpore / MindFormers wordings of families that had a rule under another wording
    ("ValueError: The product of the data parallel 2, model parallel 4 pipeline stages 2 should be less than "
     "device_num 8.", "kb.parallel.device_num_product", ["worker_num"]),
    ("RuntimeError: Failed to create communication group for group_dp with rank ids [0, 1]. If NCCL is used, "
     "'export NCCL_DEBUG=INFO' is suggested before launching jobs.", "kb.launch.ms_comm_group_init_failed",
     ["group_dp"]),
    ("RuntimeError: The environment variable 'MINDSPORE_HCCL_CONFIG_PATH' or 'RANK_TABLE_FILE' is not set, so get "
     "hccl json config failed, please set env 'MINDSPORE_HCCL_CONFIG_PATH' or 'RANK_TABLE_FILE'",
     "kb.launch.ms_rank_env_not_exported", ["msrun"]),
    ("Traceback (most recent call last):\n  File \"train.py\", line 9, in <module>\n    init()\n"
     "RuntimeError: Ascend collective communication initialization failed.\n\n"
     "- Framework Error Message:\nInvalid environment variable 'RANK_ID', it should not be empty.",
     "kb.launch.ms_rank_env_not_exported", ["RANK_ID"]),
    ("ValueError: batch size 6 should be a multiple of dataset shard number 4. You should change the args: "
     "per_batch_size.", "kb.parallel.mf_batch_not_divisible_dp", ["6", "4"]),
    ("ValueError: For 'Dense', the param_shape is (1000, 512) and the setting param_strategy is (3, 1). The "
     "param_shape[0]: 1000 cannot be divisible by param_strategy[0]: 3.", "kb.parallel.ms_strategy_not_divisible",
     ["divisible"]),
    ("ValueError: The global rank must be smaller than device number, the global rank is 8, the device num is 8",
     "kb.launch.ms_rank_ge_device_num", ["device_num"]),
    ("ValueError: SafeTensorError::HeaderTooLarge", "kb.weights.safetensors_truncated", ["LFS"]),
    ("RuntimeError: Unexpected error. MindRecordOp Count total rows failed.", "kb.data.mindrecord_open_failed",
     [".db"]),
    # the user's own exception inside a GeneratorDataset's Python Call Stack names the cause
    ("RuntimeError: Exception thrown from user defined Python function in dataset.\n\n"
     "- Python Call Stack: \nTraceback (most recent call last):\n  File \"data.py\", line 30, in __getitem__\n"
     "    img = Image.open(self.files[i])\nFileExistsError: label file for img_017.jpg is missing\n\n"
     "- Dataset Pipeline Error Message: \n[ERROR] Execute user Python code failed, check 'Python Call Stack' above.",
     "kb.data.ms_user_code_exception", ["FileExistsError", "img_017.jpg"]),
    ("  [FAIL] torch_npu 2.6.0.dev20250101 is a daily build; install a released torch_npu paired with torch 2.6.0",
     "kb.environment.env_check_failed", ["daily build", "released torch_npu"]),
    ("/src/ext/csrc/ops.cpp:2:10: fatal error: aclnn/opdev/op_executor.h: No such file or directory",
     "kb.versions.cann_header_missing", ["aclnn/opdev/op_executor.h", "CANN"]),
    ("ERROR 01-05 10:00:00 [worker.py:10] NotImplementedError: Shard id with multiple indices is not supported in "
     "weight_loader, please use weight_loader_v2 instead.", "kb.serving.vllm_weight_loader_v2_not_registered",
     ["weight_loader_v2", "registered"]),
    ("NotImplementedError: Shard id with multiple indices is not supported for BNB quantization with TP yet.",
     "kb.serving.vllm_multi_shard_quant_unsupported", ["BNB quantization with TP", "tensor parallelism"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


def test_mindformers_nan_monitor_stop_is_read_as_loss_nan(tmp_path):
    report = _diagnose(tmp_path, "ValueError: There is nan in global_norm with value nan, terminate training.")
    assert "kb.runtime.loss_nan" in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("text, specific", [
    # A library whose package a rule knows: that rule, not the any-library one.
    ("ImportError: libascendcl.so: cannot open shared object file: No such file or directory",
     "kb.environment.cann_lib_missing"),
    # A package whose pair a rule knows: that rule, not the any-package one.
    ("ImportError: cannot import name 'context' from 'mindspore' (/usr/lib/python3.9/site-packages/mindspore/__init__.py)",
     "kb.environment.mindspore_package_broken"),
    # The aclnn status is the operator's summary; the EZ message beside it names the limit.
    ("RuntimeError: call aclnnInplaceCopy failed, error code is 161002\n"
     "[PID: 7] 2025-01-01 AclNN_Parameter_Error(EZ1001): The self tensor cannot be larger than 8 dimensions.",
     "kb.operator.tensor_too_many_dims"),
    # the compiler's own UB line (in its own spelling) names the limit the Triton stage line only announces
    ("triton.compiler.errors.MLIRCompilationError:\n[ConvertLinalgRToBinary] encounters error:\n"
     "loc(\"/tmp/k.mlir\":2:3): error: ub overflow, requires 2000000 bits while 1572864 bits avaliable!",
     "kb.operator.triton_ub_overflow"),
    # a package a rule knows comes with torch_npu, not the any-package one
    ("ModuleNotFoundError: No module named 'torchnpugen'", "kb.versions.torchnpugen_missing"),
])
def test_a_rule_that_knows_the_member_wins_over_the_family(tmp_path, text, specific):
    assert _diagnose(tmp_path, text).root_cause.rule == specific


@pytest.mark.parametrize("line, rule", [
    ("ImportError: cannot import name 'LLM' from 'vllm' (/usr/lib/python3.10/site-packages/vllm/__init__.py)",
     "kb.environment.package_without_code"),
    ("ModuleNotFoundError: No module named 'torch_npu'", "kb.environment.source_tree_shadows_package"),
    ("[INFO] dataset /data/wiki/wiki_text_document exists, 120000 samples", "kb.data.preprocessed_dataset_missing"),
    ("socket.gaierror: [Errno -9] Address family for hostname not supported", "kb.launch.hostname_unresolved"),
    ("ImportError: cannot import name 'Foo' from partially initialized module 'bar' (most likely due to a circular "
     "import) (/srv/bar.py)", "kb.versions.import_name_missing"),
    ("ModuleNotFoundError: No module named 'torch_npu.contrib.module'", "kb.environment.ascend_python_package_missing"),
    ("[INFO] model loaded in bfloat16, flash attention not supported for head_dim 96, using the math path",
     "kb.operator.bf16_unsupported"),
    ("[INFO] step 10, ret = 2070001 bytes written", "kb.versions.acl_feature_not_supported"),
    ("[INFO] HCCL heartbeat thread started, Cluster Exception Location report enabled",
     "kb.runtime.hccl_heartbeat_abnormal"),
    ("[WARNING] this platform supports only 8 cards per node", "kb.operator.platform_unsupported"),
    ("AttributeError: module 'torch_npu_ext' has no attribute 'ops'", "kb.versions.torch_npu_api_missing"),
    # an exception outside a dataset's Python Call Stack is not the dataset's user code
    ("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\nValueError: bad value",
     "kb.data.ms_user_code_exception"),
    ("[INFO] MD(1,python):2025 [map_op.cc:120] map operation: [Decode] started with 8 workers",
     "kb.data.ms_map_transform_failed"),
    ("[INFO] PARALLEL(1,f,python):2025 [ops_info/matmul_info.cc:90] InferDevMatrixShape] MatMulInfo00: The strategy "
     "in process is ((2, 1), (1, 4))", "kb.parallel.ms_operator_strategy_rejected"),
    ("/src/app/main.cpp:3:10: fatal error: utils/strings.h: No such file or directory", "kb.versions.cann_header_missing"),
    ("test_download ... [PASS]  (previous run: [FAIL] network)", "kb.environment.env_check_failed"),
    ("ModuleNotFoundError: No module named 'torchnpugen_ext'", "kb.versions.torchnpugen_missing"),
    ("[WARNING] You are using ZeRO with an untested optimizer, proceed with caution",
     "kb.parallel.deepspeed_zero_untested_optimizer"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    report = _diagnose(tmp_path, line)
    assert rule not in {finding.rule for finding in report.findings}


def test_no_literal_with_digits_meets_a_benign_start_up_line_once_digits_are_masked():
    """The scan skips lines by shape (digits masked); a literal with digits that, masked, sits inside such a
    shape (a five-digit code against a five-digit PID) turns the skipping off for every line: 3x the CPU."""
    from mindpilot.validators.kb import load_kb
    from mindpilot.validators.kb.matcher import _mask

    benign = ("[WARNING] DISTRIBUTED(31247,ffff8c0e21e0,python):2025-08-20-10:59:59.345.678 [mindspore/ccsrc/"
              "distributed/rpc/tcp/tcp_comm.cc:829] Connect] Failed to connect to the tcp server : 127.0.0.1:8118, "
              "retry to reconnect")
    masked = _mask(benign)
    literals = {pattern.literal for rule in load_kb().rules.values() for pattern in rule.patterns}
    clashing = [literal for literal in literals if any(c.isdigit() for c in literal) and _mask(literal) in masked]
    assert not clashing


def test_a_catch_all_on_a_line_a_specific_rule_explains_is_not_listed_again(tmp_path):
    report = _diagnose(tmp_path, "ImportError: cannot import name 'DEFAULT_CIPHERS' from 'urllib3.util.ssl_' "
                                 "(/usr/lib/python3.9/site-packages/urllib3/util/ssl_.py)")
    assert [finding.rule for finding in report.findings] == ["kb.environment.urllib3_default_ciphers"]
    # On a line of its own the catch-all still speaks.
    report = _diagnose(tmp_path, "ImportError: cannot import name 'Foo' from 'bar' (/usr/lib/python3.9/site-packages/bar.py)")
    assert [finding.rule for finding in report.findings] == ["kb.versions.import_name_missing"]
