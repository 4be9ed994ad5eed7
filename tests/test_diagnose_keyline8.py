"""The key line in more shapes the ecosystem's edges print when no rule knows the error: a crash handler's
``Segfault`` banner, a message that ends by calling itself an error (ggml's ``file.cpp:63: X error``), a check
that says a setting is not set correctly, GNU ld's ``cannot find -lx`` ahead of ``collect2``, Paddle Lite's own
``[F  m/ d time file:line func] Check failed`` lines ahead of ``terminate called``, and a pasted heading that ends
in a full-width colon (the message is on the next line). Made-up logs of those shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.keyline import announces
from mindpilot.validators.kb.report import UNSURE


def _root(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    report = analyse([str(log)], "en")
    return report.root_cause


@pytest.mark.usefixtures("no_rules")
def test_a_segfault_banner_is_the_key_line_not_silence(tmp_path: Path):
    root = _root(tmp_path, (
        "(Server pid=11) INFO 01-02 03:04:05 [router.py:9] stopping tracer...\n"
        "(Worker pid=12) [WARNING] tracer.py: Incorrect state: stop while recording, data may be partial.\n"
        "*** Segfault encountered ***\n"
        "  File \"Objects/listobject.c\", line 12, in list_dealloc\n"))
    assert root is not None and root.rule == "diagnose.unknown_error" and root.confidence == UNSURE, root
    assert root.line == 3, root


@pytest.mark.usefixtures("no_rules")
def test_a_message_that_ends_by_calling_itself_an_error_is_the_key_line(tmp_path: Path):
    root = _root(tmp_path, "```\n/build/src/backend/acme-npu.cpp:88: ACME error\n```\n\n- OS: some image\n")
    assert root is not None and root.line == 2 and "ACME error" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_a_setting_not_set_correctly_is_the_key_line(tmp_path: Path):
    root = _root(tmp_path, "[TableCheck] 'host port' is not set correctly, must be set when several hosts run\n")
    assert root is not None and root.line == 1, root


@pytest.mark.usefixtures("no_rules")
def test_words_of_failure_logged_quietly_stay_quiet(tmp_path: Path):
    log = "[INFO] retry policy: stop on the first error\n[WARNING] Incorrect schedule, data may be partial\n"
    assert _root(tmp_path, log) is None


@pytest.mark.usefixtures("no_rules")
def test_the_linker_missing_library_comes_before_collect2(tmp_path: Path):
    root = _root(tmp_path, (
        "[ 40%] Linking CXX shared library libacme.so\n"
        "/usr/bin/ld: cannot find -lacme_comm\n"
        "collect2: error: ld returned 1 exit status\n"
        "make[2]: *** [acme/CMakeFiles/acme.dir/build.make:99: acme/libacme.so] Error 1\n"))
    assert root is not None and root.line == 2 and "cannot find -lacme_comm" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_a_failed_check_in_paddle_lite_format_comes_before_terminate(tmp_path: Path):
    root = _root(tmp_path, (
        "run: ./demo model arm64\n"
        "[F  3/14  9:26:53.101 ...driver/acme_npu/engine.cc:301 BuildModel] Check failed: (Build(graph) == 0): "
        "77!==0 77 Unknown build error code(77)\n"
        "[F  3/14  9:26:53.102 ...runtime/compilation.cc:75 ~Compilation] Check failed: context: No device found.\n"
        "terminate called after throwing an instance of 'acme::Exception'\n"
        "  what():  Acme C++ Exception:\n"))
    assert root is not None and root.line == 2 and "Unknown build error code" in root.title, root


def test_a_heading_ending_in_a_full_width_colon_announces_the_next_line():
    assert announces("错误日志：")
    assert announces("error log:")
    assert not announces("加载失败，请检查配置")


@pytest.mark.usefixtures("no_rules")
def test_a_pasted_heading_hands_over_to_the_message_under_it(tmp_path: Path):
    root = _root(tmp_path, (
        "环境：x86_64\n"
        "报错信息：\n"
        "LoadKernelBinary vec ret 1234\n"
        "LoadKernelBinary vec ret 1234\n"))
    assert root is not None and root.line == 3 and "LoadKernelBinary" in root.title, root


def _report(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


@pytest.mark.usefixtures("no_rules")
def test_a_tools_stderr_continued_on_the_next_line_is_quoted_with_the_error(tmp_path: Path):
    report = _report(tmp_path, (
        "$ acme-compose up\n"
        "Error response from daemon: failed to create task: prestart hook failed: stderr: hook ...parse options"
        "...mount files. Please check the permission!\n"
        "failed to mount src: /usr/local/bin/acme-tool.failed to mount dev.failed to setup container.: unknown\n"
        "$\n"))
    root, finding = report.root_cause, report.findings[0]
    assert root is not None and root.line == 2, root
    assert getattr(finding, "also_line", None) == 3 and "acme-tool" in root.title, finding


@pytest.mark.usefixtures("no_rules")
def test_a_wrapped_error_chain_hands_over_to_its_innermost_cause(tmp_path: Path):
    report = _report(tmp_path, (
        "Allocate failed due to rpc error: code = Unknown desc = apply sharing for pod\n"
        "team-a/job-7c1e-0:\n"
        "acme-smi set share -i 1: acme-smi not found in\n"
        "[/opt/acme/bin/acme-smi /usr/local/bin/acme-smi]\n"))
    root, finding = report.root_cause, report.findings[0]
    assert root is not None and root.line == 3 and "acme-smi not found" in root.title, root
    assert getattr(finding, "also_line", None) == 1 and "rpc error" in getattr(finding, "also_text", ""), finding


@pytest.mark.usefixtures("no_rules")
def test_an_exception_whose_next_line_only_carries_a_code_hands_over_to_cann_message(tmp_path: Path):
    root = _root(tmp_path, (
        "  File \"/srv/app/attention.py\", line 12, in forward\n"
        "      out = torch_npu.npu_some_attention(...)\n"
        "  RuntimeError: npu_some_attention_symint:...:88\n"
        "      NPU function error: call aclnnSomeAttention failed,\n"
        "      error code is 561002\n"
        "  [ERROR] 2026-01-02-03:04:05 (PID:9, Device:0, RankID:-1) ERR00100 PTA call acl api failed.\n"
        "  EZ9999[PID: 9] ...: page_size should be a multiple of 64, but got 3.\n"))
    assert root is not None and root.line == 7 and "page_size" in root.title, root


def test_an_error_reported_as_above_quotes_the_line_above(tmp_path: Path):
    report = _report(tmp_path, (
        "my_fused_kernel launch failed: because value 99999 for parameter blockDim is invalid. "
        "Expected value: less than or equal to 65535.\n"
        "\n"
        "RuntimeError: The Inner error is reported as above. The process exits for this inner error, and the "
        "current working operator name is my_fused_kernel.\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 3, report.root_cause
    assert getattr(finding, "also_line", None) == 1 and "blockDim" in getattr(finding, "also_text", ""), finding


def test_a_cann_code_line_quotes_the_exception_that_carried_its_return_code(tmp_path: Path):
    report = _report(tmp_path, (
        "(Worker pid=7) ERROR [executor.py:12] RuntimeError: SetDev:build/x.ts:9 NPU function error: "
        "c10_npu::SetDevice(device), error code is 507033\n"
        "(Worker pid=7) ERROR [executor.py:12] Memory_Allocation_Failure(EL0004): Failed to allocate memory.\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 2, report.root_cause
    assert getattr(finding, "also_line", None) == 1 and "SetDevice" in getattr(finding, "also_text", ""), finding


def test_an_exception_that_names_a_cann_code_is_not_quoted_as_a_mere_return_code():
    from mindpilot.launch.quoted_lines import _wrapping_exception

    code_line = "EZ9999: Parse dynamic kernel config fail."
    assert _wrapping_exception(code_line, ["RuntimeError: call aclnnCast failed, detail:EZ9999: Inner Error!"], 4) is None
    assert _wrapping_exception(code_line, ["RuntimeError: NPU function error: aclrtX, error code is 507015"], 4) == (
        3, "RuntimeError: NPU function error: aclrtX, error code is 507015")
    assert _wrapping_exception("a line with no code", ["NPU function error: aclrtX, error code is 1"], 4) is None


@pytest.mark.usefixtures("no_rules")
def test_an_exception_pasted_with_a_full_width_colon_is_the_key_line(tmp_path: Path):
    root = _root(tmp_path, "正在加载模型\nValueError： acme backend not compiled in\n")
    assert root is not None and root.line == 2 and "acme backend" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_a_line_grep_would_show_for_error_is_never_passed_over(tmp_path: Path):
    root = _root(tmp_path, "loading board 3\ngot error 4107 from the board driver while mapping queue 2\ndone\n")
    assert root is not None and root.line == 2, root


def test_a_catch_all_ending_a_run_of_tagged_errors_quotes_the_first_of_the_run(tmp_path: Path):
    report = _report(tmp_path, (
        "[INFO] installing acme runtime\n"
        "[ERROR] /etc/acme.conf is a dangling link\n"
        "[ERROR] /etc/acme.conf is invalid\n"
        "[ERROR] install failed, board-x not support this os\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.confidence != "confident", report.root_cause
    assert getattr(finding, "also_line", None) == 2 and "dangling" in getattr(finding, "also_text", ""), finding


def test_the_first_of_a_run_stops_at_an_untagged_line():
    from mindpilot.launch.quoted_lines import _first_of_the_run

    assert _first_of_the_run("[ERROR] c", ["[INFO] a", "[ERROR] b"], 3) == (2, "[ERROR] b")
    assert _first_of_the_run("[ERROR] c", ["[ERROR] a", "", "[ERROR] b"], 4) == (3, "[ERROR] b")
    assert _first_of_the_run("install failed", ["[ERROR] b"], 2) is None
    assert _first_of_the_run("[ERROR] c", ["[INFO] a"], 2) is None


@pytest.mark.usefixtures("no_rules")
def test_a_ray_wrapper_hands_over_to_the_remote_exception_its_traceback_ends_with(tmp_path: Path):
    root = _root(tmp_path, (
        "Traceback (most recent call last):\n"
        "  File \"/srv/main.py\", line 9, in run\n"
        "    ray.get(actor.setup.remote())\n"
        "ray.exceptions.ActorDiedError: The actor died because of an error raised in its creation task, "
        "ray::Syncer.__init__() (pid=7, ip=10.0.0.2)\n"
        "  File \"/srv/syncer.py\", line 30, in __init__\n"
        "    ray.get(\n"
        "ray.exceptions.RayTaskError(OSError): ray::Worker.init() (pid=8, ip=10.0.0.2)\n"
        "  File \"/usr/lib/python3.10/subprocess.py\", line 526, in run\n"
        "    raise CalledProcessError(retcode, process.args,\n"
        "subprocess.CalledProcessError: Command '['acme-smi', 'info']' returned non-zero exit status 3.\n"))
    assert root is not None and root.line == 10 and "acme-smi" in root.title, root


@pytest.mark.usefixtures("no_rules")
def test_an_exception_handed_over_to_its_detail_stays_quoted(tmp_path: Path):
    report = _report(tmp_path, (
        "RuntimeError: acme_op:build/x.ts:62 NPU function error: call aclnnAcmeOp failed, error code is 561002\n"
        "E89999: Inner Error!\n"
        "E89999: op[AcmeOp], head_dim 100 is not aligned to 16, please pad it.\n"))
    finding = report.findings[0]
    assert report.root_cause is not None and report.root_cause.line == 3, report.root_cause
    assert getattr(finding, "also_line", None) == 1 and "aclnnAcmeOp" in getattr(finding, "also_text", ""), finding


@pytest.mark.usefixtures("no_rules")
def test_a_go_logger_error_line_is_the_key_line(tmp_path: Path):
    root = _root(tmp_path, (
        'time="2026-01-02T03:04:05Z" level=info msg="starting acme plugin"\n'
        'time="2026-01-02T03:04:06Z" level=error msg="allocate for pod team/x" error="share: acme-tool missing"\n'))
    assert root is not None and root.line == 2, root
    root = _root(tmp_path, '{"level":"info","msg":"start"}\n{"level":"error","msg":"register plugin","error":"gone"}\n')
    assert root is not None and root.line == 2, root


@pytest.mark.usefixtures("no_rules")
def test_a_go_logger_info_line_that_mentions_an_error_is_no_failure(tmp_path: Path):
    assert _root(tmp_path, (
        'time="2026-01-02T03:04:05Z" level=info msg="retry on error enabled"\n'
        'time="2026-01-02T03:04:06Z" level=warning msg="exception list empty"\n'
        '{"level":"debug","msg":"error budget 0"}\n')) is None
