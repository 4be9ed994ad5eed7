"""The key line wherever ``grep -iE "error|exception|fail"`` would show it: lines the unsure fallback used to
pass over for a louder-looking neighbour (PyTorch c10's warning ahead of its error line, CMake's summary ahead of
the shell error it reports, the quoted ``raise`` statement ahead of the exception it printed, a bare
``AssertionError`` whose statement is the only message). Made-up logs of the shapes seen in real threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.exception_lines import failed_statement, raised_exception
from mindpilot.validators.kb.keyline import quiet_level


def _root(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    report = analyse([str(log)], "en")
    return report.root_cause, report.findings[0] if report.findings else None


@pytest.mark.usefixtures("no_rules")
def test_c10_warning_is_quiet_and_its_error_line_is_the_key_line(tmp_path: Path):
    warning = "[rank1]:[W1203 10:11:12.123456789 npu_hooks.cpp:77] Warning: could not pin the host buffer, using a copy"
    assert quiet_level(warning)
    assert not quiet_level("[rank1]:[E1203 10:11:14.000000001 ops.cpp:12] LayerNormOp init failed!")
    root, _ = _root(tmp_path, "INFO 12-03 10:11:10 [loader.py:40] loading weights\n" + warning + "\n"
                    "[rank1]:[E1203 10:11:14.000000001 ops.cpp:12] LayerNormOp init failed!\n"
                    "Exception raised from Init at build/ops.cpp:12 (most recent call first):\n"
                    "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x10 (0x1 in libc10.so)\n")
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == 3, root


@pytest.mark.usefixtures("no_rules")
def test_a_shell_error_comes_ahead_of_the_build_summary_that_reports_it(tmp_path: Path):
    root, _ = _root(tmp_path, "checking for zlib.h... yes\n"
                    "./build.sh: line 88: unexpected EOF while looking for matching `\"'\n"
                    "CMake Error at cmake/deps.cmake:20 (message):\n"
                    "  error! when ./build.sh --prefix=/opt/x\n"
                    "-- Configuring incomplete, errors occurred!\n")
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == 2, root


def test_the_exception_a_raise_statement_printed_is_the_key_line(tmp_path: Path):
    # The exception line is a known consequence (a command failed); the quoted raise statement above it is code.
    text = ("Traceback (most recent call last):\n"
            "  File \"/opt/app/probe.py\", line 12, in card_info\n"
            "    out = subprocess.run([\"hccn_tool\", \"-i\", \"3\", \"-link\", \"-g\"], check=True)\n"
            "  File \"/usr/lib/python3.11/subprocess.py\", line 571, in run\n"
            "    raise CalledProcessError(retcode, process.args,\n"
            "subprocess.CalledProcessError: Command '['hccn_tool', '-i', '3', '-link', '-g']' "
            "returned non-zero exit status 9.\n")
    root, top = _root(tmp_path, text)
    assert top is not None and top.line == 6, (root, top)
    assert raised_exception("    raise CalledProcessError(retcode, args,", [(2, "Trace"), (3, "x")]) is None


@pytest.mark.usefixtures("no_rules")
def test_a_bare_assertion_error_points_at_its_assert_statement(tmp_path: Path):
    prefix = "(Worker_TP1 pid=77) ERROR 12-03 10:00:00 [executor.py:10] "
    text = "".join(prefix + line + "\n" for line in (
        "Traceback (most recent call last):",
        "  File \"/opt/app/comm.py\", line 40, in __init__",
        "    assert world_size % tp_size == 0",
        "AssertionError"))
    root, top = _root(tmp_path, text)
    assert root is not None and root.line == 3 and "world_size % tp_size" in root.title, (root, top)
    # An exception with a message keeps its own line; so does a bare one with no quoted frame above it.
    assert failed_statement("AssertionError: tp must divide world", ["  File \"a.py\", line 1", "    assert x"]) is None
    assert failed_statement("AssertionError", ["some output", "    assert x"]) is None
    assert failed_statement("AssertionError", ["  File \"a.py\", line 1", "    assert x", "    ^^^^^^"]) == \
        (2, "    assert x")


def test_cann8_stamp_ahead_of_the_code_is_a_wrapping_and_its_message_is_the_detail(tmp_path: Path):
    from mindpilot.validators.kb.keyline import key_text

    stamped = "[PID: 4242] 2025-12-01-09:00:00.111.222 AclNN_Parameter_Error(EZ1001): The x dtype DT_INT8 is not valid."
    assert key_text(stamped) == "AclNN_Parameter_Error(EZ1001): The x dtype DT_INT8 is not valid."
    root, top = _root(tmp_path, "  File \"/opt/app/net.py\", line 9, in forward\n    y = torch.cumsum(x, 0)\n"
                      "RuntimeError: cumsum:build/CMakeFiles/torch_npu.dir/ops.ts:7 NPU function error: call aclnnCumsum "
                      "failed, error code is 161002\n"
                      "[ERROR] 2025-12-01-09:00:00 (PID:4242, Device:0, RankID:-1) ERR00100 PTA call acl api failed.\n"
                      + stamped + "\n")
    assert top is not None and top.line == 5, (root, top)


@pytest.mark.usefixtures("no_rules")
def test_a_cann_code_line_continued_on_the_next_line_is_quoted_whole(tmp_path: Path):
    root, _ = _root(tmp_path, "RuntimeError: npu_gelu:build/CMakeFiles/torch_npu.dir/ops.ts:5 NPU function error: call "
                    "aclnnGelu failed, error code is 561002\n"
                    "E89999: Inner Error!\n"
                    "E89999[PID: 77] 2026-01-02-03:04:05.006.007 (E89999):  op[GeluV2],\n"
                    "when the last axis is not 32-byte aligned please pad it before calling this operator.\n"
                    "[FUNC:Tiling][FILE:gelu_tiling.cpp][LINE:12]\n")
    assert root is not None and root.line == 3 and "32-byte aligned" in root.title, root
