"""Benchmark ``mindpilot diagnose`` against ``grep -c -E -f`` (a fixed list of 20 patterns) on ~1 GB profiles.

* ``rare``: one worker log of realistic lines (MindSpore INFO/WARNING, MindFormers loss lines, HCCL,
  allocator notes that look like errors but are not) with a dozen real errors inside;
* ``dense``: an msrun log directory of eight worker logs in which error lines are 6% of all lines, as
  when every rank logs its failing lines again and again (HCCL timeouts, a traceback per step);
* ``benign``: msrun start-up WARNINGs that look like errors (tcp connect retries, "Topology build timed
  out, retry(n/1200)", "Failed to connect to the tcp server ... retry") and loss lines, no error;
* ``clean``: the realistic lines of ``rare`` with no error at all (target for both: 150 MB/s or more).

grep gets a fixed list of 20 patterns a user would grep for (:data:`GREP_PATTERNS`); both tools read the same
files (page cache warm). Prints MB/s, the ratio per profile (target: within 2x) in wall time and in CPU time (the
steadier one on a shared machine), and mindpilot's peak RSS. The files
live in a temporary directory and are removed afterwards. The machine may be shared: the load average is
printed, and ``--runs N`` keeps the median of N runs.

    .venv/bin/python bench/diagnose.py [--mb 1000] [--profile rare|dense|benign|clean|both|all] [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
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


BENIGN = [
    "[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/distributed/rpc/tcp/tcp_comm.cc:{n}] Connect] Failed to connect to the tcp server : 127.0.0.1:8118, retry to reconnect({r}/{n})...",
    "[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/distributed/cluster/topology/compute_graph_node.cc:{n}] Initialize] Topology build timed out., retry({r}/1200).",
    "[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/distributed/cluster/topology/compute_graph_node.cc:{n}] Register] Failed to connect to the meta server node url: 127.0.0.1:8118",
    "[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 [mindspore/ccsrc/distributed/rpc/tcp/tcp_client.cc:{n}] Connect] Failed to connect to the tcp server : 127.0.0.1:8118, retry({r}/60)",
    "2025-08-20 10:{m:02d}:{s:02d},345 - mindformers[mindformers/core/callback/callback.py:350] - INFO - {{ Epoch:[  1/  2], step:[ {n:4d}/ 1000], loss: 2.{n}, per_step_time: 7123ms, lr: 1e-06, overflow cond: False, loss_scale: 4096.0, global_norm: [1.2{n}], train_throughput_per_npu: 123.4T }}",
    "2025-08-20 10:{m:02d}:{s:02d},345 - mindformers[mindformers/core/callback/callback.py:350] - INFO - {{ Epoch:[  1/  2], step:[ {n:4d}/ 1000], loss: 1.{n}, per_step_time: 7093ms, lr: 9e-07, overflow cond: False, loss_scale: 4096.0, global_norm: [0.9{n}], train_throughput_per_npu: 124.1T }}",
]
"""msrun start-up WARNINGs that look like errors (connection retries, topology time-outs) and loss lines."""


def generate_lines(path: str, megabytes: int, pool: list, seed: int) -> int:
    """Write ``megabytes`` of lines drawn from ``pool`` (no error among them); returns the line count."""
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    size = counter = 0
    with open(path, "w", encoding="utf-8") as out:
        while size < target:
            batch = []
            for _ in range(20000):
                counter += 1
                batch.append(rng.choice(pool).format(pid=31240 + counter % 8, m=counter // 60 % 60, s=counter % 60,
                                                     n=counter % 997, r=1 + counter % 59))
            text = "\n".join(batch) + "\n"
            out.write(text)
            size += len(text)
    return counter


DENSE_ERRORS = [
    "[ERROR] HCCL({pid},python):2025-08-20-10:{m:02d}:{s:02d}.{n:03d}.000 [task_exception_handler.cc:1056][TaskExecStage][Timeout][Host]Task run failed, base information is streamID:[5], taskID[12]",
    "[ERROR] DEVICE({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.{n:03d}.678 [ascend_memory_adapter.cc:210] MallocDynamicDevMem] Out of Memory!!! Request memory size: 2147483648B, Memory Statistic:",
    "EI0002: The wait execution of the Notify register times out. Reason: The Notify register has not received the Notify record from remote rank [3]. base information: [streamID:[{n}], taskID[{s}]]",
    "RuntimeError: Distributed job exited with exception. Please check logs in directory: ./output/msrun_log.",
]
"""Failing lines that ranks repeat (timestamps differ)."""


def generate_dense(directory: str, megabytes: int, ranks: int = 8, error_share: float = 0.06) -> int:
    """Write ``worker_0.log`` ... ``worker_{ranks-1}.log`` with ``error_share`` of the lines failing ones."""
    rng = random.Random(11)
    per_rank = megabytes * 1_000_000 // ranks
    planted = 0
    for rank in range(ranks):
        size, counter = 0, 0
        with open(os.path.join(directory, f"worker_{rank}.log"), "w", encoding="utf-8") as out:
            while size < per_rank:
                batch = []
                for _ in range(20000):
                    counter += 1
                    pool = DENSE_ERRORS if rng.random() < error_share else LINES
                    planted += pool is DENSE_ERRORS
                    batch.append(rng.choice(pool).format(pid=31240 + rank, m=counter // 60 % 60, s=counter % 60,
                                                         n=counter % 997))
                text = "\n".join(batch) + "\n"
                out.write(text)
                size += len(text)
    return planted


GREP_PATTERNS = [
    r"Traceback \(most recent call last\)",
    r"[A-Za-z]+Error: ",
    r"[A-Za-z]+Exception: ",
    r"\[ERROR\]",
    r" - ERROR - ",
    r"E[IEZLHJKB][0-9]{4}",
    r"ERR[0-9]{5}",
    r"error code is [0-9]+",
    r"[Oo]ut [Oo]f [Mm]emory",
    r"Segmentation fault|core dumped",
    r"undefined symbol",
    r"cannot open shared object file",
    r"No module named",
    r"HCCL.*(timeout|timed out|failed)",
    r"Distributed job exited with exception",
    r"terminate called after throwing",
    r"NPU function error",
    r"aclnn[A-Za-z]+ failed",
    r"[Kk]illed",
    r"exit ?code[: =]+-?[1-9]",
]
"""What a user greps an Ascend training log for (issue 17 compares with ``grep -c -E -f`` and a fixed list of 20
patterns): exceptions, error levels, CANN and torch_npu codes, memory, loader, HCCL and launcher failures. Fixed,
so the baseline does not grow with the knowledge base."""


def grep_patterns(path: str) -> int:
    """:data:`GREP_PATTERNS` written one per line for ``grep -E -f``."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(GREP_PATTERNS) + "\n")
    return len(GREP_PATTERNS)


