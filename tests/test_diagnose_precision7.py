"""Precision of rules whose confident answers were too narrow (issue 17, seventh round): a message with many causes
is said as "likely" and names them all, a pair of variables rejected together is named as a pair, and the context
of an offline model (.om) run hands an AI Core fault to the rule that names that context's causes.

The lines are each framework's message with other values (made up, in the shape the raise site prints).
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="job.log")

_AICORE = ("[ERROR] RUNTIME(901,python):2025-02-01-09:00:00.000.001 [device_error_proc.cc:634]901 PrintCoreErrorInfo:"
           "[EXEC][DEFAULT]The error from device(0), serial number is 2, there is an aicore error, core id is 5, "
           "error code = 0x800000, dump info: pc start: 0x1, current: 0x2, errorStr: The DDR address of the MTE "
           "instruction is out of range.")


def test_an_mte_fault_in_training_is_said_as_likely_with_every_cause(tmp_path):
    report = _diagnose(tmp_path, "The extend info: errcode:(95) errorStr: The DDR address of the MTE instruction is "
                                 "out of range. subErrType: 0x4.")
    assert_root_cause_says(report, "kb.runtime.mte_out_of_range", ["index out of range", "kernels"], with_fix=True)
    assert report.root_cause.confidence == "likely"


def test_an_aicore_fault_outside_an_offline_model_keeps_the_kernel_readings(tmp_path):
    report = _diagnose(tmp_path, _AICORE + "\n[ERROR] RUNTIME(901,python) rtStreamSynchronize failed, ErrCode=507035")
    rules = [finding.rule for finding in report.findings]
    assert report.root_cause is not None and report.root_cause.rule in {
        "kb.runtime.aicore_index_out_of_range", "kb.runtime.mte_out_of_range"}, rules
    assert "kb.runtime.om_execute_aicore_fault" not in rules


def test_an_aicore_fault_in_an_offline_model_run_names_the_cann_versions(tmp_path):
    report = _diagnose(tmp_path, _AICORE + "\n[ERROR] ASCENDCL(901,msame):2025-02-01-09:00:00.100.000 "
                                 "[model.cpp:2115]901 aclmdlExecute: [EXEC][DEFAULT][Exec][Model]modelId[2] execute "
                                 "failed, result[507011]")
    assert_root_cause_says(report, "kb.runtime.om_execute_aicore_fault", ["toolkit", "kernels", "nnrt", "input"])
    assert report.root_cause.confidence == "likely"


@pytest.mark.parametrize("text, rule, words", [
    ("Config_Error_Invalid_Environment_Variable(EI0001): Environment variable [HCCL_INTRA_ROCE_ENABLE or "
     "HCCL_INTRA_PCIE_ENABLE] is invalid", "kb.launch.hccl_intra_pcie_roce_both",
     ["HCCL_INTRA_ROCE_ENABLE=0", "HCCL_INTRA_PCIE_ENABLE=0"]),
    ("[ERROR] HCCL(77,python):2025-03-01 [env_config.cc:300] HCCL_INTRA_PCIE_ENABLE and HCCL_INTRA_ROCE_ENABLE "
     "cannot be both configured to 1", "kb.launch.hccl_intra_pcie_roce_both", ["both be 1"]),
    # another pair rejected together: both are named, as a combination
    ("EI0001: Environment variable [HCCL_OP_EXPANSION_MODE or HCCL_DETERMINISTIC] is invalid. Reason: conflict",
     "kb.launch.hccl_env_invalid", ["HCCL_OP_EXPANSION_MODE or HCCL_DETERMINISTIC", "combination"]),
    ("EI0001: Environment variable [HCCL_BUFFSIZE] is invalid. Reason: the value must be an integer",
     "kb.launch.hccl_env_invalid", ["HCCL_BUFFSIZE"]),
    ("RuntimeError: The 1 's input of MatMul has been modified by an inplace operation, which will cause the "
     "gradient error, please check your inplace operator in code.", "kb.graph.ms_pynative_inplace_breaks_grad",
     ["in place", "Trainer", "upgrade that library"]),
    ("E60108: 2025-05-02-01:02:03.000.000 In op[conv3d_backprop_input], [prebuild failed, not support input size's "
     "shape [-1] and [-2]]", "kb.operator.tbe_dynamic_input_size_unknown",
     ["conv3d_backprop_input", "jit_compile=True", "dynamic-shape"]),
])
def test_the_member_is_named_with_its_cause(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    ("[INFO] HCCL_INTRA_PCIE_ENABLE=1 HCCL_INTRA_ROCE_ENABLE=0, intra-server link: PCIe",
     "kb.launch.hccl_intra_pcie_roce_both"),
    ("[INFO] conv3d_backprop_input: input size's shape [8, 16, 4, 32, 32] is static",
     "kb.operator.tbe_dynamic_input_size_unknown"),
    ("[INFO] aclmdlExecute: modelId[1] execute success, ErrCode=0", "kb.runtime.om_execute_aicore_fault"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


@pytest.mark.parametrize("text, rule", [
    ("[ERROR] RUNTIME(55,python):2025-02-02-10:00:00.000.001 [device_error_proc.cc:634]55 PrintCoreErrorInfo:"
     "[EXEC][DEFAULT]The error from device(3), serial number is 7, there is an aicore error, core id is 1, "
     "error code = 0x8000000000", "kb.runtime.aicore_error"),
    ("[ERROR] RUNTIME(55,python):2025-02-02-10:00:00.000.001 [stream.cc:1100]55 GetError: Stream synchronization "
     "timeout.", "kb.runtime.stream_sync_timeout"),
])
def test_a_device_symptom_with_many_causes_is_said_as_likely(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == rule, [f.rule for f in report.findings]
    assert report.root_cause.confidence == "likely"
