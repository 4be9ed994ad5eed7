"""Start-up families met on MindSpore suites, MindIE and HCCL: a suite written for MindSpore 1.x, a checkpoint
for another network, MindIE's warm-up and model start-up, HCCL's root info on a node without the named NIC, and
a collective timeout that names the remote rank to read next.

The fixtures of tests/data/logs/kb/ show one member each; the lines here are other members of the same message
family (other packages, names, codes, wordings) and look-alike lines that must stay quiet.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="worker_0.log")


def test_a_suite_written_for_mindspore_1_is_named_from_its_traceback(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3.8/site-packages/mindocr/losses/det_loss.py", line 4, in <module>',
        "    from mindspore._checkparam import Rel",
        "AttributeError: module 'mindspore._checkparam' has no attribute 'Rel'",
    ]))
    assert_root_cause_says(report, "kb.versions.mindspore1_checkparam_api", ["mindocr", "1.x"], with_fix=True)


def test_other_names_missing_from_mindspore_stay_with_the_general_rule(tmp_path):
    report = _diagnose(tmp_path, "ImportError: cannot import name 'mint' from 'mindspore' (/x/mindspore/__init__.py)")
    assert "kb.versions.mindspore1_checkparam_api" not in {finding.rule for finding in report.findings}


def test_the_shape_error_after_the_critical_line_names_the_cause_itself(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "[CRITICAL] ME(7:8,MainProcess):2025-01-01-00:00:00.000.000 [mindspore/train/serialization.py:115] "
        "Failed to combine the net and the parameters for param head.fc.weight.",
        "RuntimeError: For 'load_param_into_net', head.fc.weight in the argument 'net' should have the same shape as "
        "head.fc.weight in the argument 'parameter_dict'. But got its shape (10, 512) in the argument 'net' and "
        "shape (1000, 512) in the argument 'parameter_dict'.",
    ]))
    assert report.root_cause is not None and report.root_cause.rule == "kb.checkpoint.ckpt_shape_mismatch"
    assert "kb.checkpoint.ckpt_param_not_combined" not in {finding.rule for finding in report.findings}


def test_a_cut_log_ending_on_the_critical_line_names_the_parameter(tmp_path):
    report = _diagnose(tmp_path, "[CRITICAL] ME(7:8,MainProcess):2025-01-01 [serialization.py:294] "
                                 "Failed to combine the net and the parameters for param backbone.conv1.weight.")
    assert_root_cause_says(report, "kb.checkpoint.ckpt_param_not_combined", ["backbone.conv1.weight", "checkpoint"])


def test_mindie_warm_up_out_of_memory_names_the_prefill_budget(tmp_path):
    report = _diagnose(tmp_path, "[llm] [ERROR] [logging.py-348] : Warmup failed, because of multimodal model inference "
                                 "out of memory when `maxInputTokenLen` set to 4096. Please try to decrease "
                                 "`maxPrefillTokens` in config.json of mindie-service.")
    assert_root_cause_says(report, "kb.serving.mindie_warmup_oom", ["maxPrefillTokens"], with_fix=True)


def test_mindie_model_start_up_failure_is_likely_and_names_the_rank_table_variable(tmp_path):
    report = _diagnose(tmp_path, "LLMInferEngine failed to init LLMInferModels\n"
                                 "ERR: Failed to init endpoint! Please check the service log or console output.")
    assert report.root_cause is not None and report.root_cause.rule == "kb.serving.mindie_llm_models_init_failed"
    assert report.root_cause.confidence != "confident"
    assert "RANKTABLEFILE" in report.findings[0].detail


@pytest.mark.parametrize("code, fires", [("6", True), ("7", False), ("16", False)])
def test_hccl_root_info_not_found_is_the_host_nic(tmp_path, code, fires):
    report = _diagnose(tmp_path, "RuntimeError: createHCCLComm:torch_npu/csrc/distributed/ProcessGroupHCCL.cpp:1880\n"
                                 f"HCCL function error: HcclGetRootInfo(&hcclID), error code is {code}")
    rules = {finding.rule for finding in report.findings}
    assert ("kb.launch.hccl_root_info_nic_not_found" in rules) is fires, rules
    if fires:
        assert_root_cause_says(report, "kb.launch.hccl_root_info_nic_not_found", ["HCCL_IF_IP"], with_fix=True)


@pytest.mark.parametrize("line, fires", [
    ("[ERROR] HcclGetRootInfo failed. ret = 6", True),
    ("RuntimeError: HcclGetRootInfo failed with status 6", True),
    ("[comm rank 0] HcclGetRootInfo failed: 6", True),
    ("[comm rank 0] HcclGetRootInfo failed: 61", False),
    ("HcclGetRootInfo failed, ret=11", False),
])
def test_other_callers_of_hccl_get_root_info_say_the_same_code_their_way(tmp_path, line, fires):
    rules = {finding.rule for finding in _diagnose(tmp_path, line).findings}
    assert ("kb.launch.hccl_root_info_nic_not_found" in rules) is fires, rules


def test_a_notify_wait_timeout_points_at_the_remote_rank_that_hangs(tmp_path):
    report = _diagnose(tmp_path, "EI0002: [PID: 11] 2025-01-01-00:00:00.000.000 The wait execution of the Notify "
                                 "register times out. Reason: The Notify register has not received the Notify record "
                                 "from remote rank: [3].")
    said = [f"{finding.detail} {finding.fix}" for finding in report.findings
            if finding.rule == "kb.launch.hccl_exec_timeout"]
    assert said and "remote rank" in said[0] and "hung" in said[0], said


def test_a_scalar_in_the_checkpoint_where_the_network_has_a_tensor_is_the_same_family(tmp_path):
    report = _diagnose(tmp_path, "RuntimeError: For 'load_param_into_net', global_step in the argument "
                                 "'parameter_dict' is scalar, then the shape of global_step in the argument 'net' "
                                 "should be (1,) or (), but got shape (4,).")
    assert_root_cause_says(report, "kb.checkpoint.ckpt_param_not_combined", ["global_step"])


def test_a_float_against_float_dtype_mismatch_names_strict_load(tmp_path):
    report = _diagnose(tmp_path, "RuntimeError: For 'load_param_into_net', fc.bias in the argument 'net' should have "
                                 "the same type as fc.bias in the argument 'parameter_dict'. but got its type Float32 "
                                 "in the argument 'net' and type Float16 in the argument 'parameter_dict'.")
    assert_root_cause_says(report, "kb.checkpoint.ckpt_dtype_mismatch", ["Float16", "Float32", "strict_load"],
                           with_fix=True)
