"""The key line in more shapes users paste: a logged error with the traceback of the exception it handled under
it (the exception line says why), C++'s ``terminate called after throwing ...`` (its ``what():`` line says
what), CANN's code line whose failed call under ``TraceBack`` the same rule knows, an error said over two
consecutive lines, and a message the terminal wrapped (the rest quoted too). Made-up logs of those shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.exception_lines import logged_exception, terminate_message
from mindpilot.validators.kb.report import UNSURE
from mindpilot.validators.text.report import report_lines


def _report(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


LOGGED = (
    "starting agent on node-3\n"
    "2026-01-02 03:04:05.123456+08:00 - acme.probe.npu - ERROR - Failed to initialize the board library\n"
    "Traceback (most recent call last):\n"
    "  File \"/opt/acme/probe/npu.py\", line 42, in probe\n"
    "    boardlib.init()\n"
    "  File \"/opt/acme/probe/boardlib/__init__.py\", line 88, in init\n"
    "    raise BoardLibError(ERROR_NOT_LOADED)\n"
    "acme.probe.boardlib.BoardLibError_NotLoaded: shared object not loaded\n")


@pytest.mark.usefixtures("no_rules")
def test_a_logged_error_hands_over_to_the_exception_ending_its_traceback(tmp_path: Path):
    root = _report(tmp_path, LOGGED).root_cause
    assert root is not None and root.rule == "diagnose.unknown_error" and root.confidence == UNSURE, root
    assert root.line == 8 and "BoardLibError_NotLoaded" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_a_long_logged_traceback_is_read_to_its_exception_line(tmp_path: Path):
    frames = "".join(f"  File \"/opt/acme/probe/layer{n}.py\", line {n + 10}, in call{n}\n    return call{n + 1}()\n"
                     for n in range(30))
    text = LOGGED.replace("Traceback (most recent call last):\n", "Traceback (most recent call last):\n" + frames)
    root = _report(tmp_path, text).root_cause
    assert root is not None and root.line == 68 and "BoardLibError_NotLoaded" in root.title, root


def test_an_exception_followed_by_a_traceback_is_followed_by_another_error():
    following = [(2, "Traceback (most recent call last):"), (3, "  File \"a.py\", line 1, in f"),
                 (4, "KeyError: 'x'")]
    assert logged_exception("ValueError: bad shape", following) is None
    assert logged_exception("ERROR - could not start", following) == (4, "KeyError: 'x'")
    assert logged_exception("ERROR - could not start", [(2, "Traceback (most recent call last):"),
                                                        (3, "  File \"a.py\", line 1, in f")]) is None


@pytest.mark.usefixtures("no_rules")
def test_cpp_terminate_hands_over_to_its_what_line(tmp_path: Path):
    root = _report(tmp_path, (
        "loading extension frob_ops\n"
        "terminate called after throwing an instance of 'std::out_of_range'\n"
        "  what():  map::at\n"
        "Aborted (core dumped)\n")).root_cause
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == 3, root
    assert "std::out_of_range: map::at" in root.title


def test_terminate_without_its_message_keeps_its_own_line():
    assert terminate_message("terminate called after throwing an instance of 'std::bad_alloc'",
                             [(3, "Aborted (core dumped)")]) is None
    assert terminate_message("RuntimeError: x", [(3, "  what():  y")]) is None
    assert terminate_message("terminate called after throwing an instance of 'c10::Error'",
                             [(3, "  what():  bad op")]) == (3, "c10::Error: bad op")


CANN_BLOCK = (
    "[ERROR] 2026-01-02-03:04:05 (PID:77, Device:1, RankID:1) ERR00100 PTA call acl api failed\n"
    "EL0004: 2026-01-02-03:04:05.111.222 Failed to allocate memory.\n"
    "        Possible Cause: Available memory is insufficient.\n"
    "        Solution: Close applications not in use.\n"
    "        TraceBack (most recent call last):\n"
    "        rtMemcpyAsync execute failed, reason=[driver error:out of memory][FUNC:FuncErrorReason]\n"
    "        copy device memory failed, runtime result = 207001[FUNC:ReportCallError]\n")


def test_cann_code_line_also_quotes_the_failed_call_the_same_rule_knows(tmp_path: Path):
    report = _report(tmp_path, CANN_BLOCK)
    root, top = report.root_cause, report.findings[0]
    assert root is not None and root.rule == "kb.runtime.device_memory_el0004" and root.line == 2, root
    assert top.line == 2 and top.also_line == 6 and top.also_text.startswith("rtMemcpyAsync"), top
    assert any(line.strip().startswith("> rtMemcpyAsync execute failed") for line in report_lines(report, "en"))


def test_the_same_rule_outside_the_traceback_is_not_quoted(tmp_path: Path):
    # A second, separate EL0004 message: not a call under the first one's TraceBack.
    report = _report(tmp_path, CANN_BLOCK.replace("        TraceBack (most recent call last):\n",
                                                  "EL0004: 2026-01-02-03:04:06.000.000 Failed to allocate memory.\n"))
    top = report.findings[0]
    assert report.root_cause is not None and top.line == 2, top
    assert not hasattr(top, "also_line"), top


def test_a_rank_prefixed_cann_block_quotes_its_failed_call(tmp_path: Path):
    # torchrun's rank prefix before each line of CANN's account: the call under TraceBack is still indented.
    report = _report(tmp_path, "".join("[rank5]: " + line + "\n" for line in CANN_BLOCK.splitlines()))
    top = report.findings[0]
    assert report.root_cause is not None and top.line == 2 and top.also_line == 6, top


def test_an_indented_device_report_quotes_the_runtime_reason_the_same_rule_knows(tmp_path: Path):
    prefix = "(EngineCore_DP0 pid=41) ERROR 03-04 05:06:07 [core.py:700]         "
    report = _report(tmp_path, prefix + (
        "The error from device(1), serial number is 3. there is a sdma error, sdma channel is 2, "
        "the channel exist the following problems: The SMMU returned a fault\n") + prefix + (
        "Memory async copy failed, device_id=1, stream_id=4, task_id=77, flip_num=0, copy_type=2\n") + prefix + (
        "rtDeviceSynchronizeWithTimeout execute failed, reason=[sdma copy error][FUNC:FuncErrorReason]\n"))
    top = report.findings[0]
    assert report.root_cause is not None and report.root_cause.rule == "kb.runtime.sdma_copy_fault", report.root_cause
    assert top.line == 1 and top.also_line == 3 and "sdma copy error" in top.also_text, top


def test_an_unindented_line_ends_the_account(tmp_path: Path):
    report = _report(tmp_path, CANN_BLOCK.replace("        rtMemcpyAsync", "rtMemcpyAsync"))
    assert not hasattr(report.findings[0], "also_line"), report.findings[0]


def test_a_wrapped_message_is_quoted_whole(tmp_path: Path):
    report = _report(tmp_path, (
        "AssertionError: local_world_size (4) must be less than or equal to the number\n"
        "of visible devices (1).\n"))
    top = report.findings[0]
    assert report.root_cause is not None and report.root_cause.rule == "kb.serving.fewer_devices_than_world_size"
    assert top.line == 1 and top.also_line == 2 and top.text.endswith("number of visible devices (1)."), top


def test_an_error_said_over_two_lines_quotes_both(tmp_path: Path):
    report = _report(tmp_path, (
        "ERROR: Could not find a version that satisfies the requirement frobnicate==9.9.9 (from versions: none)\n"
        "ERROR: No matching distribution found for frobnicate==9.9.9\n"))
    top = report.findings[0]
    assert report.root_cause is not None and report.root_cause.rule == "kb.environment.pip_no_distribution"
    assert top.line == 1 and top.also_line == 2 and top.also_text.startswith("ERROR: No matching"), top


def test_the_same_error_again_after_an_empty_line_is_not_quoted(tmp_path: Path):
    report = _report(tmp_path, (
        "ERROR: Could not find a version that satisfies the requirement frobnicate==9.9.9 (from versions: none)\n"
        "\n"
        "ERROR: No matching distribution found for frobnicate==9.9.9\n"))
    assert not hasattr(report.findings[0], "also_line"), report.findings[0]


CALL_UNDER_ACCOUNT = (
    "E29999: Op frob_node of kernel [AIcoreEngine] is unsupported. Reason: data type DT_INT4 of input [w] is "
    "not supported.\n"
    "        Possible Cause: The operator type is unsupported in the operator information library.\n"
    "        Solution: Submit an issue to request for support, or remove this type of operators from your model.\n"
    "        TraceBack (most recent call last):\n"
    "        No supported Ops kernel and engine are found for [Frob7], optype [Frob].\n"
    "        build graph failed, graph id:0, ret:-1[FUNC:BuildModelWithGraphId]\n")


def test_a_call_under_cann_traceback_quotes_the_message_heading_the_account(tmp_path: Path):
    report = _report(tmp_path, CALL_UNDER_ACCOUNT)
    top = report.findings[0]
    assert report.root_cause is not None and report.root_cause.rule == "kb.operator.no_kernel_for_op", report.root_cause
    assert top.line == 5 and top.also_line == 1 and "DT_INT4 of input [w]" in top.also_text, top


def test_an_account_headed_by_inner_error_quotes_nothing_more(tmp_path: Path):
    report = _report(tmp_path, "EE9999: Inner Error!\n" + "".join(CALL_UNDER_ACCOUNT.splitlines(True)[1:]))
    top = report.findings[0]
    assert report.root_cause is not None and top.line == 5 and not hasattr(top, "also_line"), top
