"""The PyTorch-on-Ascend ecosystem (validators/data/kb/torch_ecosystem.yaml and torch_npu_usage.yaml): the
frameworks on top of torch_npu name their own switch or package, other wordings of one family reach the same rule,
and look-alike lines (the same words about something else) stay quiet.

Each rule's fixture in tests/data/logs/kb/ is one member, checked by test_kb_rules.py and
test_diagnose_ranking.py; the lines here are the framework's other messages of the family.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    # lmdeploy logs the import error of its Ascend backend and exits (lmdeploy/utils.py try_import_deeplink).
    ("2025-06-01 10:00:01,456 - lmdeploy - ERROR - utils.py:473 - ModuleNotFoundError: No module named "
     "'dlinfer.vendor.ascend'", "kb.environment.lmdeploy_dlinfer_missing", ["dlinfer.vendor.ascend", "lmdeploy"]),
    ("AssertionError: invalid device_type: npu:0", "kb.serving.lmdeploy_device_name", ["ascend", "npu:0"]),
    ("ValueError: dlinfer doesn't support None device currently.", "kb.serving.dlinfer_chip_unsupported",
     ["None", "torch_npu"]),
    ("[2025-06-01 10:00:00,001] [INFO] [real_accelerator.py:245:get_accelerator] Setting ds_accelerator to cpu "
     "(auto detect)\n[WARNING] import torch_npu failed: libhccl.so: cannot open shared object file",
     "kb.environment.deepspeed_fell_back_to_cpu", ["torch_npu", "CPU"]),
    ("NotImplementedError: Could not run 'bitsandbytes::int8_vectorwise_quant' with arguments from the 'NPU' "
     "backend.", "kb.operator.bitsandbytes_not_on_npu", ["bitsandbytes::int8_vectorwise_quant", "LoRA"]),
    ("RuntimeError: No GPU found. A GPU is needed for quantization.", "kb.environment.quant_kernels_need_cuda",
     ["GPTQ", "NVIDIA"]),
    ("[rank3]: ValueError: NPU_Accelerator requires torch_npu, which is not installed on this system.",
     "kb.environment.framework_needs_torch_npu", ["NPU_Accelerator", "torch_npu"]),
    ("RuntimeError: NpuFusedMoEKernel requires torch_npu.", "kb.environment.framework_needs_torch_npu",
     ["NpuFusedMoEKernel"]),
    ("ValueError: ProcessGroupNCCL is only supported with GPUs, no GPUs found!", "kb.environment.cuda_api_on_npu",
     ["CUDA"]),
    ("[2025-06-01 10:00:00] [ERROR] [4242] profiler.py: Call start failed. Exception: Failed to create shared memory.",
     "kb.runtime.npu_profiler_call_failed", ["start", "Failed to create shared memory"]),
    ("RuntimeError: The Inner error is reported as above. The process exits for this inner error, and the current "
     "working operator name is aclnnFlashAttentionVarLenScore.", "kb.operator.training_attention_op_failed",
     ["aclnnFlashAttentionVarLenScore", "310P"]),
    ("[rank1]: RuntimeError: operator torchvision::roi_align does not exist", "kb.versions.torchvision_torch_pair",
     ["torchvision", "torch"]),
    ("RuntimeError: ProcessGroupHCCL does not support recv", "kb.launch.hccl_collective_unsupported", ["recv"]),
    ("ModuleNotFoundError: No module named 'awq_ext'", "kb.environment.gpu_only_package_on_npu", ["awq_ext"]),
    ("[rank0]: ImportError: Using the `Trainer` with `PyTorch` requires `accelerate>=1.1.0`: Please run "
     "`pip install transformers[torch]`", "kb.versions.transformers_needs_accelerate", ["accelerate>=1.1.0"]),
    ("NotImplementedError: Unsloth cannot find any torch accelerator? You need a GPU.",
     "kb.environment.unsloth_not_on_npu", ["Unsloth", "NVIDIA"]),
    # vllm-ascend importing what its vLLM no longer (or not yet) has: the pair, not any two packages.
    ("  File \"/usr/lib/python3.10/site-packages/vllm_ascend/platform.py\", line 28, in <module>\n"
     "    from vllm.config import CompilationLevel\nImportError: cannot import name 'CompilationLevel' from "
     "'vllm.config' (/usr/lib/python3.10/site-packages/vllm/config.py)", "kb.serving.plugin_call_mismatch",
     ["vllm-ascend"]),
    ("[rank0]: RuntimeError: Please launch distributed training with `llamafactory-cli` or `torchrun`.",
     "kb.launch.llamafactory_needs_torchrun", ["torchrun"]),
    ("AttributeError: 'Tensor' object has no attribute 'npu'", "kb.environment.torch_npu_not_imported", ["torch_npu"]),
    ("ValueError: Expected a cuda or cpu device, but got: device(type='npu', index=3)",
     "kb.environment.cuda_api_on_npu", ["CUDA"]),
    ("ValueError: Target modules ['query_key_value'] not found in the base model. Please check the target modules "
     "and try again.", "kb.weights.lora_target_modules_missing", ["query_key_value"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_lmdeploy_s_cuda_default_names_lmdeploy_s_switch_and_nothing_else(tmp_path):
    report = diagnose_text(tmp_path, "  File \"/usr/lib/python3.10/site-packages/lmdeploy/pytorch/check_env/torch.py\", "
                                     "line 16, in check\nAssertionError: Torch not compiled with CUDA enabled")
    assert [finding.rule for finding in report.findings] == ["kb.serving.lmdeploy_cuda_default_on_npu"]
    assert "--device ascend" in report.findings[0].fix
    # lmdeploy's frames after the line (a chained exception) count as well: the CUDA-on-NPU rule stands down there too.
    report = diagnose_text(tmp_path, "AssertionError: Torch not compiled with CUDA enabled\n  File \"/usr/lib/python3.10/"
                                     "site-packages/lmdeploy/cli/serve.py\", line 3, in api_server")
    assert [finding.rule for finding in report.findings] == ["kb.serving.lmdeploy_cuda_default_on_npu"]


def test_cuda_autocast_switched_off_on_an_npu_host_is_reported_beside_the_error(tmp_path):
    """A warning, listed but never the root cause: the run's own error, when there is one, stays first."""
    report = diagnose_text(tmp_path, "UserWarning: User provided device_type of 'cuda', but CUDA is not available. "
                                     "Disabling\n[INFO] ASCEND_RT_VISIBLE_DEVICES=0,1")
    assert [finding.rule for finding in report.findings] == ["kb.environment.cuda_amp_on_npu"]
    assert report.root_cause is None
    assert "device_type='npu'" in report.findings[0].fix


