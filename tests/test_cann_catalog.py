"""CANN's own error catalogue: learned from an install or a file, or read from the installed toolkit, it
explains every code in a log in CANN's words with the file it came from; bad catalogues are one line, exit 2.

The fixture ``tests/data/cann/latest`` is a toolkit tree in the documented layout (``<arch>-linux/
ascend_toolkit_install.info`` and ``conf/error_manager/*.json`` in the format of CANN's metadef/hccl
``error_code.json``), with texts written for the test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mindpilot.exit_codes import ExitCode
from mindpilot.validators.kb import KnowledgeBase, diagnose_paths, load_kb_from
from mindpilot.validators.kb.cann_catalog import CatalogError, code_rules, parse_catalog, read_install
from support import run_cli

TOOLKIT = Path(__file__).parent / "data" / "cann" / "latest"
PLOG = ("[ERROR] HCCL(31245,python):2025-08-20-10:11:12.345.678 [hccl_socket_manager.cc:52] [31245]"
        "EI0006: [PID: 31245] 2025-08-20-10:11:12.345.678 Socket set-up did not finish in time. Reason: rank 3\n")


def _log(tmp_path: Path, text: str) -> Path:
    log = tmp_path / "plog.log"
    log.write_text("step 1 loss 2.3\n" + text, encoding="utf-8")
    return log


def test_learn_from_an_install_then_diagnose_explains_the_code_in_cann_s_words(tmp_path):
    env = {"MINDPILOT_DATA_DIR": str(tmp_path / "data"), "ASCEND_HOME_PATH": str(tmp_path / "no-cann")}
    done = run_cli("knowledge", "learn", "cann", str(TOOLKIT), "--json", env=env)
    assert done.returncode == ExitCode.OK, done.stderr
    summary = json.loads(done.stdout)
    assert summary["codes"] == 6 and summary["version"] == "8.0.RC3"
    listed = json.loads(run_cli("knowledge", "--json", env=env).stdout)["cann_errors"]
    assert listed["codes"] == 6 and listed["version"] == "8.0.RC3" and listed["from"] == str(TOOLKIT.resolve())
    assert "6 codes of CANN 8.0.RC3" in run_cli("knowledge", "--lang", "en", env=env).stdout
    log = _log(tmp_path, "  EL0004: Device memory could not be allocated: 2 GB\n")
    done = run_cli("diagnose", str(log), "--json", "--lang", "en", env=env)
    report = json.loads(done.stdout)
    assert report["root_cause"]["rule"] == "kb.runtime.cann_el0004" and report["root_cause"]["line"] == 2
    first = report["findings"][0]
    assert first["title"] == "EL0004: Device memory could not be allocated: …"
    assert first["detail"] == "Another process holds the card, or the model does not fit."
    assert first["fix"].startswith("Free the card")
    assert first["source"].startswith("CANN 8.0.RC3 error catalogue ") and first["source"].endswith("error_code.json")


def test_the_installed_toolkit_explains_codes_without_learning(tmp_path, monkeypatch):
    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    monkeypatch.setenv("MINDPILOT_DATA_DIR", str(tmp_path / "empty"))
    report = diagnose_paths([str(_log(tmp_path, "E10001: Value [x] for parameter [y] is not allowed.\n"))])
    assert report.root_cause.rule == "kb.graph.cann_e10001"
    assert report.findings[0].fix == "Give an allowed value."
    assert "8.0.RC3" in report.findings[0].source


def test_a_hand_rule_naming_the_cause_comes_first_and_cann_s_text_follows(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        "rules:\n  - id: kb.runtime.card_taken\n    stage: runtime\n"
        "    patterns: [{regex: 'could not be allocated', before: {regex: 'npu-smi: 1 process', lines: 5}}]\n"
        "    title: {zh: 卡被占用, en: another process holds the card}\n    cause: {zh: c, en: c}\n"
        "    fix: {zh: f, en: f}\n    source: test\n", encoding="utf-8")
    hand = load_kb_from(folder)
    catalog = {entry.code: entry for entry in read_install(TOOLKIT)}
    kb = KnowledgeBase(hand.rules, hand.stages, coded=code_rules(catalog, hand.rules.values()))
    log = _log(tmp_path, "npu-smi: 1 process on card 0\nEL0004: Device memory could not be allocated: 2 GB\n")
    rules = [finding.rule for finding in diagnose_paths([str(log)], kb=kb).findings]
    assert rules == ["kb.runtime.card_taken", "kb.runtime.cann_el0004"]
    alone = _log(tmp_path, "EL0004: Device memory could not be allocated: 2 GB\n")
    assert diagnose_paths([str(alone)], kb=kb).root_cause.rule == "kb.runtime.cann_el0004"


def test_a_code_a_hand_rule_calls_a_consequence_stays_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    report = diagnose_paths([str(_log(tmp_path, "EI0002: A notify wait timed out: stream 5\n"))])
    assert report.root_cause is None
    assert any(group.rule == "kb.parallel.cann_ei0002" for group in report.consequences)


def test_a_field_value_that_looks_like_a_code_is_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    log = _log(tmp_path, "[INFO] RUNTIME(1,python):2025-08-20-10:11:12.345.678 [log.cc:1] module_name=EE8888 ok\n")
    assert not [f for f in diagnose_paths([str(log)]).findings if f.rule.endswith("cann_ee8888")]


def test_a_warning_code_is_a_warning_and_na_texts_become_our_words(tmp_path, monkeypatch):
    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    report = diagnose_paths([str(_log(tmp_path, "W11001: Option [--x] is deprecated.\nEI0002: wait\n"))])
    warning = next(f for f in report.findings if f.rule == "kb.graph.cann_w11001")
    assert warning.severity.value == "warning"
    entries = {e.code: e for e in read_install(TOOLKIT)}
    assert entries["EI0002"].cause == "" and entries["EI0002"].solution == ""


@pytest.mark.parametrize("content, words", [
    (b"{not json", "not JSON"),
    (b"[" * 200000 + b"]" * 200000, "nested too deep"),
    (b'{"errors": []}', "error_info_list"),
    (b'{"error_info_list": [{"ErrCode": "bad"}]}', "no error codes"),
], ids=["not-json", "deep", "no-list", "no-codes"])
def test_a_bad_catalogue_is_one_line_and_exit_2(tmp_path, content, words):
    bad = tmp_path / "conf" / "error_manager" / "error_code.json"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content)
    for target in (bad, tmp_path):
        done = run_cli("knowledge", "learn", "cann", str(target), env={"MINDPILOT_DATA_DIR": str(tmp_path / "d")})
        assert done.returncode == ExitCode.USAGE, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert words in done.stderr or (target == bad and words == "no error codes"), done.stderr
    assert not (tmp_path / "d" / "cann").exists()


def test_paths_that_hold_no_catalogue_are_refused(tmp_path):
    fifo = tmp_path / "error_code.json"
    os.mkfifo(fifo)
    for target, words in ((fifo, "not a regular file"), (tmp_path / "nowhere", "no such file"),
                          (Path(__file__).parent, "no conf/error_manager")):
        done = run_cli("knowledge", "learn", "cann", str(target), env={"MINDPILOT_DATA_DIR": str(tmp_path / "d")},
                       timeout=30)
        assert done.returncode == ExitCode.USAGE and words in done.stderr, done.stderr
    done = run_cli("knowledge", "learn", "cann")
    assert done.returncode == ExitCode.USAGE and "give PATH" in done.stderr


def test_size_and_text_bounds(monkeypatch):
    from mindpilot.validators.kb import cann_catalog

    monkeypatch.setattr(cann_catalog, "MAX_FILE_BYTES", 100)
    with pytest.raises(CatalogError, match="bytes"):
        parse_catalog(b" " * 101, "big.json")
    monkeypatch.undo()
    long = {"error_info_list": [{"ErrCode": "EE1234", "ErrMessage": "x\x1b]0;t\x07" + "y" * 5000}]}
    entry = parse_catalog(json.dumps(long).encode(), "f.json")[0]
    assert len(entry.message) == cann_catalog.MAX_TEXT and "\x1b" not in entry.message


def test_the_live_view_explains_a_code_as_diagnose_does(monkeypatch):
    from mindpilot.launch.failures import FailureTracker

    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    events = FailureTracker(lang="en").feed("[rank3]: EL0004: Device memory could not be allocated: 2 GB", None,
                                            "worker", "w.log", None, 7)
    assert [(event.finding.rule, event.rank) for event in events] == [("kb.runtime.cann_el0004", 3)]


def test_the_exception_just_above_a_catch_all_code_is_the_root_cause(tmp_path, monkeypatch):
    from mindpilot.launch.router import analyse

    monkeypatch.setenv("ASCEND_HOME_PATH", str(TOOLKIT))
    log = tmp_path / "job.log"
    log.write_text("step 1\nTraceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n"
                   "RuntimeError: tokenizer.json not found under /work/model\nE10001: Value [x] for parameter [y] is not allowed.\n",
                   encoding="utf-8")
    report = analyse([str(log)], "en")
    assert report.root_cause.rule == "diagnose.unknown_error" and report.root_cause.line == 4
    assert [f.rule for f in report.findings][:2] == ["diagnose.unknown_error", "kb.graph.cann_e10001"]
    alone = tmp_path / "alone.log"
    alone.write_text("step 1\nE10001: Value [x] for parameter [y] is not allowed.\n", encoding="utf-8")
    assert analyse([str(alone)], "en").root_cause.rule == "kb.graph.cann_e10001"


def test_a_fifo_as_a_catalogue_is_refused_without_blocking(tmp_path, monkeypatch):
    """Checked on the open descriptor: a FIFO named like a catalogue, or swapped in after a check by path
    (simulated: every such check says "a regular file"), never blocks."""
    import signal

    from mindpilot.validators.kb.cann_catalog import read_catalog_file

    fifo = tmp_path / "error_code.json"
    os.mkfifo(fifo)
    monkeypatch.setattr(Path, "is_file", lambda self: True)  # the swap comes right after any check by path
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("reading a FIFO blocked"))
    signal.alarm(10)
    try:
        with pytest.raises(CatalogError, match="not a regular file"):
            read_catalog_file(fifo)
        with pytest.raises(CatalogError):
            read_catalog_file(tmp_path)  # a folder: "Is a directory"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
