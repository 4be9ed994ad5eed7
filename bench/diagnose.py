"""Benchmark ``mindpilot diagnose`` against ``grep -E -f`` on a ~1 GB MindSpore/MindFormers log.

Generates realistic lines (MindSpore INFO/WARNING, MindFormers loss lines, HCCL, allocator notes that
look like errors but are not) with a few real errors inside, writes every knowledge-base pattern as
an ERE file for grep, times both on the same file, prints MB/s, the ratio, and mindpilot's peak RSS.
The file lives in a temporary directory and is removed afterwards.

    .venv/bin/python bench/diagnose.py [--mb 1000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

LINES = [
    "[INFO] ME({pid}:281473054064672,MainProcess):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/parallel/_auto_parallel_context.py:{n}] set_auto_parallel_context: pipeline_stages {n}",
    "[WARNING] ME({pid}:281473054064672,MainProcess):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/common/_decorator.py:40] 'TensorAdd' is deprecated from version 1.1 and will be removed in a future version, use 'Add' instead.",
    "2025-08-20 10:{m:02d}:{s:02d},345 - mindformers[mindformers/core/callback/callback.py:350] - INFO - {{ Epoch:[  1/  2], step:[ {n:4d}/ 1000], loss: 2.{n}, per_step_time: 7123ms, lr: 1e-06, overflow cond: False, loss_scale: 4096.0, global_norm: [1.2{n}], train_throughput_per_npu: 123.4T }}",
    "2025-08-20 10:{m:02d}:{s:02d},345 - mindformers[mindformers/trainer/base_trainer.py:{n}] - INFO - .........Build Dataset For Train..........",
    "[WARNING] DEVICE({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/plugin/device/ascend/hal/device/ascend_memory_adapter.cc:107] Initialize] Reserved memory size for other components({n}) is less than recommend size, It may lead to Out Of Memory in HCCL or other components",
    "[INFO] PRE_ACT({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/backend/common/mem_reuse/mem_dynamic_allocator.cc:{n}] CalMemBlockAllocSize] Memory not enough: current free memory size[{n}] is smaller than required size",
    "[INFO] HCCL({pid},python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [hccl_comm.cc:{n}] AllReduce_127.0.0.1%eth0_60000_0_1 entry, count {n}, HCCL_EXEC_TIMEOUT 7200",
    "[INFO] GE({pid},python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [graph_builder.cc:{n}]{n} BuildGraph: graph_id {n} built, node count {n}, stream number {n}",
]
ERRORS = [
    "[ERROR] DEVICE({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [ascend_memory_adapter.cc:210] MallocDynamicDevMem] Out of Memory!!! Request memory size: 2147483648B, Memory Statistic:",
    "[ERROR] HCCL({pid},python):2025-08-20-10:{m:02d}:{s:02d}.000.000 [task_exception_handler.cc:1056][TaskExecStage][Timeout][Host]Task run failed, base information is streamID:[5], taskID[12]",
    "ImportError: cannot import name 'DEFAULT_CIPHERS' from 'urllib3.util.ssl_' (/home/ma-user/anaconda3/envs/MindSpore/lib/python3.10/site-packages/urllib3/util/ssl_.py)",
    "RuntimeError: Distributed job exited with exception. Please check logs in directory: ./output/msrun_log.",
]


def generate(path: str, megabytes: int, errors: int = 12) -> int:
    """Write the log; returns how many error lines were planted."""
    rng = random.Random(7)
    target = megabytes * 1_000_000
    block_lines = 20000
    planted = 0
    size = 0
    counter = 0
    with open(path, "w", encoding="utf-8") as out:
        while size < target:
            batch = []
            for _ in range(block_lines):
                counter += 1
                batch.append(rng.choice(LINES).format(pid=31240 + counter % 8, m=counter // 60 % 60,
                                                      s=counter % 60, n=counter % 997))
            if planted < errors and rng.random() < errors * 3.0 / max(1, target / 2_800_000):
                batch[rng.randrange(block_lines)] = ERRORS[planted % len(ERRORS)].format(pid=31243, m=11, s=12)
                planted += 1
            text = "\n".join(batch) + "\n"
            out.write(text)
            size += len(text)
    return planted


def ere_patterns(path: str) -> int:
    """Every knowledge-base regex as POSIX ERE (Python-only syntax simplified) for grep -E -f."""
    from mindpilot.validators.kb import load_kb

    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for rule in load_kb().rules.values():
            for pattern in rule.patterns:
                ere = pattern.regex.replace("(?:", "(").replace("\\d", "[0-9]").replace("\\s", "[[:space:]]") \
                    .replace("\\S", "[^[:space:]]").replace("\\w", "[[:alnum:]_]").replace("\\b", "")
                ere = re.sub(r"\(\?P<\w+>", "(", ere)
                out.write(ere + "\n")
                count += 1
    return count


def timed(argv: list) -> tuple:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1000, help="size of the generated log in MB (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="mindpilot-bench-diagnose-")
    try:
        log = os.path.join(workdir, "worker_3.log")
        t0 = time.perf_counter()
        planted = generate(log, args.mb)
        size_mb = os.path.getsize(log) / 1e6
        print(f"generated {size_mb:.0f} MB with {planted} error lines in {time.perf_counter() - t0:.1f} s: {log}")
        patterns = os.path.join(workdir, "patterns.ere")
        count = ere_patterns(patterns)
        subprocess.run(["cat", log], stdout=subprocess.DEVNULL)  # warm the page cache for both

        grep_s, grep_done = timed(["grep", "-c", "-E", "-f", patterns, log])
        if grep_done.returncode > 1:
            print(f"grep failed (exit {grep_done.returncode}): {grep_done.stderr.strip()}", file=sys.stderr)
            return 1
        probe = ("import json, resource, sys, time; from mindpilot.validators.kb import diagnose_paths; "
                 "t = time.perf_counter(); r = diagnose_paths([sys.argv[1]], 'en'); "
                 "print(json.dumps({'s': time.perf_counter() - t, 'findings': sum(f.count for f in r.findings), "
                 "'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
        mp_s, mp_done = timed([sys.executable, "-c", probe, log])
        result = json.loads(mp_done.stdout)
        cli_s, cli_done = timed([sys.executable, "-m", "mindpilot", "diagnose", log, "--json"])
        from mindpilot.validators.kb import load_kb

        print(f"patterns: {count} regexes from {len(load_kb())} rules; prefilter engine: {load_kb().matcher().engine}")
        print(f"grep -E -f      : {grep_s:6.2f} s  {size_mb / grep_s:7.0f} MB/s  matching lines {grep_done.stdout.strip()}")
        print(f"diagnose (core) : {result['s']:6.2f} s  {size_mb / result['s']:7.0f} MB/s  hits {result['findings']}")
        print(f"mindpilot diagnose CLI (process) : {cli_s:6.2f} s  {size_mb / cli_s:7.0f} MB/s  exit {cli_done.returncode}")
        print(f"ratio mindpilot/grep (CLI) : {cli_s / grep_s:.2f}x   (target <= 3x)")
        print(f"peak RSS (core run) : {result['rss_mb']:.0f} MB   (target < 200 MB)")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
