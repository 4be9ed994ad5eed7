"""Confident only where the message names its cause: a return code's or a fault code's general meaning is said
as likely (many different faults end in it), and the first error that names its own cause comes ahead of the
errors that follow from it (a daemonic worker's refusal before the compiler's EH9999, CANN's E39007 before the
TsdOpen and open-device lines)."""

from __future__ import annotations

from pathlib import Path

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.report import CONFIDENT


def _report(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


def test_a_vector_core_fault_code_under_a_terminate_line_is_the_likely_root(tmp_path):
    report = _report(tmp_path, (
        "python3 run_kernel.py\n"
        "terminate called after throwing an instance of 'c10::Error'\n"
        "  what():  Sync:torch_npu/csrc/core/npu/NPUStream.cpp:210 NPU function error: "
        "c10_npu::acl::AclrtSynchronizeStreamWithTimeout(stream), error code is 507034\n"
        "[ERROR] 2026-01-02-10:00:00 (PID:11, Device:0, RankID:-1) ERR00100 PTA call acl api failed\n"
        "[Error]: The vector core execution is abnormal.\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.aicore_exception_code", root
    assert root.confidence != CONFIDENT


def test_an_aivec_memory_fault_of_any_kernel_is_not_said_as_an_index_out_of_range(tmp_path):
    report = _report(tmp_path, (
        "[rank0]:[W101 10:00:00.000 compiler_depend.ts:57] Warning: EZ9999: Inner Error!\n"
        "EZ9999: [PID: 77] 2026-01-01-10:00:00.000.000 The error from device(chipId:1, dieId:0), serial number is 3, "
        "there is an exception of aivec error, core id is 7, error code = 0x800000, dump info: pc start: 0x1\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.aicore_index_out_of_range" and root.confidence != CONFIDENT, root


def test_ee8888_alone_is_an_inner_error_said_as_likely(tmp_path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "RuntimeError: EE8888: Inner Error!\n"
        "        rtGetDevMsg execute failed, reason=[device busy]\n"))
    root = report.root_cause
    assert root.rule == "kb.launch.device_id_out_of_range" and root.confidence != CONFIDENT, root
    assert "inner error" in root.title


def test_ee8888_with_torch_npus_suspect_remote_words_is_that_fault_said_as_likely(tmp_path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "RuntimeError: SUSPECT REMOTE ERROR, EE8888: Inner Error!\n"
        "        rtGetDevMsg execute failed, reason=[suspect remote error]\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.suspect_remote_error_words" and root.confidence != CONFIDENT, root


def test_a_daemonic_worker_s_refusal_comes_before_the_compiler_s_eh9999(tmp_path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"/usr/local/Ascend/latest/python/site-packages/te_fusion/parallel_compilation.py\", line 900, in init\n"
        "    res = compiler.start()\n"
        "  File \"/usr/lib/python3.10/multiprocessing/process.py\", line 118, in start\n"
        "AssertionError: daemonic processes are not allowed to have children\n"
        "EH9999: Inner Error!\n"
        "EH9999  [Init][Env]init env failed![FUNC:ReportInnerError][FILE:log_inner.cpp][LINE:145]\n"
        "        build op model failed, result = 500001[FUNC:ReportInnerError][FILE:log_inner.cpp][LINE:145]\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.daemonic_process_children" and root.line == 5, root
    assert root.confidence == CONFIDENT


def test_e39007_comes_before_the_tsd_and_open_device_lines_that_follow_it(tmp_path):
    report = _report(tmp_path, (
        "NPU function error: error code is 507033\n"
        "Inner_Error_Device_Subprocess_Startup_Timeout(E39007)\n"
        "        Possible Cause: 1.Failed to start the subprocess. 2. The HDC link is faulty.\n"
        "        TsdOpen failed. devId=5, tdt error=31\n"
        "        open device 5 failed, runtime result = 507033\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.device_subprocess_startup_timeout" and root.line == 2, root
    assert "hardware fault" in root.title


def test_aclnn_561103_alone_is_said_as_likely(tmp_path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"serve.py\", line 3, in <module>\n"
        "RuntimeError: npu_fused_op:torch_npu/csrc/aten/ops/FusedOp.cpp:88 NPU function error: call aclnnFusedOp "
        "failed, error code is 561103\n"))
    root = report.root_cause
    assert root.rule == "kb.versions.aclnn_inner_nullptr" and root.confidence != CONFIDENT, root


def test_mindformers_warning_that_forces_full_batch_off_is_not_a_parallel_conflict(tmp_path):
    # MindFormers logs MindSpore's words as a WARNING and fixes the setting itself; MindSpore's own raise is the error.
    warned = _report(tmp_path, (
        "2026-01-01 10:00:00,000 - mindformers[mindformers/tools/check_rules.py:118] - WARNING - full_batch could "
        "only be used under semi_auto_parallel or auto_parallel, but get stand_alone, full_batch has been forced "
        "to False\n"
        "ValueError: For BatchMatMul, inputs shape cannot be broadcast on CPU/GPU, with x shape [const vector]"
        "{1, 32, 2, 128}, y shape [const vector]{128, 128}\n"))
    assert [f.rule for f in warned.findings if f.rule.startswith("kb.parallel.")] == []
    assert warned.root_cause.rule == "kb.operator.batchmatmul_broadcast_cpu", warned.root_cause
    raised = _report(tmp_path, "RuntimeError: full_batch could only be used under semi_auto_parallel or auto_parallel.\n")
    assert raised.root_cause.rule == "kb.parallel.ms_parallel_mode_settings_conflict", raised.root_cause
