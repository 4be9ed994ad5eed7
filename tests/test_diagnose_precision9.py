"""Precision: a message with several causes is said as likely and names them; a message that names its own cause
(a folder shadowing a package, the NPU's offline mode, Triton-Ascend's libdevice) gets a rule of its own instead of
a neighbour's generic reading.

The fixtures of tests/data/logs/kb/ show one member each; these lines are other members of the same families,
worded as the framework raises them, and look-alikes that must not be read the same way.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    # a package without __version__ is a folder of that name ahead of the installed package
    ("  File \"/srv/app/vllm_ascend/utils.py\", line 9, in vllm_version_is\n    v = vllm.__version__\n"
     "AttributeError: module 'vllm' has no attribute '__version__'",
     "kb.environment.namespace_folder_shadows_package", ["vllm", "working directory", "shadows"]),
    ("AttributeError: module 'torch_npu' has no attribute '__version__'",
     "kb.environment.namespace_folder_shadows_package", ["torch_npu"]),
    # the runtime's offline-mode refusal, other wordings
    ("EE9999: query device info feature cannot support offline mode.[FUNC:QueryDevInfo][FILE:api_impl.cc]",
     "kb.runtime.feature_not_in_offline_mode", ["offline mode", "EP mode"]),
    ("rtMemcpy2d does not support in offline mode", "kb.runtime.feature_not_in_offline_mode", ["RC"]),
    # Triton-Ascend's libdevice, other backend path and function
    ("AttributeError: module 'triton.language.extra.ascend.libdevice' has no attribute 'cyl_bessel_i0'",
     "kb.operator.triton_ascend_libdevice_lacks_function", ["cyl_bessel_i0", "libdevice"]),
    # the Ascend extension moved between triton-ascend releases
    ("ModuleNotFoundError: No module named 'triton.language.extra.ascend.libdevice'",
     "kb.versions.triton_ascend_extension_module_missing", ["torch_npu", "triton-ascend", "version"]),
    # a release only on the Ascend index, in pip's words
    ("ERROR: Could not find a version that satisfies the requirement triton-ascend==3.2.2 (from versions: 3.2.0)\n"
     "ERROR: No matching distribution found for triton-ascend==3.2.2",
     "kb.environment.ascend_index_package_not_found", ["triton-ascend==3.2.2", "Ascend package index"]),
    # Paddle's 500002: the single operator could not be built
    ("ExternalError:  ACL error, the error code is : 500002.", "kb.operator.paddle_npu_op_build_failed",
     ["FLAGS_npu_jit_compile", "binary"]),
])
def test_a_message_that_names_its_cause_gets_its_own_rule(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


def test_a_plugin_missing_vllm_version_is_not_read_as_an_api_pair(tmp_path):
    report = _diagnose(tmp_path, "  File \"/w/vllm_ascend/utils.py\", line 94, in vllm_version_is\n"
                                 "    vllm_version = vllm.__version__\n"
                                 "AttributeError: module 'vllm' has no attribute '__version__'")
    assert report.root_cause.rule == "kb.environment.namespace_folder_shadows_package"
    assert report.root_cause.confidence == "confident"
    # a real attribute vLLM dropped, under the plug-in, is still the version pair
    report = _diagnose(tmp_path, "  File \"/w/vllm_ascend/patch.py\", line 3, in <module>\n"
                                 "    vllm.utils.old_helper\n"
                                 "AttributeError: module 'vllm.utils' has no attribute 'old_helper'")
    assert report.root_cause.rule == "kb.serving.plugin_call_mismatch"


def test_hccp_initialisation_failure_is_likely_and_names_both_causes(tmp_path):
    report = _diagnose(tmp_path, "RuntimeError: HCCL function error: hcclCommInitRootInfoConfig(x), error code is 7\n"
                                 "EJ0001: [PID: 77] 2025-02-02-00:00:00.000.000 Failed to initialize the HCCP process. "
                                 "Reason: Maybe the last training process is running.")
    assert_root_cause_says(report, "kb.launch.hccp_already_running",
                           ["previous job", "still running", "lazily", "communicator"], with_fix=True)
    assert report.root_cause.confidence == "likely"
    assert "eagerly" in report.findings[0].fix


@pytest.mark.parametrize("text, rule, words", [
    ("torch.OutOfMemoryError: NPU out of memory. Tried to allocate 1.50 GiB (NPU 3; 60.00 GiB total capacity)",
     "kb.runtime.npu_oom_torch", ["--max-model-len", "--enforce-eager", "micro batch"]),
    ("RuntimeError: The expanded size of the tensor (96) must match the existing size (48) at non-singleton "
     "dimension 2", "kb.graph.tensor_sizes_mismatch", ["rotary_dim", "partial_rotary_factor"]),
])
def test_a_generic_reading_names_the_serving_and_model_settings_to_check(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)
    assert _diagnose(tmp_path, text).root_cause.confidence == "likely"


INNER_CONV3D = ("The Inner error is reported as above. The process exits for this inner error, and the current working "
                "operator name is Conv3D.")


def test_an_inner_error_in_conv3d_of_a_bfloat16_run_names_the_dtype_as_likely(tmp_path):
    report = _diagnose(tmp_path, INNER_CONV3D + "\nmodel dtype: torch.bfloat16, vae on npu:0")
    assert_root_cause_says(report, "kb.operator.conv3d_bf16_inner_error", ["bfloat16", "float16"], with_fix=True)
    assert report.root_cause.confidence == "likely"
    # no bfloat16 around it: only the relay's general reading
    assert _diagnose(tmp_path, "model dtype: torch.float16\n" + INNER_CONV3D).root_cause.rule == \
        "kb.runtime.torch_npu_inner_error"


@pytest.mark.parametrize("line", [
    # offline mode of other tools is not the NPU's RC form
    "OfflineModeIsEnabled: Cannot reach https://huggingface.co/api/models/x: offline mode is enabled.",
    # another libdevice's missing function (CUDA's own), and a module the community triton does have
    "AttributeError: module 'triton.language.extra.cuda.libdevice' has no attribute 'y0'",
    # a plain torch-npu release not found is a Python / architecture question, not the Ascend index
    "ERROR: No matching distribution found for torch-npu==2.1.0",
    "ERROR: Could not find a version that satisfies the requirement torch-npu==2.1.0.post8 (from versions: none)",
    # other Paddle ACL codes stay the generic reading
    "ExternalError:  ACL error, the error code is : 507015.",
])
def test_look_alikes_do_not_fire(tmp_path, line):
    rules = {f.rule for f in _diagnose(tmp_path, line).findings}
    assert not rules & {"kb.runtime.feature_not_in_offline_mode", "kb.operator.triton_ascend_libdevice_lacks_function",
                        "kb.operator.paddle_npu_op_build_failed",
                        "kb.environment.ascend_index_package_not_found"}, rules
