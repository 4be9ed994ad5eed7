"""The key line of logs no rule fully knows, in shapes users paste: a C/C++ compiler's error in a build log, an
exception whose first line is only the place that raised it, a traceback cut before its exception line, and a
follow-on timeout that must not come after a warning. Made-up logs of those shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.keyline import only_a_place
from mindpilot.validators.kb.report import LIKELY, UNSURE


def _report(tmp_path: Path, text: str, name: str = "job.log"):
    log = tmp_path / name
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


BUILD_LOG = (
    "  running build_ext\n"
    "  building 'frobkit._C' extension\n"
    "  In file included from /src/frobkit/csrc/bind.cpp:4:\n"
    "  /src/frobkit/csrc/bind.h:12:10: fatal error: acme/widget_pub.h: No such file or directory\n"
    "     12 | #include \"acme/widget_pub.h\"\n"
    "        |          ^~~~~~~~~~~~~~~~~~~\n"
    "  compilation terminated.\n"
    "  error: command '/usr/bin/g++' failed with exit code 1\n"
    "  ERROR: Failed building wheel for frobkit\n"
    "subprocess.CalledProcessError: Command '['cmake', '--build', '.']' returned non-zero exit status 2.\n")


def test_a_compilers_fatal_error_in_a_build_log_is_the_key_line(tmp_path: Path):
    report = _report(tmp_path, BUILD_LOG, "build.log")
    root = report.root_cause
    assert root is not None and root.rule == "diagnose.unknown_error" and root.confidence == UNSURE, root
    assert root.line == 4, root
    assert "widget_pub.h" in root.title


def test_a_linkers_undefined_reference_comes_before_the_build_tools_failure(tmp_path: Path):
    report = _report(tmp_path, (
        "[ 50%] Linking CXX shared library libfrob.so\n"
        "/usr/bin/ld: CMakeFiles/frob.dir/a.cpp.o: in function `run()':\n"
        "a.cpp:(.text+0x1c): undefined reference to `acme_widget_open'\n"
        "collect2: error: ld returned 1 exit status\n"
        "gmake[2]: *** [CMakeFiles/frob.dir/build.make:97: libfrob.so] Error 1\n"
        "RuntimeError: building frob failed\n"), "build.log")
    root = report.root_cause
    assert root is not None and root.line == 3, root


def test_a_compilers_warning_is_not_an_error_line(tmp_path: Path):
    report = _report(tmp_path, (
        "  /src/frobkit/csrc/bind.cpp:40:7: warning: unused variable 'n' [-Wunused-variable]\n"
        "  RuntimeError: frob table has 3 rows, expected 4\n"), "build.log")
    assert report.root_cause is not None and report.root_cause.line == 2, report.root_cause


@pytest.mark.parametrize("line, place_only", [
    ("RuntimeError: setupComm:torch_npu/csrc/distributed/WidgetGroup.cpp:88", True),
    ("[rank2]: RuntimeError: initDevice:third_party/acme/src/dev.cc:120", True),
    ("RuntimeError: torch_npu/csrc/core/thing.cpp:9", True),
    ("RuntimeError: setupComm:torch_npu/csrc/x/WidgetGroup.cpp:88 Widget function error: open, error code is 9", False),
    ("RuntimeError: frob table has 3 rows, expected 4", False),
])
def test_an_exception_that_only_names_the_place_that_raised_it(line, place_only):
    assert only_a_place(line) is place_only


def test_the_message_under_an_exception_that_only_names_its_place_is_the_key_line(tmp_path: Path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"/job/train.py\", line 9, in <module>\n"
        "    setup()\n"
        "RuntimeError: setupComm:torch_npu/csrc/distributed/WidgetGroup.cpp:88\n"
        "Widget function error: WidgetOpen(&handle), error code is 9\n"))
    root = report.root_cause
    assert root is not None and root.confidence == UNSURE and root.line == 5, root
    assert "WidgetOpen" in root.title


CUT = (
    "epoch 3 started\n"
    "Traceback (most recent call last):\n"
    "  File \"/job/run.py\", line 50, in <module>\n"
    "    trainer.fit()\n"
    "  File \"/opt/lib/site-packages/frob/trainer.py\", line 210, in fit\n"
    "    self._end_epoch(logs)\n"
    "  File \"/job/frob_ext/hooks.py\", line 77, in _end_epoch\n"
    "    mean = frob.concat(self._history).mean()\n")


def test_a_traceback_cut_before_its_exception_names_its_last_statement(tmp_path: Path):
    report = _report(tmp_path, CUT)
    root = report.root_cause
    assert root is not None and root.confidence == UNSURE and root.line == 8, root
    finding = report.findings[0]
    assert "frob.concat(self._history)" in finding.title
    assert "_end_epoch" in finding.detail and "hooks.py:77" in finding.detail, finding.detail
    assert "cut" in finding.detail


def test_a_cut_traceback_with_rank_prefixes_and_carets(tmp_path: Path):
    text = "".join(f"[rank1]: {line}\n" for line in CUT.splitlines()[1:]) + "[rank1]:            ^^^^^^^^^^^^\n"
    report = _report(tmp_path, text)
    root = report.root_cause
    assert root is not None and root.line == 7 and root.rank == 1, root


def test_a_whole_traceback_is_not_called_cut(tmp_path: Path):
    report = _report(tmp_path, CUT + "frob.Halt: stage 3\n")  # an exception line no pattern reads: no key line
    assert report.root_cause is None and not report.findings, report.findings


TIMEOUT = ("EI0006: 2025-03-01-10:00:00.000.000 Getting socket times out. Reason: Remote Rank did not send the data "
           "in time. Please check the reason for the rank being stuck\n")
CPU_FALLBACK = ("[W VariableFallbackKernel.cpp:51] Warning: CAUTION: The operator 'aten::frob.out' is not currently "
                "supported on the NPU backend and will fall back to run on the CPU. This may have performance "
                "implications. (function npu_cpu_fallback)\n")


def test_a_follow_on_timeout_comes_before_a_warning(tmp_path: Path):
    report = _report(tmp_path, CPU_FALLBACK + TIMEOUT)
    root = report.root_cause
    assert root is not None and root.line == 2 and root.confidence == LIKELY, root
    first = report.findings[0]
    assert first.rule == root.rule and not first.consequence, first
    assert "only a consequence" in first.detail
    assert report.findings[1].rule == "kb.operator.torch_op_cpu_fallback"


def test_a_timeout_alone_stays_a_consequence(tmp_path: Path):
    report = _report(tmp_path, TIMEOUT)
    assert report.root_cause is None
    assert "diagnose.only_consequences" in [note.rule for note in report.notes]


def test_a_cut_traceback_ending_in_a_frameworks_code_says_whose_code_it_is(tmp_path: Path):
    text = CUT.replace("/job/frob_ext/hooks.py", "/usr/lib/python3.10/site-packages/mindformers/core/hooks.py")
    finding = _report(tmp_path, text).findings[0]
    assert "MindFormers" in finding.detail and "mindformers/core/hooks.py:77" in finding.detail, finding.detail
    assert "MindFormers" not in _report(tmp_path, CUT).findings[0].detail


INIT_ENV_FAILED = ("EH9999: Inner Error!\n"
                   "EH9999  [Init][Env]init env failed![FUNC:ReportInnerError][FILE:log_inner.cpp][LINE:145]\n"
                   "        TraceBack (most recent call last):\n"
                   "        build op model failed, result = 500001[FUNC:ReportInnerError][FILE:log_inner.cpp][LINE:145]\n")


def test_the_compilers_own_exception_comes_before_ges_init_env_failed(tmp_path: Path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"/opt/Ascend/python/site-packages/te_fusion/parallel_compilation.py\", line 90, in start\n"
        "    check(width)\n"
        "ValueError: frob width 3 is outside [4, 8]\n" + INIT_ENV_FAILED))
    root = report.root_cause
    assert root is not None and root.line == 4 and root.confidence == UNSURE, root
    assert any(finding.rule == "kb.versions.cann_compiler_init_failed" for finding in report.findings)


def test_ges_init_env_failed_alone_is_said_as_likely(tmp_path: Path):
    root = _report(tmp_path, INIT_ENV_FAILED).root_cause
    assert root is not None and root.rule == "kb.versions.cann_compiler_init_failed", root
    assert root.confidence == LIKELY and root.line == 2, root


def test_the_bare_base_exception_is_an_exception_line(tmp_path: Path):
    report = _report(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"/job/load.py\", line 12, in <module>\n"
        "    raise Exception(f\"cannot read {path}: {why}\")\n"
        "Exception: cannot read /data/frob/list.txt: no frobs listed\n"))
    root = report.root_cause
    assert root is not None and root.line == 4, root


def test_the_first_cause_under_caused_by_is_the_key_line(tmp_path: Path):
    report = _report(tmp_path, (
        "Error: failed to start the frob exporter\n"
        "\n"
        "Caused by:\n"
        "    failed to open the frob socket: Permission denied (os error 13)\n"))
    root = report.root_cause
    assert root is not None and root.line == 4, root


def test_canns_own_code_line_comes_before_the_loggers_error_lines_around_it(tmp_path: Path):
    prefix = "[Stage-1] ERROR 03-01 10:00:00 [worker.py:80] "
    report = _report(tmp_path, "".join(prefix + line + "\n" for line in (
        "Note: FROB_BLOCKING=1 makes every call wait for the card; unset it after debugging.",
        "[ERROR] 2026-03-01-10:00:00 (PID:1, Device:0, RankID:0) ERR00100 PTA call acl api failed.",
        "[PID: 1] 2026-03-01-10:00:00.000.000 Frob_Widget_Failure(EZ7777): The widget could not be frobbed.",
        "        Possible Cause: The widget is stuck.")))
    root = report.root_cause
    assert root is not None and root.line == 3, root


@pytest.mark.parametrize("code_line, moves", [
    ("Frob_Widget_Startup_Timeout(E39999)", True),
    ("Inner_Error_Frob_Startup_Timeout(E39999)", True),
    ("Inner_Error(E39999)", False),
])
def test_canns_code_line_named_by_its_type_is_the_detail_of_a_return_code(code_line, moves):
    from mindpilot.validators.kb.keyline import detail_line

    following = [(2, code_line), (3, "        Possible Cause: 1. the frob did not start."),
                 (4, "        TsdOpen failed. devId=0, tdt error=31")]
    found = detail_line("NPU function error: error code is 507033", following)
    assert (found is not None and found[0] == 2) is moves, found
