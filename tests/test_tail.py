"""The live tail without msrun: rotation, truncation, late files, partial lines, GBK, long lines, growth."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mindpilot.launch import tail as tail_module
from mindpilot.launch.events import FileEvent, FindingEvent, HangEvent, LineEvent, MetricEvent, StatusEvent
from mindpilot.launch.failures import HangDetector
from mindpilot.launch.parse import line_timestamp, parse_metric, parse_status
from mindpilot.launch.tail import LogFollower, decode_line, follow_logs

DATA = Path(__file__).parent / "data" / "launch"
MF_LINE = ("2025-08-07 10:12:13,456 - mindformers[mindformers/core/callback/callback.py:544] - INFO - "
           "{ Epoch:[  1/  2], step:[   12/ 1000], loss: 2.345678, per_step_time: 7123ms, lr: 1e-06, "
           "overflow cond: False, loss_scale: 4096.0, global_norm: [1.234], train_throughput_per_npu: 1.2T")


def lines_of(events, rank=None):
    return [e.text for e in events if isinstance(e, LineEvent) and (rank is None or e.rank == rank)]


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def test_metric_line_of_mindformers_loss_monitor_is_parsed():
    event = parse_metric(MF_LINE, 3)
    assert event is not None
    assert (event.rank, event.step, event.total_steps, event.epoch, event.total_epochs) == (3, 12, 1000, 1, 2)
    assert event.loss == 2.345678 and event.per_step_time_ms == 7123 and event.lr == 1e-06
    assert event.overflow is False and event.loss_scale == 4096.0 and event.global_norm == 1.234


def test_metric_variants_non_sink_loss_array_lr_and_megatron():
    non_sink = parse_metric("{ Epoch:[  1/  1], step:[    2/   10], loss:[3.500000/3.250000], "
                            "per_step_time: 12ms, lr: [1.e-05], overflow cond: True, loss_scale: [1024.]", 0)
    assert non_sink.loss == 3.5 and non_sink.lr == 1e-05 and non_sink.overflow is True
    assert non_sink.loss_scale == 1024.0
    megatron = parse_metric(" iteration       10/    1000 | consumed samples: 80 | elapsed time per iteration (ms): "
                            "1234.5 | learning rate: 1.000000E-06 | global batch size: 8 | lm loss: 2.301E+00 | "
                            "loss scale: 1.0 | grad norm: 1.234 |", 7)
    assert (megatron.step, megatron.total_steps, megatron.loss) == (10, 1000, 2.301)
    assert megatron.per_step_time_ms == 1234.5 and megatron.lr == 1e-06 and megatron.global_norm == 1.234
    assert parse_metric("2025-01-01 - INFO - loading step:[ checkpoint", 0) is None
    assert parse_metric("plain line", 0) is None


def test_status_lines_of_msrun_and_scheduler():
    started = parse_status("Start worker process with rank id:3, log file:out/worker_3.log. Environment "
                           "variable [RANK_ID=3] is exported.", "msrun")
    assert (started.what, started.rank) == ("worker_started", 3)
    failed = parse_status("[ERROR] ME(1:2,MainProcess):2026-11-25-11:01:16.730.00 [_api.py:369] Worker process "
                          "9482 exit with exception. Error code: 1.", "msrun")
    assert failed.what == "worker_failed"
    assert parse_status("Cluster is successfully initialized.", "scheduler").what == "cluster_ready"
    assert parse_status("nothing to see", "msrun") is None


def test_line_timestamps_in_mindspore_and_python_formats():
    ms = line_timestamp("[ERROR] ME(1,2,python):2026-11-25-11:01:16.730.957 [x.cc:1] F] boom")
    py = line_timestamp("2026-11-25 11:01:16,731 - mindformers[a.py:1] - INFO - hi")
    assert ms is not None and py is not None and 0 < py - ms < 0.01
    assert line_timestamp("Traceback (most recent call last):") is None


def test_both_workers_and_late_files_are_followed(tmp_path):
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    (tmp_path / "worker_0.log").write_text("a0\n")
    first = follower.poll(final=True)
    assert lines_of(first, 0) == ["a0"]
    (tmp_path / "worker_1.log").write_text(MF_LINE + "\n")
    (tmp_path / "scheduler.log").write_text("sched\n")
    (tmp_path / "notes.txt").write_text("ignored\n")
    later = follower.poll(final=True)
    assert lines_of(later, 1) == [MF_LINE]
    assert [e.text for e in later if isinstance(e, LineEvent) and e.source == "scheduler"] == ["sched"]
    assert [e.step for e in later if isinstance(e, MetricEvent) and e.rank == 1] == [12]
    assert not any("notes" in e.file for e in later if isinstance(e, LineEvent))


def test_partial_line_is_held_until_its_newline(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_bytes(b"whole\npart")
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    assert lines_of(follower.poll()) == ["whole"]
    append(log, b"ial line\n")
    assert lines_of(follower.poll()) == ["partial line"]
    append(log, b"tail without newline")
    assert lines_of(follower.poll()) == []
    assert lines_of(follower.poll(final=True)) == ["tail without newline"]


def test_truncation_restarts_from_the_top(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_text("one\ntwo\nthree\n")
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    assert lines_of(follower.poll()) == ["one", "two", "three"]
    log.write_text("new\n")  # truncate and write less than before
    events = follower.poll()
    assert any(isinstance(e, FileEvent) and e.what == "truncated" for e in events)
    assert lines_of(events) == ["new"]


def test_rotation_drains_the_old_file_then_follows_the_new_one(tmp_path):
    log = tmp_path / "worker_2.log"
    log.write_text("before\n")
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    assert lines_of(follower.poll()) == ["before"]
    append(log, b"last words of the old file\n")
    os.rename(log, tmp_path / "worker_2.log.1")
    log.write_text("first of the new file\n")
    events = follower.poll()
    assert lines_of(events, 2) == ["last words of the old file", "first of the new file"]
    assert any(isinstance(e, FileEvent) and e.what == "rotated" for e in events)


def test_gbk_and_invalid_bytes_are_decoded_without_error(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_bytes("训练开始\n".encode("gbk") + "正常的UTF-8\n".encode() + b"\xff\xfe\xfa broken\n")
    events = LogFollower(tmp_path, hang_after=None, kb=False).poll(final=True)
    texts = lines_of(events)
    assert texts[0] == "训练开始" and texts[1] == "正常的UTF-8"
    assert texts[2].endswith("broken")
    assert decode_line("错误".encode("gbk")) == "错误"


def test_very_long_lines_are_cut_and_the_next_line_survives(tmp_path, monkeypatch):
    monkeypatch.setattr(tail_module, "MAX_LINE", 1000)
    log = tmp_path / "worker_0.log"
    log.write_bytes(b"x" * 5000)
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    first = lines_of(follower.poll())
    assert len(first) == 1 and first[0].startswith("x" * 1000) and len(first[0]) < 1010
    append(log, b"y" * 3000 + b"\nnext line\n")
    assert lines_of(follower.poll()) == ["next line"]


def test_crlf_line_ends_are_stripped(tmp_path):
    (tmp_path / "worker_0.log").write_bytes(b"windows line\r\n")
    assert lines_of(LogFollower(tmp_path, hang_after=None, kb=False).poll()) == ["windows line"]


def test_first_failure_is_rank_1_and_timeouts_are_consequences():
    follower = LogFollower(DATA / "rank1_failure", [DATA / "rank1_failure" / "msrun.log"], hang_after=None,
                           kb=False)
    events = follower.poll(final=True)
    findings = [e for e in events if isinstance(e, FindingEvent)]
    causes = [e for e in findings if not e.consequence]
    assert [e.rank for e in causes] == [1]
    assert "failed on purpose" in causes[0].finding.title and causes[0].first_failure
    assert causes[0].finding.line == 27 and causes[0].finding.file.endswith("worker_1.log")
    assert all(e.consequence for e in findings if e.source == "scheduler")
    first = follower.failures.first_failure()
    assert first.rank == 1 and first.text.startswith("RuntimeError: mindpilot demo")
    assert any(isinstance(e, StatusEvent) and e.what == "worker_failed" for e in events)
    metrics = [e for e in events if isinstance(e, MetricEvent)]
    assert {e.rank for e in metrics} == {0, 1} and max(e.step for e in metrics) == 4


def test_first_failure_uses_log_time_not_read_order(tmp_path):
    (tmp_path / "worker_0.log").write_text("2026-01-01 10:00:09,000 - mindformers[a.py:1] - INFO - x\n"
                                           "RuntimeError: later error on rank 0\n")
    (tmp_path / "worker_1.log").write_text("2026-01-01 10:00:05,000 - mindformers[a.py:1] - INFO - x\n"
                                           "ValueError: earlier error on rank 1\n")
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    follower.poll(final=True)
    assert follower.failures.first_failure().rank == 1


def test_hang_names_the_rank_that_went_silent_first():
    now = [0.0]
    detector = HangDetector(60, clock=lambda: now[0])
    for rank in (0, 1, 2):
        detector.seen(rank)
    now[0] = 10
    detector.progress(0, 5)
    detector.progress(2, 5)
    now[0] = 20
    detector.progress(0, 6)
    detector.progress(1, 6)
    now[0] = 50
    assert detector.check() is None
    now[0] = 81
    hang = detector.check()
    assert isinstance(hang, HangEvent) and hang.silent_ranks == [2, 0, 1] and hang.last_step == 6
    assert detector.check() is None  # reported once
    detector.progress(2, 7)
    now[0] = 200
    assert detector.check().silent_ranks[0] == 0


def test_follow_logs_reads_a_file_that_grows_while_followed(tmp_path):
    log = tmp_path / "worker_0.log"
    log.write_text("")
    total = 60_000
    done = threading.Event()

    def writer():
        with open(log, "a") as handle:
            for i in range(total):
                handle.write(f"line {i} " + "z" * 40 + "\n")
                if i % 5000 == 0:
                    handle.flush()
                    time.sleep(0.01)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    count, last = 0, None
    for event in follow_logs(tmp_path, stop=done.is_set, hang_after=None, kb=False, poll_interval=0.01):
        if isinstance(event, LineEvent):
            count += 1
            last = event.text
    thread.join()
    assert count == total and last.startswith(f"line {total - 1} ")


def test_a_backlog_larger_than_one_poll_is_drained_once_and_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(tail_module, "MAX_READ_PER_POLL", 1000)
    monkeypatch.setattr(tail_module, "READ_CHUNK", 300)
    expected = [f"line number {i} " + "w" * (i % 37) for i in range(2000)]
    (tmp_path / "worker_0.log").write_text("\n".join(expected))  # the last line has no newline
    follower = LogFollower(tmp_path, hang_after=None, kb=False)
    first = lines_of(follower.poll())
    assert follower.behind and len(first) < 100
    assert first + lines_of(follower.drain()) == expected


def test_knowledge_base_hits_name_the_oom_rank_first_and_hccl_timeouts_as_consequences(tmp_path):
    pytest.importorskip("mindpilot.validators.kb")
    oom = ("[ERROR] DEVICE(22,python):2026-01-01-10:00:05.000.000 [ascend_memory_adapter.cc:120] Malloc] "
           "Out of Memory!!! Request memory size: 123456B, Memory Statistic:")
    timeout = ("[ERROR] HCCL(11,python):2026-01-01-10:00:40.000.000 EI0002: The wait execution of the Notify "
               "register times out. Reason: The Notify register has not received the Notify record from remote rank [3].")
    (tmp_path / "worker_0.log").write_text(MF_LINE + "\n" + timeout + "\n")
    (tmp_path / "worker_3.log").write_text(MF_LINE + "\n" + oom + "\n")
    follower = LogFollower(tmp_path, hang_after=None, kb=True)
    findings = [e for e in follower.drain() if isinstance(e, FindingEvent)]
    by_rank = {e.rank: e for e in findings}
    assert by_rank[3].finding.rule == "kb.runtime.device_oom" and not by_rank[3].consequence
    assert by_rank[0].finding.rule == "kb.launch.hccl_exec_timeout" and by_rank[0].consequence
    first = follower.failures.first_failure()
    assert first.rank == 3 and first.rule == "kb.runtime.device_oom"


def test_words_of_failure_in_a_healthy_job_s_prints_are_no_alarm_in_the_live_view():
    from mindpilot.launch.failures import FailureTracker

    live = FailureTracker(lang="en", use_kb=False)
    assert live.feed("optional module apex not found, using the native kernels", 0, "worker", "w.log", None, 3) == []
    after = FailureTracker(lang="en", use_kb=False, weakest=1)
    events = after.feed("optional module apex not found, using the native kernels", 0, "worker", "w.log", None, 3)
    assert [event.finding.rule for event in events] == ["tail.worker_error"]
