"""Wall time of ``mindpilot doctor --json`` on this machine: median of 5 runs (target: under 1 s).

Run: ``.venv/bin/python bench/doctor.py [extra doctor args ...]`` (e.g. ``--demo``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5


def main(argv: list[str]) -> int:
    command = [sys.executable, "-m", "mindpilot", "doctor", "--json", *argv]
    times = []
    codes = set()
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        codes.add(done.returncode)
    print(f"mindpilot doctor --json {' '.join(argv)}".rstrip()
          + f": median {statistics.median(times):.3f} s over {RUNS} runs "
          f"(min {min(times):.3f}, max {max(times):.3f}; exit codes {sorted(codes)}; target < 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