def test_torch_npu_s_inner_error_line_yields_to_the_cann_message_above_it(tmp_path):
    """The relay line is the answer only when nothing above it says more."""
    inner = ("RuntimeError: The Inner error is reported as above. The process exits for this inner error, and the "
             "current working operator name is aclnnInplaceCopy.")
    assert diagnose_text(tmp_path, inner).root_cause.rule == "kb.runtime.torch_npu_inner_error"
    report = diagnose_text(tmp_path, "[PID: 7] 2025-01-01 AclNN_Parameter_Error(EZ1001): The self tensor cannot be "
                                     "larger than 8 dimensions.\n" + inner)
    assert report.root_cause.rule == "kb.operator.tensor_too_many_dims"


def test_an_aten_operator_without_an_npu_kernel_still_names_torch_npu(tmp_path):
    """bitsandbytes' own operators go to its rule; torch's operators keep torch_npu's rule."""
    report = diagnose_text(tmp_path, "NotImplementedError: Could not run 'aten::_fft_r2c' with arguments from the "
                                     "'PrivateUse1' backend.")
    assert report.root_cause.rule == "kb.operator.torch_op_no_npu_kernel"
    report = diagnose_text(tmp_path, "NotImplementedError: Could not run 'bitsandbytes::quantize_4bit' with arguments "
                                     "from the 'PrivateUse1' backend.")
    assert [finding.rule for finding in report.findings] == ["kb.operator.bitsandbytes_not_on_npu"]


@pytest.mark.parametrize("text, rule", [
    # DeepSpeed on a CPU-only host says the same line with nothing of Ascend around it.
    ("[2025-06-01 10:00:00,001] [INFO] [real_accelerator.py:245:get_accelerator] Setting ds_accelerator to cpu "
     "(auto detect)\n[INFO] training on 32 CPU cores", "kb.environment.deepspeed_fell_back_to_cpu"),
    # A None attribute far from any bitsandbytes frame is someone else's bug.
    ("AttributeError: 'NoneType' object has no attribute 'cuda'", "kb.operator.bitsandbytes_not_on_npu"),
    ("ModuleNotFoundError: No module named 'dlinfer_helpers'", "kb.environment.lmdeploy_dlinfer_missing"),
    ("[INFO] device_type: ascend, invalid device_type: none seen", "kb.serving.lmdeploy_device_name"),
    ("ImportError: fused rope requires torch_npu>=2.5.1", "kb.environment.framework_needs_torch_npu"),
    ("RuntimeError: this kernel requires torch_npu version 2.6.0 or later", "kb.environment.framework_needs_torch_npu"),
    # register_fake missing in another library's import is not torchvision's pairing.
    ("  File \"/srv/mylib/ops.py\", line 3, in <module>\nAttributeError: module 'torch.library' has no attribute "
     "'register_fake'", "kb.versions.torchvision_torch_pair"),
    # The same torch warnings on a CPU-only machine say nothing about an NPU.
    ("UserWarning: torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.\n"
     "[INFO] training on 4 CPU cores", "kb.environment.cuda_amp_on_npu"),
    ("TritonMissing: Cannot find a working triton installation. Either the package is not installed or it is too "
     "old.\n[INFO] platform win32, device cuda:0", "kb.environment.inductor_triton_missing_on_npu"),
    # Another accelerator missing from an old DeepSpeed is not the NPU's story.
    ("ValueError: DS_ACCELERATOR must be one of ['cuda', 'cpu'].  Value \"xpu\" is not supported",
     "kb.versions.deepspeed_too_old_for_npu"),
    # A None where an object was expected is the caller's bug, not a missing torch_npu.
    ("AttributeError: 'NoneType' object has no attribute 'npu'", "kb.environment.torch_npu_not_imported"),
    # torch.cuda handed a CPU tensor is a plain bug on any machine, not CUDA code on an NPU.
    ("ValueError: Expected a cuda device, but got: cpu", "kb.environment.cuda_api_on_npu"),
    # torch lacking a name the user's own code asks for says nothing about torch_npu.
    ("  File \"/home/u/train.py\", line 9, in <module>\n    torch.compiler.foo()\nAttributeError: module "
     "'torch.compiler' has no attribute 'foo'", "kb.versions.torch_npu_needs_other_torch"),
    # transformers switching PyTorch off matters only when a model then needs it (a tokenizer-only job runs on).
    ("Disabling PyTorch because PyTorch >= 2.1 is required but found 2.0.1\n[INFO] tokenized 12000 samples",
     "kb.versions.transformers_disabled_old_torch"),
    # CUDA missing outside lmdeploy is the general CUDA-on-NPU rule's.
    ("AssertionError: Torch not compiled with CUDA enabled", "kb.serving.lmdeploy_cuda_default_on_npu"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}
