"""The unknown-error pass reads a region line by line while lines holding a word of failure are few, and by
line shape once they are many (a log of benign start-up WARNINGs): both ways give the same candidate lines,
once per shape, with a rank prefix kept apart and the time stamp of the line at or before each."""

from __future__ import annotations

import pytest

from mindpilot.launch import failure_lines

LOG = "\n".join([
    "2025-08-20 10:00:01,000 - mindformers - INFO - step 1 loss 2.3",
    "[WARNING] DISTRIBUTED(31241,f,python):2025-08-20-10:00:02.345.678 [tcp_comm.cc:75] Failed to connect, retry(1/60)",
    "[WARNING] DISTRIBUTED(31242,f,python):2025-08-20-10:00:03.345.678 [tcp_comm.cc:75] Failed to connect, retry(2/60)",
    "[rank0]: RuntimeError: the expert count 7 is not a power of 2",
    "[rank1]: RuntimeError: the expert count 7 is not a power of 2",
    "[rank1]: RuntimeError: the expert count 8 is not a power of 2",
    "  File \"train.py\", line 3, in <module>",
    "F1212 10:00:00.123456 77 core_worker.cc:120] the actor died",
    "F2212 10:00:00.123456 77 core_worker.cc:120] the actor died",
    "worker 3 exited: exitcode: -9\r",
    "worker 4 exited: exitcode: -9\r",
    "tail line without a newline: cannot open the file",
])


def _finders():
    return failure_lines.failure_finders()


@pytest.mark.parametrize("switch_after", [0, 1, 3])
@pytest.mark.parametrize("block", [1 << 20, 1, 90])
def test_reading_by_shape_gives_what_reading_line_by_line_gives(monkeypatch, switch_after, block):
    finder, masked = _finders()
    data = LOG.encode()
    whole = list(failure_lines.candidate_lines((data, 7), finder, masked))
    monkeypatch.setattr(failure_lines, "LINE_BY_LINE", switch_after)
    monkeypatch.setattr(failure_lines, "BY_SHAPE_BLOCK", block)  # blocks of one line, of a few, of all
    assert list(failure_lines.candidate_lines((data, 7), finder, masked)) == whole


def test_each_shape_once_with_its_rank_and_its_time():
    finder, masked = _finders()
    found = list(failure_lines.candidate_lines((LOG.encode(), 1), finder, masked))
    numbers = [number for number, _, _ in found]
    # One retry line per shape, rank 0 and rank 1 apart (rank 1's second line has rank 1's shape), one F line
    # per shape (F2212 holds no literal: only its shape did), one exit line, the last line without a newline.
    assert numbers == [2, 4, 5, 8, 10, 12], found
    assert found[1][2].startswith("[rank0]") and found[0][2].startswith("[WARNING]")
    assert found[4][1] == "worker 3 exited: exitcode: -9"


def test_a_benign_log_past_the_line_by_line_budget_is_read_by_shape(monkeypatch):
    finder, masked = _finders()
    lines = [f"[WARNING] DISTRIBUTED({pid},f,python):2025-08-20-10:00:0{pid % 10}.1 Failed to connect, retry({pid}/60)"
             for pid in range(3000)] + ["ValueError: the real error"]
    started = []
    by_shape = failure_lines._by_shape

    def recorded(data, start, end, first, *rest):
        started.append(first)
        return by_shape(data, start, end, first, *rest)

    monkeypatch.setattr(failure_lines, "_by_shape", recorded)
    found = list(failure_lines.candidate_lines(("\n".join(lines).encode(), 1), finder, masked))
    # One line per shape (the process id's digit count makes the shape), then the error.
    assert [number for number, _, _ in found] == [1, 11, 101, 1001, 3001], found
    assert started == [failure_lines.LINE_BY_LINE + 1]


def test_a_region_of_many_short_failing_lines_is_read_in_bounded_blocks(monkeypatch):
    finder, masked = _finders()
    blocks = []
    by_shape = failure_lines._by_shape

    def recorded(data, start, end, *rest):
        blocks.append(end - start)
        return by_shape(data, start, end, *rest)

    monkeypatch.setattr(failure_lines, "_by_shape", recorded)
    data = b"fail\n" * 600_000 + b"ValueError: the real error\n"  # 3 MB of five-byte lines
    found = list(failure_lines.candidate_lines((data, 1), finder, masked))
    assert [number for number, _, _ in found] == [1, 600_001]
    assert len(blocks) >= 3 and max(blocks) <= failure_lines.BY_SHAPE_BLOCK + 5


def test_the_steps_after_a_scan_read_a_logs_region_once_and_again_once_it_changed(tmp_path, monkeypatch):
    from types import SimpleNamespace

    log = tmp_path / "worker_0.log"
    log.write_bytes(b"step 1\nRuntimeError: boom\n")
    scanned = SimpleNamespace(kind="log", file=str(log), bytes=24, lines=2, error=None, truncated=False)
    reads = []
    real = failure_lines._read_region
    monkeypatch.setattr(failure_lines, "_read_region", lambda path, s: reads.append(path) or real(path, s))
    with failure_lines.regions_kept():
        first = failure_lines.read_region(scanned, None)
        assert failure_lines.read_region(scanned, None) is first and len(reads) == 1
        log.write_bytes(b"step 1\nRuntimeError: boom\nstep 2\n")  # the log grew: read again
        assert failure_lines.read_region(scanned, None)[0].endswith(b"step 2\n") and len(reads) == 2
    assert first == (b"step 1\nRuntimeError: boom\n", 1)
    failure_lines.read_region(scanned, None)
    failure_lines.read_region(scanned, None)
    assert len(reads) == 4  # outside, nothing is kept
