"""Benchmark of the live tail while another process writes the logs.

Prints three figures (targets from issue 5):

* latency: time from a line being written (and flushed) by another process to its event, p50/p95
  (target: p95 under 100 ms);
* throughput: a writer process paced at ``--rate`` lines/s over 2 worker logs; the follower must keep
  up (lag after the writer stops) and its sustained lines/s is reported (target: 100k lines/s);
* memory: RSS of the follower while it follows a log growing to ``--size-mb`` (default 1024 MB).

Run: ``.venv/bin/python bench/tail.py`` (``--quick`` for a smaller run). The knowledge base matcher is
used as in a real launch unless ``--no-kb``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from mindpilot.launch.events import LineEvent, MetricEvent
from mindpilot.launch.tail import LogFollower, follow_logs

LINE = ("2026-11-25 10:58:45,666 - mindformers[callback.py:544] - INFO - {{ Epoch:[  1/  1], step:[{step:5d}/99999], "
        "loss: 5.636573, per_step_time: 77ms, lr: 0.01, overflow cond: False, loss_scale: 1.0, global_norm: [1.0] "
        "t={stamp:.6f}\n")
PLAIN = "[WARNING] DISTRIBUTED(9480,7fe97da24b80,python):2026-11-25-11:01:10.442.275 [compute_graph_node.cc:171] " \
        "Register] heartbeat ok {index}\n"


def latency_writer(path: str, count: int, rate: float) -> None:
    with open(path, "a", buffering=1) as handle:
        for step in range(1, count + 1):
            handle.write(LINE.format(step=step, stamp=time.time()))
            time.sleep(1.0 / rate)


def paced_writer(directory: str, seconds: float, rate: float, out) -> None:
    """Write ``rate`` lines/s over two worker logs, in 10 ms batches; report lines written."""
    handles = [open(os.path.join(directory, f"worker_{r}.log"), "a") for r in (0, 1)]
    batch = max(int(rate / 100), 1)
    written, start, index = 0, time.monotonic(), 0
    chunk = "".join(PLAIN.format(index=i) for i in range(batch // 2))
    while time.monotonic() - start < seconds:
        for handle in handles:
            handle.write(chunk)
            handle.flush()
        written += 2 * (batch // 2)
        index += 1
        ahead = start + index * 0.01 - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    for handle in handles:
        handle.close()
    out.put((written, time.monotonic() - start))


def growing_writer(path: str, size: int) -> None:
    block = "".join(PLAIN.format(index=i) for i in range(10_000)).encode()
    with open(path, "ab") as handle:
        written = 0
        while written < size:
            handle.write(block)
            handle.flush()
            written += len(block)


def bench_latency(directory: Path, kb: bool, count: int) -> None:
    """``follow_logs`` exactly as ``launch`` uses it (50 ms poll interval)."""
    path = directory / "worker_0.log"
    path.touch()
    LogFollower(directory, hang_after=None, kb=kb)  # load the knowledge base once, as a launch has by then
    writer = multiprocessing.Process(target=latency_writer, args=(str(path), count, 200.0))
    writer.start()
    delays, metrics = [], 0
    for event in follow_logs(directory, hang_after=None, kb=kb, poll_interval=0.05):
        if isinstance(event, LineEvent):
            delays.append(time.time() - float(event.text.rsplit("t=", 1)[1]))
        elif isinstance(event, MetricEvent):
            metrics += 1
        if len(delays) == count and metrics == count:
            break
    writer.join()
    delays.sort()
    p50 = statistics.median(delays) * 1000
    p95 = delays[int(len(delays) * 0.95) - 1] * 1000
    print(f"latency   : {count} loss lines at 200/s, follow_logs with 50 ms polls: p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms, max {delays[-1] * 1000:.1f} ms")


def bench_throughput(directory: Path, kb: bool, rate: float, seconds: float) -> None:
    follower = LogFollower(directory, hang_after=None, kb=kb, lines=True)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    writer = multiprocessing.Process(target=paced_writer, args=(str(directory), seconds, rate, queue))
    start = time.monotonic()
    writer.start()
    seen = 0
    result = None
    while True:
        events = follower.poll()
        seen += sum(1 for e in events if isinstance(e, LineEvent))
        if result is None and not queue.empty():
            result = queue.get()
            writer_done = time.monotonic()
        if result is not None and seen >= result[0]:
            break
        if not events:
            time.sleep(0.005)
    end = time.monotonic()
    writer.join()
    written, writer_seconds = result
    print(f"throughput: writer {written / writer_seconds:,.0f} lines/s for {writer_seconds:.1f} s; follower read "
          f"{seen:,} lines, sustained {seen / (end - start):,.0f} lines/s, lag after writer stopped "
          f"{(end - writer_done) * 1000:.0f} ms")


def bench_memory(directory: Path, kb: bool, size_mb: int) -> None:
    path = directory / "worker_0.log"
    path.touch()
    process = psutil.Process()
    follower = LogFollower(directory, hang_after=None, kb=kb, lines=True)
    writer = multiprocessing.Process(target=growing_writer, args=(str(path), size_mb << 20))
    rss_start = process.memory_info().rss
    samples = []
    start = time.monotonic()
    writer.start()
    lines = 0
    while writer.is_alive() or lines == 0 or path.stat().st_size > _offset(follower):
        events = follower.poll()
        lines += sum(1 for e in events if isinstance(e, LineEvent))
        samples.append(process.memory_info().rss)
        if not events and not writer.is_alive():
            events = follower.poll(final=True)
            lines += sum(1 for e in events if isinstance(e, LineEvent))
            if not events:
                break
    writer.join()
    elapsed = time.monotonic() - start
    mb = 1 << 20
    print(f"memory    : followed a log growing to {path.stat().st_size / mb:,.0f} MB ({lines:,} lines) in "
          f"{elapsed:.1f} s ({lines / elapsed:,.0f} lines/s); RSS start {rss_start / mb:.0f} MB, "
          f"max {max(samples) / mb:.0f} MB, end {samples[-1] / mb:.0f} MB")
    path.unlink()


def _offset(follower: LogFollower) -> int:
    for file in follower.followers.values():
        if file._handle is not None:
            return file._handle.tell()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (64 MB, 3 s)")
    parser.add_argument("--no-kb", action="store_true", help="do not match lines against the knowledge base")
    parser.add_argument("--rate", type=float, default=100_000, help="writer lines/s for the throughput run")
    parser.add_argument("--size-mb", type=int, default=None, help="size the growing log reaches (default 1024)")
    args = parser.parse_args()
    kb = not args.no_kb
    print(f"knowledge base matcher: {'on' if kb else 'off'}; cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="mindpilot-bench-") as tmp:
        root = Path(tmp)
        for name in ("latency", "throughput", "memory"):
            (root / name).mkdir()
        bench_latency(root / "latency", kb, 200 if args.quick else 1000)
        bench_throughput(root / "throughput", kb, args.rate, 3.0 if args.quick else 10.0)
        bench_memory(root / "memory", kb, args.size_mb or (64 if args.quick else 1024))


if __name__ == "__main__":
    main()