INSTALLED_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The CLI runs as installed, with its bytecode compiled (pip writes it at install time): a shell that sets
PYTHONDONTWRITEBYTECODE would otherwise add ~0.1 s of compiling to every run."""


def compile_bytecode() -> None:
    """Write the package's bytecode once, as ``pip install`` does: a first run (or ``--runs 1``) would otherwise time
    Python compiling every module the diagnose path imports."""
    import mindpilot

    package = os.path.dirname(os.path.abspath(mindpilot.__file__))
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"[/\\](\.venv|\.git|tests|bench)[/\\]", package],
                   env=INSTALLED_ENV, stdout=subprocess.DEVNULL, check=False)


def timed(argv: list) -> tuple:
    """Wall seconds, CPU seconds (user + system) and the result of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=INSTALLED_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def median_run(argv: list, runs: int) -> tuple:
    """Median wall and CPU time of ``runs`` runs of ``argv``, and the last run's result."""
    walls, cpus, done = [], [], None
    for _ in range(runs):
        wall, cpu, done = timed(argv)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus), done


def bench(name: str, target: str, files: list, size_mb: float, patterns: str, runs: int) -> tuple:
    """Time grep and ``mindpilot diagnose`` on ``target``; print the figures; return the wall and CPU ratios."""
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL)  # warm the page cache for both
    grep_s, grep_cpu, grep_done = median_run(["grep", "-c", "-E", "-f", patterns, *files], runs)
    if grep_done.returncode > 1:
        raise SystemExit(f"grep failed (exit {grep_done.returncode}): {grep_done.stderr.strip()}")
    matching = sum(int(line.rsplit(":", 1)[-1]) for line in grep_done.stdout.split())
    probe = ("import json, resource, sys, time; from mindpilot.validators.kb import diagnose_paths; "
             "t = time.perf_counter(); r = diagnose_paths([sys.argv[1]], 'en'); "
             "print(json.dumps({'s': time.perf_counter() - t, 'findings': sum(f.count for f in r.findings), "
             "'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    _, _, mp_done = timed([sys.executable, "-c", probe, target])
    result = json.loads(mp_done.stdout)
    cli = [sys.executable, "-m", "mindpilot", "diagnose", target, "--json"]
    cli_s, cli_cpu, cli_done = median_run(cli, runs)
    print(f"[{name}] {size_mb:.0f} MB in {len(files)} file(s); load average {os.getloadavg()[0]:.1f}")
    print(f"  grep -E -f      : {grep_s:6.2f} s wall {grep_cpu:6.2f} s cpu  {size_mb / grep_s:6.0f} MB/s  "
          f"matching lines {matching}")
    print(f"  diagnose (core) : {result['s']:6.2f} s wall                  {size_mb / result['s']:6.0f} MB/s  "
          f"hits {result['findings']}")
    print(f"  mindpilot diagnose CLI : {cli_s:6.2f} s wall {cli_cpu:6.2f} s cpu  {size_mb / cli_s:6.0f} MB/s wall "
          f"{size_mb / cli_cpu:6.0f} MB/s cpu (the steadier figure on a shared machine; target 150)  "
          f"exit {cli_done.returncode}")
    print(f"  ratio mindpilot/grep (CLI, median of {runs}): wall {cli_s / grep_s:.2f}x, cpu {cli_cpu / grep_cpu:.2f}x"
          f"   (target <= 2x)")
    print(f"  peak RSS (core run) : {result['rss_mb']:.0f} MB   (target < 200 MB)")
    return cli_s / grep_s, cli_cpu / grep_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1000, help="size of each generated profile in MB (default 1000)")
    parser.add_argument("--profile", choices=("rare", "dense", "benign", "clean", "both", "all"), default="both",
                        help="rare: a dozen errors; dense: 6%% error lines over 8 ranks; benign: msrun start-up "
                             "WARNINGs that look like errors plus loss lines; clean: no error at all; "
                             "both: rare and dense; all: every profile")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is kept (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="mindpilot-bench-diagnose-")
    ratios = {}
    try:
        from mindpilot.validators.kb import load_kb

        compile_bytecode()
        patterns = os.path.join(workdir, "patterns.ere")
        count = grep_patterns(patterns)
        print(f"grep: a fixed list of {count} patterns; mindpilot: {len(load_kb())} rules, prefilter engine: "
              f"{load_kb().matcher().engine}")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        for name, pool, seed in (("benign", BENIGN, 13), ("clean", LINES, 17)):
            if args.profile in (name, "all"):
                log = os.path.join(workdir, f"{name}.log")
                t0 = time.perf_counter()
                count = generate_lines(log, args.mb, pool, seed)
                print(f"generated {name}: {count} lines, no error, in {time.perf_counter() - t0:.1f} s")
                ratios[name] = bench(name, log, [log], os.path.getsize(log) / 1e6, patterns, args.runs)
        if args.profile in ("rare", "both", "all"):
            log = os.path.join(workdir, "worker_3.log")
            t0 = time.perf_counter()
            planted = generate(log, args.mb)
            print(f"generated rare: {planted} error lines in {time.perf_counter() - t0:.1f} s")
            ratios["rare"] = bench("rare", log, [log], os.path.getsize(log) / 1e6, patterns, args.runs)
        if args.profile in ("dense", "both", "all"):
            directory = os.path.join(workdir, "msrun_log")
            os.mkdir(directory)
            t0 = time.perf_counter()
            planted = generate_dense(directory, args.mb)
            files = sorted(os.path.join(directory, name) for name in os.listdir(directory))
            size_mb = sum(os.path.getsize(f) for f in files) / 1e6
            print(f"generated dense: {planted} error lines in {time.perf_counter() - t0:.1f} s")
            ratios["dense"] = bench("dense", directory, files, size_mb, patterns, args.runs)
        print("ratios mindpilot/grep: " + ", ".join(f"{name} {wall:.2f}x wall, {cpu:.2f}x cpu"
                                                    for name, (wall, cpu) in ratios.items())
              + f"; load average now {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
