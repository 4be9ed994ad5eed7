"""When no rule knows the error, the unsure key line is the one that says what it means, and a log whose
only failure is a consequence or a bare fact still gets a key line instead of "no known error found".

* torch_npu and MindSpore wrap an ACL return code in an exception; CANN's code line below it (after an
  ``Inner Error`` line that says nothing) holds the reason;
* a nested traceback's header (``TVMError: Traceback (most recent call last):``) is not the error;
* ``CMake Error at x (message):`` and pydantic's ``ValidationError`` put their message on the next lines;
* a negative memory figure, a non-zero exit code, a raise whose exception line was cut off, a timeout
  alone: unsure key lines; benign start-up lines stay quiet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.keyline import detail_line, key_text

STEP = "2025-08-20 10:00:00,000 - mindformers[callback.py:350] - INFO - { step:[1/10], loss: 2.3 }\n"


# The engine alone: no rule of the shipped knowledge base (rules added later must not change these).
pytestmark = pytest.mark.usefixtures("no_rules")


def _root(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    report = analyse([str(log)], "en")
    return report.root_cause, report


@pytest.mark.parametrize("text, line, words", [
    (STEP + "RuntimeError: init:compiler_depend.ts:292 NPU function error: aclrtGetDeviceCount(&device_count), "
     "error code is 207004\n[ERROR] 2025-07-17-08:06:53 (PID:1, Device:-1, RankID:-1) ERR00100 PTA call acl api failed\n"
     "[Error]: The device is unavailable.\nEE1001: [PID: 1] 2025-07-17-08:06:53.296.370 The argument is invalid."
     "Reason: the visible device list is not sorted\n", 5, "the visible device list is not sorted"),
    (STEP + "(EngineCore_DP0 pid=7) RuntimeError: op_x: NPU function error: call aclnnFoo failed, error code is 561002\n"
     "(EngineCore_DP0 pid=7) EZ9999: Inner Error!\n(EngineCore_DP0 pid=7) EZ9999[PID: 7] 2025-12-23-07:36:19.237.396 "
     "(EZ9999):  the buffer of the collective is too small for this batch\n", 4, "buffer of the collective"),
    (STEP + "Traceback (most recent call last):\n  File \"train.py\", line 36, in <module>\nRuntimeError: Run task error!\n\n"
     "----------------------------------------------------\n- Ascend Error Message:\n"
     "----------------------------------------------------\nEE9999: Inner Error, Please contact support engineer!\n"
     "EE9999  Task execute failed, base info: device_id=0, stream_id=2, task_id=3\n", 10, "Task execute failed"),
    (STEP + "tvm._ffi.base.TVMError: Traceback (most recent call last):\n  [bt] (0) libtvm.so(x+0x4c)\n"
     "  File \"storage_rewrite_cce.cc\", line 840\n\nTVMError: [EB0000] Check failed: the data exceeds the buffer\n", 6,
     "data exceeds the buffer"),
    (STEP + "-- Performing Test HAS_FP16 - Failed\nCMake Error at host_config.cmake:20 (message):\n"
     "  SOC_VERSION chipx does not support, the support list is\n  chipa;chipb\n", 4, "chipx does not support"),
    (STEP + "pydantic_core._pydantic_core.ValidationError: 1 validation error for EngineConfig\n"
     "  Value error, max_num_batched_tokens (4096) is smaller than max_model_len (32768) [type=value_error, "
     "input_value=ArgsKwargs(()), input_type=ArgsKwargs]\n", 3, "is smaller than max_model_len"),
    # A banner of tags, then a header that ends with a colon: the message is the line after both.
    (STEP + "(Worker pid=3) ERROR 03-18 08:08:14 [core.py:10] triton.compiler.errors.MLIRCompilationError: \n"
     "(Worker pid=3) ERROR 03-18 08:08:14 [core.py:10] ///----------[ERROR][Triton][BEG]----------\n"
     "(Worker pid=3) ERROR 03-18 08:08:14 [core.py:10] [LowerPass] encounters error:\n"
     "(Worker pid=3) ERROR 03-18 08:08:14 [core.py:10] compile-tool: no target named 'ChipX1'!\n"
     "(Worker pid=3) ERROR 03-18 08:08:14 [core.py:10] ///----------[ERROR][Triton][END]----------\n",
     5, "no target named 'ChipX1'"),
    # A code line whose message starts on the next line, after an exception that only carries a return code.
    (STEP + "aclnnFooBar failed, error code is 161002\nAclNN_Parameter_Error(EZ1001):\n"
     "Tensor weight not implemented for DT_INT4,\nshould be in dtype support list [DT_INT8].\n", 4,
     "not implemented for DT_INT4"),
    # torch_npu's line with the runtime's own message, after the return code it raised.
    (STEP + "RuntimeError: op():a.cpp:25 NPU function error: AclrtSynchronizeStreamWithTimeout(s), error code is 507099\n"
     "[ERROR] 2025-04-29-18:46:11 (PID:1, Device:1, RankID:-1) ERR00100 PTA call acl api failed\n"
     "[Error]: The cube unit stopped on a bad instruction.\n", 4, "cube unit stopped"),
])
def test_the_line_that_says_what_an_unknown_error_means_is_the_key_line(tmp_path, text, line, words):
    root, report = _root(tmp_path, text)
    assert root is not None and root.rule == "diagnose.unknown_error", root
    assert root.line == line and words in root.title, root
    assert report.findings[0].line == line


def test_a_code_line_that_says_nothing_is_not_the_detail_one_that_says_what_timed_out_is():
    following = [(2, "EZ9999: Inner Error!"), (3, "module_name=EE8888 reported"), (4, "EZ9999: Contact support engineer")]
    assert detail_line("RuntimeError: call aclnnX failed, error code is 561002", following) is None
    # The timeout the wrapped return code stands for, with its reason: what users read as the error.
    timed_out = (3, "EI0006: Getting socket times out. Reason: Remote Rank did not send the data in time.")
    assert detail_line("RuntimeError: HcclAllreduce, error code is 6", [(2, "EZ9999: Inner Error!"), timed_out]) \
        == timed_out
    assert detail_line("ValueError: x", [(2, "Traceback (most recent call last):"), (3, "EE1001: bad arg x")]) is None
    # An exception with a message of its own is the key line; a code line below it is listed after it.
    assert detail_line("RuntimeError: tokenizer.json not found", [(2, "E10001: Value [x] is not allowed.")]) is None
    assert detail_line("RuntimeError: NPU function error: aclrtSetDevice, error code is 107001",
                       [(2, "E10001: Value [x] is not allowed.")]) == (2, "E10001: Value [x] is not allowed.")


@pytest.mark.parametrize("text, line, words", [
    # MindSpore Lite's own format (no other level prefix); ldd's line for a library it cannot find (indented).
    ("start reading model file\nERROR [lite/src/context.cc:206] IsValid] NPU3 is not supported.\n", 2,
     "NPU3 is not supported"),
    ("# ldd tool_x\n\tlinux-vdso.so.1 =>  (0x00007ffec731d000)\n\tlibfoo.so.3 => not found\n"
     "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f12ff5fc000)\n", 3, "libfoo.so.3 => not found"),
])
def test_an_error_line_in_these_formats_is_not_silent(tmp_path, text, line, words):
    root, _ = _root(tmp_path, text)
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == line, root
    assert words in root.title


@pytest.mark.parametrize("text, line, words", [
    ("Loading model weights took 27.5 GB\nAvailable KV cache memory: -0.87 GiB\n", 2, "-0.87 GiB"),
    (STEP + "worker 3 exited: exitcode: -9 (pid: 1234)\n", 2, "exitcode: -9"),
    (STEP + "Command '['make', '-j']' returned non-zero exit status 2.\n", 2, "exit status 2"),
    (STEP + "\x1b[36m(TaskRunner pid=15)\x1b[0m   File \"forward_context.py\", line 271, in select_method\n"
     "^[[36m(TaskRunner pid=15)^[[0m     raise ValueError(f\"Unsupported chip: {chip}\")\n", 3, "Unsupported chip"),
])
def test_a_bare_failure_fact_is_an_unsure_key_line(tmp_path, text, line, words):
    root, _ = _root(tmp_path, text)
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == line, root
    assert words in root.title


def test_a_log_with_only_a_timeout_names_it_as_the_first_sign_not_as_the_cause(tmp_path):
    root, report = _root(tmp_path, STEP + "torch.distributed.DistStoreError: Socket Timeout\n")
    assert root is not None and root.line == 2 and "Socket Timeout" in root.title
    assert "only a consequence" in report.findings[0].detail
    bare, _ = _root(tmp_path, STEP + "[ERROR] TSCH(-1,null):2020-06-04-10:51:09.520.395 ai_core_dispatcher.c:1012 "
                                     "exception_proc_timeout: slot_id=1\n")
    assert bare is not None and bare.line == 2


@pytest.mark.parametrize("text", [
    STEP * 3,
    STEP + "[INFO] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [a.py:1] free memory size[-0] is fine\n",
    STEP + "process finished, exit code 0\nreturn code: 0\n",
    STEP + "[WARNING] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [b.py:1] Topology build timed out., retry(3/1200)\n",
])
def test_benign_lines_stay_quiet(tmp_path, text):
    root, report = _root(tmp_path, text)
    assert root is None and not report.findings, report.findings


def test_a_pasted_colour_code_is_a_wrapping():
    assert key_text("^[[36m(TaskRunner pid=15)^[[0m     raise ValueError(\"x\")") == "raise ValueError(\"x\")"
    assert key_text("[[36m(TaskRunner pid=15)[[0m RuntimeError: y") == "RuntimeError: y"


def test_a_hand_rule_named_cann_is_not_a_catalogue_catch_all():
    from mindpilot.launch.catch_alls import is_catch_all

    assert is_catch_all("kb.runtime.cann_ee9999") and is_catch_all("kb.graph.cann_e10001")
    assert not is_catch_all("kb.environment.cann_shared_library_missing")  # a hand rule's name, not a code


def test_a_rule_on_a_line_that_refers_to_its_details_points_at_them(tmp_path, monkeypatch):
    from mindpilot.validators.kb import diagnose, knowledge

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        "rules:\n  - id: kb.runtime.bad_device\n    stage: runtime\n"
        "    patterns: [{regex: 'call rtSetDevice failed, ret\\[107001\\]'}]\n"
        "    title: {zh: t, en: invalid device id}\n    cause: {zh: c, en: c}\n    fix: {zh: f, en: f}\n"
        "    source: test\n", encoding="utf-8")
    kb = knowledge.load_kb_from(folder)
    monkeypatch.setattr(diagnose, "load_kb_for_logs", lambda: kb)
    monkeypatch.setattr(knowledge, "load_kb_for_logs", lambda: kb)
    wrapped = (STEP + "RuntimeError: Device 8 call rtSetDevice failed, ret[107001]. The details refer to 'Ascend Error "
               "Message'.\n\n----------------------------------------------------\n- Ascend Error Message:\n"
               "----------------------------------------------------\nEE1001: The argument is invalid.Reason: set "
               "device=8, valid device range is [0, 8)\n")
    root, report = _root(tmp_path, wrapped)
    assert root.rule == "kb.runtime.bad_device" and root.line == 7
    assert report.findings[0].text.startswith("EE1001: The argument is invalid") and report.findings[0].matched_line == 2
    # the line the rule matched stays quoted under the details it pointed to
    assert report.findings[0].also_line == 2 and "rtSetDevice failed" in report.findings[0].also_text
    plain = STEP + "RuntimeError: Device 8 call rtSetDevice failed, ret[107001]. Check the device id.\nstep 2\n"
    root, report = _root(tmp_path, plain)
    assert root.line == 2 and not hasattr(report.findings[0], "matched_line")


def test_a_section_the_error_refers_to_holds_its_detail():
    following = [(3, ""), (4, "-" * 52), (5, "- Device load error message:"), (6, "-" * 52),
                 (7, "Load dynamic library: libx.so failed. liby.so: cannot open shared object file")]
    root = 'RuntimeError: Unsupported device target Ascend. For details, please refer to "Device load error message".'
    assert detail_line(root, following) == following[-1]
    assert detail_line("RuntimeError: Unsupported device target Ascend.", following) is None


def test_a_message_wrapped_onto_the_next_line_is_read_whole(tmp_path):
    root, _ = _root(tmp_path, "AssertionError: local_world_size (8) must be less than or equal to the number\n"
                              "of visible devices (0).\n")
    assert root.line == 1 and root.title.endswith("the number of visible devices (0).")
    short, _ = _root(tmp_path, STEP + "ValueError: bad value.\nthe next job starts\n")
    assert short.title == "ValueError: bad value."


def test_a_bare_lookup_error_yields_to_the_exception_it_turned_into(tmp_path):
    chained = (STEP + "Traceback (most recent call last):\n  File \"auto.py\", line 9, in get\nKeyError: 'qwen9'\n\n"
               "During handling of the above exception, another exception occurred:\n\nTraceback (most recent call "
               "last):\n  File \"auto.py\", line 12, in get\nValueError: The checkpoint has model type `qwen9` but "
               "this version does not recognize this architecture\n")
    root, _ = _root(tmp_path, chained)
    assert root.line == 10 and "does not recognize" in root.title
    alone, _ = _root(tmp_path, STEP + "Traceback (most recent call last):\n  File \"t.py\", line 1\nKeyError: 'labels'\n")
    assert alone.line == 4
    cause_first = (STEP + "Traceback (most recent call last):\n  File \"t.py\", line 1\nOSError: libx.so: cannot open "
                   "shared object file\n\nThe above exception was the direct cause of the following exception:\n\n"
                   "RuntimeError: Failed to import module x\n")
    root, _ = _root(tmp_path, cause_first)
    assert root.line == 4  # the cause comes first; a message of its own is not bare


@pytest.mark.parametrize("last_newline", [True, False])
def test_a_big_log_s_tail_is_numbered_from_the_scan_s_count_as_by_reading_it(tmp_path, monkeypatch, last_newline):
    from mindpilot.launch import failure_lines
    from mindpilot.validators.kb.report import ScannedFile

    monkeypatch.setattr(failure_lines, "FALLBACK_MAX_BYTES", 4000)
    monkeypatch.setattr(failure_lines, "FALLBACK_TAIL_BYTES", 1500)
    text = "".join(f"line {n} of the log\n" for n in range(1, 400)) + "ValueError: the end" + ("\n" if last_newline else "")
    log = tmp_path / "big.log"
    log.write_bytes(text.encode())
    lines = text.count("\n") + (0 if last_newline else 1)
    counted = ScannedFile(file=str(log), kind="log", bytes=len(text), lines=lines, truncated=not last_newline)
    grown = ScannedFile(file=str(log), kind="log", bytes=len(text) - 1, lines=lines)  # changed since: read it all
    fast, slow = failure_lines.read_region(counted, None), failure_lines.read_region(grown, None)
    assert fast == slow
    data, first = fast
    assert data.decode().splitlines()[0] == f"line {first} of the log"


def test_an_exception_a_rule_knows_as_a_consequence_does_not_outrank_the_catch_all_below_it(tmp_path, monkeypatch):
    from mindpilot.validators import kb as kb_package
    from mindpilot.validators.kb import diagnose, knowledge

    rules = ("rules:\n  - id: kb.operator.param_catch_all\n    stage: operator\n    generic: true\n"
             "    patterns: [{regex: 'AclNN_Parameter_Error\\(EZ1001\\): (?P<why>.+)', literal: 'AclNN_Parameter_Error'}]\n"
             "    title: {zh: t, en: 'an aclnn operator rejected its arguments: {why}'}\n    cause: {zh: c, en: c}\n"
             "    fix: {zh: f, en: f}\n    source: test\n")
    summary = ("  - id: kb.operator.workspace_summary\n    stage: operator\n    consequence: true\n"
               "    patterns: [{regex: 'GetWorkspaceSize call failed, please check!'}]\n"
               "    title: {zh: t, en: the operator call failed}\n    cause: {zh: c, en: c}\n    fix: {zh: f, en: f}\n"
               "    source: test\n")
    log = (STEP + "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\n"
           "RuntimeError: aclnnFooGetWorkspaceSize call failed, please check!\n" + "-" * 52 + "\n- Ascend Error Message:\n"
           + "-" * 52 + "\n[PID: 1] 2025-01-01-00:00:00.000.000 AclNN_Parameter_Error(EZ1001): The shape of input x "
           "should be 2-D when transpose is true, but got 3-D.\n")
    # Without MindSpore's section header the catch-all's line is not the exception's own account of itself.
    bare = log.replace("- Ascend Error Message:\n", "")
    for text, log, expected in ((rules + summary, log, "kb.operator.param_catch_all"),
                                (rules + summary, bare, "kb.operator.param_catch_all"),
                                (rules, bare, "diagnose.unknown_error"),
                                (rules, log, "kb.operator.param_catch_all")):
        folder = tmp_path / f"{len(text)}-{len(log)}"
        folder.mkdir()
        (folder / "rules.yaml").write_text(text, encoding="utf-8")
        kb = knowledge.load_kb_from(folder)
        for module in (diagnose, knowledge):
            monkeypatch.setattr(module, "load_kb_for_logs", lambda kb=kb: kb)
        monkeypatch.setattr(kb_package, "load_kb", lambda kb=kb: kb)
        root, _ = _root(tmp_path, log)
        # Known as a consequence, the summary stays below CANN's message; unknown, it is the exception to read,
        # unless CANN's message is the section of its own message that says why (MindSpore's Ascend Error Message).
        assert root.rule == expected, (text, log)


def test_a_catch_all_on_a_warning_line_yields_to_a_louder_error_no_rule_knows(tmp_path, monkeypatch):
    from mindpilot.validators import kb as kb_package
    from mindpilot.validators.kb import diagnose, knowledge

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        "rules:\n  - id: kb.versions.missing_name\n    stage: versions\n    generic: true\n"
        "    patterns: [{regex: \"cannot import name '\\\\w+'\"}]\n    title: {zh: t, en: a name is missing}\n"
        "    cause: {zh: c, en: c}\n    fix: {zh: f, en: f}\n    source: test\n", encoding="utf-8")
    kb = knowledge.load_kb_from(folder)
    for module in (diagnose, knowledge):
        monkeypatch.setattr(module, "load_kb_for_logs", lambda: kb)
    monkeypatch.setattr(kb_package, "load_kb", lambda: kb)
    warning = ("[WARNING] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [plugin.py:12] optional plug-in skipped: "
               "cannot import name 'fast_attn' from 'extras'\n")
    root, report = _root(tmp_path, STEP + warning + "RuntimeError: the dataset file train.mindrecord is empty\n")
    assert root.rule == "diagnose.unknown_error" and root.line == 3 and "dataset file" in root.title
    kept = [f for f in report.findings if f.rule == "kb.versions.missing_name"]
    assert kept and not getattr(kept[0], "root_cause", False)  # still shown, no longer the root
    root, _ = _root(tmp_path, STEP + warning + "step 2 done\n")
    assert root.rule == "kb.versions.missing_name"  # nothing louder: the catch-all stays, said as likely
