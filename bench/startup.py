"""Start-up time of the quick commands, and each one's ratio to a bare ``python -c pass``.

Targets on this machine: ``mindpilot --help`` under 0.15 s, ``doctor --demo`` and ``check FILE`` under
0.3 s. The machine may be shared, so each command runs ``--runs`` times (after one warm-up run, which
writes bytecode) and the median is printed with the load average. The knowledge shipped as YAML is read
from its compiled JSON (``mindpilot/compiled.py``), so there is no cold cache to measure: a first run
after an install costs what every run costs. On a busy machine wall time mostly measures the queue for a CPU: the CPU time (user + system) of each
run, and its ratio to ``python -c pass`` measured in the same rounds, are the steadier figures.

    .venv/bin/python bench/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tui" / "demo" / "finetune_qwen2_5_7b.yaml"
LOG = ROOT / "tests" / "data" / "logs" / "kb" / "kb.runtime.device_oom.log"
"""A short log with one known error: what a pasted error costs, beyond the start-up."""

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "mindpilot --help": ["-m", "mindpilot", "--help"],
    "mindpilot doctor --demo": ["-m", "mindpilot", "doctor", "--demo"],
    "mindpilot check FILE": ["-m", "mindpilot", "check", str(CONFIG), "--cards", "8", "--hbm", "64"],
    "mindpilot diagnose LOG": ["-m", "mindpilot", "diagnose", str(LOG)],
}
TARGETS = {"mindpilot --help": 0.15, "mindpilot doctor --demo": 0.3, "mindpilot check FILE": 0.3}


def _once(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command; the median is kept (default 9)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' interpreters keep bytecode; so does this measure
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():
        _once(argv, env)
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):  # interleaved, so that a burst of load hits every command alike
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv, env))
    base_wall = statistics.median(wall for wall, _ in times["python -c pass"])
    base_cpu = statistics.median(cpu for _, cpu in times["python -c pass"])
    print(f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"median of {args.runs} runs")
    print(f"{'':33s} {'wall':>8s} {'ratio':>6s}   {'cpu':>8s} {'ratio':>6s}")
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        target = f"  target < {TARGETS[name]:.2f} s" if name in TARGETS else ""
        print(f"{name:33s} {wall:6.3f} s {wall / base_wall:5.1f}x   {cpu:6.3f} s {cpu / base_cpu:5.1f}x{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
