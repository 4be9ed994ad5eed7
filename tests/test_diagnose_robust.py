"""Logs as they really are: bad bytes, colours, CRLF, giant lines, truncation, files that vanish."""

from __future__ import annotations

import io
import os

from mindpilot.validators.kb import diagnose_paths, load_kb
from mindpilot.validators.kb.matcher import Matcher, use_pure_python
from mindpilot.validators.kb.scan import Scanner

OOM = b"[ERROR] DEVICE(1,ffff,python):2025-08-20-10:11:12.345.678 [ascend_memory_adapter.cc:210] Out of Memory!!! Request memory size: 1024B, Memory Statistic:"
FILLER = b"[INFO] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [a.py:1] step ok\n"


def _rules(path) -> dict:
    report = diagnose_paths([str(path)], "en")
    return {f.rule: f for f in report.findings}


def test_invalid_utf8_and_binary_junk(tmp_path):
    log = tmp_path / "junk.log"
    log.write_bytes(b"\xff\xfe\x00\x81garbage\x00\x00\n" + bytes(range(11, 256)) + b"\n" + OOM + b"\xc3\x28\n")
    found = _rules(log)
    assert found["kb.runtime.device_oom"].line == 3


def test_gbk_text_is_decoded(tmp_path):
    log = tmp_path / "gbk.log"
    log.write_bytes("报错：".encode("gbk") + b"IsADirectoryError: For 'save_checkpoint', the parameter `ckpt_file_name`: "
                    + "/home/模型".encode("gbk") + b" is a directory, it must be a file name.\n")
    finding = _rules(log)["kb.weights.ckpt_path_is_directory"]
    assert "报错" in finding.text and "模型" in finding.text


def test_crlf_and_ansi_colours(tmp_path):
    log = tmp_path / "colour.log"
    log.write_bytes(FILLER.replace(b"\n", b"\r\n") + b"\x1b[31m" + OOM + b"\x1b[0m\r\n"
                    + b"\x1b[1;31mDistributed job exited\x1b[0m with exception. Please check logs\r\n")
    found = _rules(log)
    assert found["kb.runtime.device_oom"].line == 2
    assert "\x1b" not in found["kb.runtime.device_oom"].text and "\r" not in found["kb.runtime.device_oom"].text
    assert found["kb.launch.job_exited"].line == 3


def test_megabyte_lines_keep_line_numbers(tmp_path):
    log = tmp_path / "long.log"
    giant = b"x" * (3 << 20)
    log.write_bytes(FILLER + giant + b"\n" + giant + OOM + giant + b"\n" + OOM + b"\n")
    kb = load_kb()
    scanner = Scanner(kb.matcher(), chunk=1 << 20)
    with open(log, "rb") as stream:
        hits = [(hit.hit.rule, hit.line) for hit in scanner.scan(stream)]
    assert hits == [("kb.runtime.device_oom", 3), ("kb.runtime.device_oom", 4)]
    assert len(_rules(log)["kb.runtime.device_oom"].text) < 1000


def test_truncated_mid_line(tmp_path):
    log = tmp_path / "cut.log"
    log.write_bytes(FILLER * 3 + OOM[:-10])
    report = diagnose_paths([str(log)], "en")
    assert report.files[0].truncated and report.files[0].lines == 4
    assert report.findings[0].rule == "kb.runtime.device_oom" and report.findings[0].line == 4


def test_literal_split_across_chunks_is_found():
    data = FILLER * 50 + OOM + b"\n" + FILLER * 50
    kb = load_kb()
    for chunk in (7, 64, 100, 4096):
        scanner = Scanner(kb.matcher(), chunk=chunk)
        hits = [(hit.hit.rule, hit.line) for hit in scanner.scan(io.BytesIO(data))]
        assert hits == [("kb.runtime.device_oom", 51)], chunk


def test_context_before_found_across_chunks():
    data = (b"Traceback (most recent call last):\n  File \"/root/MindSpeed-LLM/convert_ckpt.py\", line 97\n"
            + FILLER * 20 + b"AttributeError: 'NoneType' object has no attribute 'weight'\n")
    kb = load_kb()
    for chunk in (64, 1 << 20):
        hits = [hit.hit.rule for hit in Scanner(kb.matcher(), chunk=chunk).scan(io.BytesIO(data))]
        assert hits == ["kb.weights.model_type_hf_qwen"], chunk
    plain = FILLER * 20 + b"AttributeError: 'NoneType' object has no attribute 'weight'\n"
    assert list(Scanner(kb.matcher()).scan(io.BytesIO(plain))) == []


def test_repeats_are_counted_not_listed(tmp_path):
    log = tmp_path / "worker_2.log"
    line = b"[ERROR] HCCL(1,python):2025-08-20-10:41:12.000.000 [x.cc:1][TaskExecStage][Timeout][Host]Task run failed\n"
    log.write_bytes(line * 10000)
    report = diagnose_paths([str(log)], "en")
    assert len(report.findings) == 1
    assert report.findings[0].count == 10000 and report.findings[0].line == 1 and report.findings[0].last_line == 10000
    assert report.findings[0].rank == 2


class _Vanishing(io.RawIOBase):
    """A stream whose file disappears (EIO / ESTALE on network disks) after the first read."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads == 1:
            return OOM + b"\n"
        raise OSError(116, "Stale file handle")


def test_file_that_vanishes_while_read():
    from mindpilot.validators.kb.diagnose import _Run

    run = _Run(load_kb(), "en")
    run.scan_stream(_Vanishing(), "worker_1.log", "log", 1)
    report = run.report()
    assert report.findings[0].rule == "kb.runtime.device_oom"
    assert report.files[0].error and report.notes[0].rule == "diagnose.read_stopped"


def test_file_removed_before_open_is_a_note(tmp_path):
    keep = tmp_path / "a.log"
    keep.write_bytes(OOM + b"\n")
    report = diagnose_paths([str(keep), str(tmp_path / "gone.log")], "en")
    assert [n.rule for n in report.notes] == ["diagnose.file_vanished"]
    assert report.findings[0].rule == "kb.runtime.device_oom"


def test_unreadable_file_is_a_note(tmp_path):
    log = tmp_path / "secret.log"
    log.write_bytes(OOM)
    log.chmod(0)
    if os.access(log, os.R_OK):  # running as root: permissions do not apply
        return
    report = diagnose_paths([str(log)], "en")
    assert report.notes[0].rule == "diagnose.file_unreadable"


def test_pure_python_finder_agrees_with_re2(tmp_path):
    kb = load_kb()
    fixtures = sorted((os.path.join(os.path.dirname(__file__), "data", "logs", "kb", name))
                      for name in os.listdir(os.path.join(os.path.dirname(__file__), "data", "logs", "kb")))
    data = b"".join(open(path, "rb").read() for path in fixtures if path.endswith(".log"))
    fast = [(h.hit.rule, h.line) for h in Scanner(kb.matcher(), chunk=4096).scan(io.BytesIO(data))]
    pure = use_pure_python(Matcher(list(kb.rules.values())))
    slow = [(h.hit.rule, h.line) for h in Scanner(pure, chunk=4096).scan(io.BytesIO(data))]
    assert fast == [x for x in slow if x[0] in {r for r, _ in fast}] and len(fast) > 60
