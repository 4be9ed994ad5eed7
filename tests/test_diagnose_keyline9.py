"""The key line in shapes the ecosystem's apps print around CANN: C++'s ``what():`` message that carries CANN's
own account of a failed call (quoted with ``>``), a container runtime's own error line above the orchestrator's
report that the runtime failed, the runtime's ``rtX execute failed, reason=...`` under an exception that only
carries a return code, an exception whose message is only a name under the ``raise`` that names its class, a
loader's message wrapped over lines of paths, CMake's ``include could not find requested file:`` over the path,
CANN's code line heading a runtime reason pasted without indentation, and a C assertion above a compiler's
summary. Made-up logs of those shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse


def _report(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


def test_a_catch_all_inside_a_terminate_message_stays_the_root(tmp_path: Path):
    report = _report(tmp_path, (
        "terminate called after throwing an instance of 'acme::Exception'\n"
        "\n"
        "  what():  Acme(1.2) /src/acme/npu_call.cpp:40: error: (-2:Unspecified error) in function 'aclrtCopyX'\n"
        "\n"
        "> EL0014: The operation is unsupported.\n"
        "\n"
        ">         TraceBack (most recent call last):\n"
        "\n"
        ">         rtCopyX execute failed, reason=[driver error:feature not support][FUNC:F][FILE:f.cc][LINE:5]\n"))
    root, finding = report.root_cause, report.findings[0]
    assert root is not None and root.rule == "kb.versions.acl_feature_not_supported" and root.line == 9, root
    assert getattr(finding, "also_line", None) == 5 and "EL0014" in getattr(finding, "also_text", ""), finding


def test_an_exception_with_its_own_message_above_a_catch_all_still_comes_first(tmp_path: Path):
    report = _report(tmp_path, (
        "terminate called after throwing an instance of 'acme::Exception'\n"
        "  what():  bad shape for tile 7\n"
        "[ERROR] 2026-01-02-03:04:05 main.cc:9 something else\n"
        "rtCopyX execute failed, reason=[driver error:feature not support]\n"))
    assert report.root_cause is not None and report.root_cause.rule == "diagnose.unknown_error", report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_a_programs_own_error_line_comes_before_the_callers_report_of_it(tmp_path: Path):
    report = _report(tmp_path, (
        "acme-container-hook: [ERROR] not enough cores left on chip 0, need 4, free 2\n"
        "kubelet: Error: failed to create task: OCI runtime create failed: /usr/bin/acme-container-hook did not "
        "terminate successfully:\n"))
    assert report.root_cause is not None and report.root_cause.line == 1, report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_a_stronger_line_about_another_program_still_wins(tmp_path: Path):
    report = _report(tmp_path, (
        "acme-container-hook: [ERROR] not enough cores left on chip 0, need 4, free 2\n"
        "RuntimeError: the scheduler gave up on the job\n"))
    assert report.root_cause is not None and report.root_cause.line == 2, report.root_cause


def test_a_runtime_reason_under_a_return_code_is_the_line_to_read(tmp_path: Path):
    report = _report(tmp_path, (
        "RuntimeError: c10_npu::SetDevice(device_id), error code is 507033\n"
        "device 0: opening the session did not finish\n"
        "rtSetDevice execution failed, reason=device retain error\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 3, report.root_cause
    assert report.root_cause.rule == "kb.runtime.device_setup_failed", report.root_cause
    assert getattr(finding, "also_line", None) == 1, finding


@pytest.mark.usefixtures("no_rules")
def test_a_bare_name_message_is_named_by_the_class_its_raise_names(tmp_path: Path):
    report = _report(tmp_path, (
        "  File \"/x/torch/_subclasses/fake_tensor.py\", line 9, in fallback\n"
        "    raise UnsupportedOperatorException(func)\n"
        "RuntimeError: Failed running call_function acme.fused_op(*(FakeTensor(..., device='npu:0'),), **{}):\n"
        "acme.fused_op.default\n"))
    root = report.root_cause
    assert root is not None and root.line == 2, root
    assert "UnsupportedOperatorException: acme.fused_op.default" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_a_message_with_words_keeps_its_line_under_a_raise(tmp_path: Path):
    report = _report(tmp_path, (
        "    raise UnsupportedOperatorException(func)\n"
        "RuntimeError: Failed running call_function acme.fused_op(...):\n"
        "the operator has no meta kernel\n"))
    assert report.root_cause is not None and report.root_cause.line == 3, report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_a_loader_message_over_path_lines_hands_over_to_its_last_line(tmp_path: Path):
    report = _report(tmp_path, (
        "ValueError: (InvalidArgument) Fail to open library: \n"
        "/opt/acme/lib/python3.10/site-packages/acme_plugin/libacme-npu.so \n"
        "with error: /opt/vendor/lib/libvendor_adapter.so: \n"
        "undefined symbol: _ZN4Acme6Loader4openEv\n"))
    root, finding = report.root_cause, report.findings[0]
    assert root is not None and root.line == 4 and "undefined symbol" in root.title, root
    assert getattr(finding, "also_line", None) == 1, finding


@pytest.mark.usefixtures("no_rules")
def test_cmake_include_not_found_is_the_line_with_the_path_it_names(tmp_path: Path):
    report = _report(tmp_path, (
        "CMake Error at /opt/sdk-2/lib64/cmake/SDKConfig.cmake:20 (include):\n"
        "  include could not find requested file:\n"
        "\n"
        "    /opt/sdk-1/tools/cmake/FindSDK.cmake\n"
        "Call Stack (most recent call first):\n"
        "  CMakeLists.txt:3 (find_package)\n"))
    root = report.root_cause
    assert root is not None and root.line == 2, root
    assert "include could not find requested file" in root.title and "FindSDK.cmake" in root.title, root


def test_a_code_line_heading_an_unindented_runtime_reason_is_quoted(tmp_path: Path):
    report = _report(tmp_path, (
        "[E:acme:, executor.cc:9 Run] Non-zero status code returned while running Foo node. Status Message: "
        "CANN errorEE9999: Inner Error!\n"
        "EE9999  the widget feature can not work in this mode.[FUNC:GetX][FILE:api_impl.cc][LINE:3]\n"
        "rtGetX execute failed, reason=[feature not support][FUNC:FuncErrorReason][FILE:e.cc][LINE:49]\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 3, report.root_cause
    assert getattr(finding, "also_line", None) == 2, finding


def test_a_failed_assertion_above_a_compiler_catch_all_is_quoted(tmp_path: Path):
    report = _report(tmp_path, (
        ".../acme/IR/Values.h:12: acme::Value::~Value()\n"
        "  Assertion `uses.empty() && \"value still in use\"' failed.\n"
        "note: Pipeline failed while executing [`AcmeLowering` on 'builtin.module' operation]\n"
        "triton.compiler.errors.MLIRCompilationError  (stage AcmeLowering)\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 4, report.root_cause
    assert getattr(finding, "also_line", None) == 2, finding


@pytest.mark.usefixtures("no_rules")
@pytest.mark.parametrize("line", ["module 'acme_npu' has no attribute 'npu_fused_thing'",
                                  "ub overflow, requires 4194304 bits while 1572864 bits available"])
def test_a_pasted_message_without_its_class_is_still_the_key_line(tmp_path: Path, line: str):
    report = _report(tmp_path, line + "\n")
    assert report.root_cause is not None and report.root_cause.line == 1, report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_a_loss_scale_overflow_flag_is_no_failure(tmp_path: Path):
    report = _report(tmp_path, "epoch: 1 step: 10, loss is 7.01, overflow is False, loss scale is 65536.0\n")
    assert report.root_cause is None, report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_an_unknown_code_line_quotes_the_first_call_of_its_traceback(tmp_path: Path):
    report = _report(tmp_path, (
        "[PID: 7] 2026-01-02-03:04:05.678.901 Execution_Error(EZ1008): Failed to execute operator Foo_1. "
        "Reason: Failed to execute tiling function.\n"
        "        Solution: check the tiling function.\n"
        "TraceBack (most recent call last):\n"
        "        ACME_WINDOW is too SMALL, need 512 MB\n"
        "        Tiling check failed.[FUNC:Check][FILE:foo_tiling.cpp][LINE:9]\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 1, report.root_cause
    assert getattr(finding, "also_line", None) == 4 and "too SMALL" in getattr(finding, "also_text", ""), finding


@pytest.mark.usefixtures("no_rules")
def test_a_python_traceback_under_an_error_is_no_cann_account(tmp_path: Path):
    report = _report(tmp_path, (
        "RuntimeError: the widget failed\n"
        "Traceback (most recent call last):\n"
        "  File \"x.py\", line 1, in <module>\n"))
    assert getattr(report.findings[0], "also_line", None) is None, report.findings[0]
