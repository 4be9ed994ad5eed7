"""The key line in any log format: wrappings removed before matching, the unknown error's line found in
every launcher's and logger's format, the exception ahead of trailer lines, the failing rank ahead of ranks
that only time out, and "no known error found" only when no line looks like an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.kb import diagnose_paths, load_kb_from
from mindpilot.validators.kb.keyline import key_text
from mindpilot.launch.router import analyse


@pytest.mark.parametrize("line, key", [
    ("[rank3]: RuntimeError: boom", "RuntimeError: boom"),
    ("[rank0]:   File \"x.py\", line 3", "File \"x.py\", line 3"),
    ("(VllmWorker rank=0 pid=12) ERROR 12-01 10:00:00 [core.py:123] ValueError: x", "ValueError: x"),
    ("svc   | 2025-11-19 11:14:59.028 | ERROR    | __main__:parse:95 | Dispatch failed", "Dispatch failed"),
    ("【BUG】：RuntimeError: NPU out of memory.", "RuntimeError: NPU out of memory."),
    ("#12 41.07 CMake Error at CMakeLists.txt:3 (find_package):", "CMake Error at CMakeLists.txt:3 (find_package):"),
    ("#12 ERROR: process \"/bin/sh -c make\" did not complete", "#12 ERROR: process \"/bin/sh -c make\" did not complete"),
    ("Error:RuntimeError: NPU out of memory.", "RuntimeError: NPU out of memory."),
    ("   OSError: libx.so: undefined symbol: y", "OSError: libx.so: undefined symbol: y"),
    ("EI0006: [PID: 1234] 2025-04-08-18:07:20.444.436 Getting socket times out.", "EI0006: Getting socket times out."),
    ("EE9999[PID: 818] 2026-08-13-15:31:21.888.208 (EE9999):  The error from device", "EE9999: The error from device"),
    ("[INFO] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [a.py:1] ok", "[INFO] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [a.py:1] ok"),
])
def test_wrappings_are_removed(line, key):
    assert key_text(line) == key


def _unknown_root(tmp_path: Path, text: str, name: str = "job.log"):
    log = tmp_path / name
    log.write_text(text, encoding="utf-8")
    report = analyse([str(log)], "en")
    return report.root_cause, report


STEP = "2025-08-20 10:00:00,000 - mindformers[callback.py:350] - INFO - { step:[1/10], loss: 2.3 }\n"


@pytest.mark.parametrize("text, line, words", [
    (STEP + "[rank3]: Traceback (most recent call last):\n[rank3]:   File \"t.py\", line 1, in <module>\n"
     "[rank3]: KeyError: 'input_ids'\n", 4, "KeyError: 'input_ids'"),
    (STEP + "(VllmWorker rank=1 pid=9) ERROR 12-01 10:00:00 [core.py:123] Worker crashed, engine dead\n", 2, "engine dead"),
    (STEP + "svc | 2025-11-19 11:14:59.028 | ERROR | m:f:1 | Dispatch to http://x/infer gave 500\n", 2, "gave 500"),
    (STEP + "RuntimeError : shapes (2, 3) and (4, 5) differ\n", 2, "shapes (2, 3)"),
    # C++'s terminate handler: the exception's message is on its what() line, said with the exception's type
    (STEP + "terminate called after throwing an instance of 'c10::Error'\n  what():  bad op\n", 3, "c10::Error: bad op"),
    (STEP + "[WARNING] ME(1:2,MainProcess):2025-08-20-10:00:01.000.000 [a.py:1] caught ValueError: bad rank table\n", 2,
     "ValueError: bad rank table"),
    (STEP + "模型权重加载失败，请检查路径\n", 2, "加载失败"),
    (STEP + "[W compiler_depend.ts:1] Watchdog caught a device fault on rank 2, aborting\n", 2, "Watchdog"),
    (STEP + "ACL stream synchronize failed, NPU is busy\n", 2, "NPU is busy"),
    (STEP + "the tensor can not be laid out by this sharding plan!\n", 2, "laid out by"),
])
def test_an_unknown_error_s_line_is_the_root_cause_in_every_format(tmp_path, text, line, words):
    root, report = _unknown_root(tmp_path, text)
    assert root is not None, text
    assert root.rule == "diagnose.unknown_error" and root.line == line, (root, text)
    assert words in root.title and words in report.findings[0].title


def test_an_exception_comes_before_the_trailer_lines_around_it(tmp_path):
    text = (STEP + "[ERROR] 2025-08-20-10:00:01 (PID:1, Device:0, RankID:0) ERR99999 UNKNOWN application exception\n"
            "Traceback (most recent call last):\n  File \"train.py\", line 9, in <module>\n"
            "    raise ValueError(\"the tokenizer failed\")\nValueError: seq_length 4096 exceeds max_position 2048\n"
            "[ERROR] 2025-08-20-10:00:02 (PID:1, Device:0, RankID:0) ERR00100 PTA call acl api failed\n")
    root, _ = _unknown_root(tmp_path, text)
    assert root.line == 6 and "seq_length 4096" in root.title


def test_a_timeout_word_inside_an_api_name_is_not_a_consequence(tmp_path):
    root, _ = _unknown_root(tmp_path, STEP + "RuntimeError: copy_d2d: NPU function error: "
                                             "AclrtSynchronizeStreamWithTimeout(copy_stream), error code is 507001\n")
    assert root is not None and "507001" in root.title


def test_the_failing_rank_comes_before_ranks_that_only_time_out(tmp_path):
    folder = tmp_path / "msrun_log"
    folder.mkdir()
    timeout = ("[ERROR] HCCL(1,python):2025-08-20-10:00:01.000.000 [task.cc:1] [TaskExecStage][Timeout][Host]"
               "Task run failed\n")
    (folder / "worker_0.log").write_text(STEP + timeout, encoding="utf-8")
    (folder / "worker_3.log").write_text(
        STEP + "[ERROR] ME(3:4,MainProcess):2025-08-20-10:00:05.000.000 [a.py:1] the dataset column is empty\n",
        encoding="utf-8")
    report = analyse([str(folder)], "en")
    assert report.root_cause is not None and report.root_cause.rank == 3, report.root_cause
    assert any(group.ranks == [0] for group in report.consequences)


def test_no_error_found_only_when_no_line_looks_like_one(tmp_path):
    root, report = _unknown_root(tmp_path, STEP * 3 + "[INFO] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 "
                                 "[a.py:1] retry failed once, trying the next address\n"
                                 "[WARNING] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [b.py:1] Failed to "
                                 "connect to the tcp server 127.0.0.1:8118, retry(3/60)\n")
    assert root is None and not report.findings


def test_a_rule_matches_the_cann_8_layout_and_a_rank_prefix(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        "rules:\n  - id: kb.parallel.ranktable_ip\n    stage: parallel\n"
        "    patterns: [{regex: '^EJ0004: The rank table IP'}]\n"
        "    title: {zh: t, en: the rank table names an IP this node lacks}\n    cause: {zh: c, en: c}\n"
        "    fix: {zh: f, en: f}\n    source: test\n", encoding="utf-8")
    log = tmp_path / "plog.log"
    log.write_text(STEP + "[rank1]: EJ0004: [PID: 77] 2025-04-08-18:07:20.444.436 The rank table IP 10.0.0.9 is "
                          "not on this node\n", encoding="utf-8")
    report = diagnose_paths([str(log)], kb=load_kb_from(folder))
    assert report.root_cause.rule == "kb.parallel.ranktable_ip" and report.root_cause.line == 2
    assert report.findings[0].text.startswith("[rank1]: EJ0004: [PID: 77]")  # shown as written


def test_text_shows_the_whole_key_line_wrapped_to_the_terminal_width(tmp_path):
    from support import run_cli

    log = tmp_path / "convert.log"
    tail = "see the converter's --output_path flag and the README section on weights for the expected layout"
    log.write_text(STEP + "IsADirectoryError: For 'save_checkpoint', the parameter `ckpt_file_name`: /work/model_new "
                          f"is a directory, it must be a file name. {tail}\n", encoding="utf-8")
    wide = run_cli("diagnose", log.name, "--lang", "en", env={"COLUMNS": "250"}, cwd=str(tmp_path))
    quoted = [line for line in wide.stdout.splitlines() if line.lstrip().startswith("> ")]
    assert quoted and quoted[0].endswith(tail), wide.stdout  # the whole line, on one line of a wide terminal
    narrow = run_cli("diagnose", log.name, "--lang", "en", env={"COLUMNS": "70"}, cwd=str(tmp_path))
    assert tail.split()[-1] in narrow.stdout
    prose = [line for line in narrow.stdout.splitlines()
             if not line.lstrip().startswith(("fix: ", "$ "))]  # fixes and commands stay whole, to copy
    assert prose and max(len(line) for line in prose) <= 69, narrow.stdout
    assert len(narrow.stdout.splitlines()) > len(wide.stdout.splitlines())


def test_an_unknown_root_cause_is_said_as_unsure_with_its_rank(tmp_path):
    from support import run_cli

    folder = tmp_path / "msrun_log"
    folder.mkdir()
    (folder / "worker_2.log").write_text(STEP + "[rank2]: AssertionError: the expert count 7 is not a power of 2\n",
                                         encoding="utf-8")
    done = run_cli("diagnose", str(folder), "--lang", "en", env={"COLUMNS": "200"})
    first = done.stdout.splitlines()[0]
    assert first.startswith("▶ likely root cause (rank 2; unsure") and "expert count 7" in first, done.stdout


def test_the_exception_raised_for_a_known_timeout_is_not_a_failure_of_its_own(tmp_path):
    root, report = _unknown_root(tmp_path, STEP + "[rank1]: RuntimeError: InnerRunOpApi: HcclAllreduce, error code is 6\n"
                                 "[rank1]: EI0006: [PID: 12] 2025-04-08-18:07:20.444.436 Getting socket times out. "
                                 "Reason: Remote Rank did not send the data in time\n")
    assert root is None and report.consequences, root


def test_a_known_error_in_a_merged_log_names_the_rank_its_prefix_gives(tmp_path):
    log = tmp_path / "torchrun.log"
    log.write_text(STEP + "[rank6]: IsADirectoryError: For 'save_checkpoint', the parameter `ckpt_file_name`: "
                          "/work/out is a directory, it must be a file name\n", encoding="utf-8")
    root = diagnose_paths([str(log)]).root_cause
    assert root.rule == "kb.weights.ckpt_path_is_directory" and root.rank == 6


def test_an_unknown_error_s_whole_line_is_kept(tmp_path):
    words = " ".join(f"clue{n}" for n in range(60))  # about 400 characters, the last words the telling ones
    root, _ = _unknown_root(tmp_path, STEP + f"RuntimeError: {words} root-cause-at-the-end\n")
    assert root.title.endswith("root-cause-at-the-end")


def test_a_code_as_a_field_value_of_a_plog_line_is_not_that_error(tmp_path):
    line = ("[ERROR] RUNTIME(1234,python):2025-08-20-10:11:12.345.678 [runtime.cc:100] report error "
            "module_name=EE8888 error_code=0x7\n")
    root, report = _unknown_root(tmp_path, STEP + line)
    assert not [f for f in report.findings if f.rule == "kb.launch.device_id_out_of_range"]
    assert root is not None and root.rule == "diagnose.unknown_error"


def test_a_big_log_s_unknown_error_is_found_in_its_last_part(tmp_path, monkeypatch):
    from mindpilot.launch import failure_lines

    monkeypatch.setattr(failure_lines, "FALLBACK_MAX_BYTES", 4000)
    monkeypatch.setattr(failure_lines, "FALLBACK_TAIL_BYTES", 1500)
    body = STEP * 60  # about 5.8 kB: past the (lowered) bound
    root, _ = _unknown_root(tmp_path, body + "ValueError: the dataset column 'labels' is missing\n")
    assert root is not None and root.line == 61 and "labels" in root.title
