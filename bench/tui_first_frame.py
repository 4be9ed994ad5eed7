"""Benchmark of the TUI's first frame: how long ``mindpilot --demo`` takes to show its first screen.

Target (issue 9): under 0.5 s. Two measurements, each the median of ``--runs`` fresh processes:

* headless: in a fresh interpreter, from before ``import mindpilot.tui.app`` to the first frame of the first
  step handed to the terminal driver (``App._display``), split into import and start-up, with the CPU
  seconds spent; and, after it, "settled": when the first step has also shown the doctor's report (one
  Pilot ``pause``). Wall time on a shared, loaded machine overstates what a user waits; the load
  average is printed beside the figures;
* terminal (when tmux is installed): from typing ``python -m mindpilot --demo`` into a shell in an 80x24 tmux
  pane to the step bar on screen, as a user sees it (this includes the interpreter's own start; the tmux
  server and the shell are started before the clock).

Run: ``.venv/bin/python bench/tui_first_frame.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

TARGET = 0.5

CHILD = r"""
import json, os, time
t0 = time.perf_counter()
c0 = sum(os.times()[:2])
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.session import Session
from textual.app import App
t1 = time.perf_counter()
marks = {}
display = App._display

def first_display(self, screen, renderable):
    if renderable is not None and "frame" not in marks and type(screen).__name__ == "EnvironmentScreen":
        marks["frame"] = time.perf_counter()
        marks["cpu"] = sum(os.times()[:2]) - c0
    return display(self, screen, renderable)

App._display = first_display

async def settled(pilot):
    await pilot.pause()
    marks["settled"] = time.perf_counter()
    pilot.app.exit()

MindpilotApp(Session(demo=True, lang="en")).run(headless=True, size=(80, 24), auto_pilot=settled)
print(json.dumps({"import": t1 - t0, "frame": marks["frame"] - t0, "cpu": marks["cpu"],
                  "settled": marks["settled"] - t0}))
"""


def headless(runs: int, env: dict) -> list[dict]:
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def terminal(runs: int, env: dict) -> list[float]:
    times = []
    for _ in range(runs):
        socket = f"mp-bench-{uuid.uuid4().hex[:8]}"
        flags = [part for key, value in env.items() if key in ("PYTHONPATH", "MINDPILOT_STATE_DIR")
                 for part in ("-e", f"{key}={value}")]
        subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", "b", "-x", "80", "-y", "24", *flags,
                        "sh"], check=True, timeout=30)
        try:
            time.sleep(0.3)  # the shell is up and waiting, as it is when a user types the command
            start = time.perf_counter()
            subprocess.run(["tmux", "-L", socket, "send-keys", "-t", "b",
                            f"exec {sys.executable} -m mindpilot --demo", "Enter"], check=True, timeout=30)
            deadline = start + 30
            while time.perf_counter() < deadline:
                screen = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "b"],
                                        capture_output=True, text=True, timeout=10).stdout
                if "mindpilot [demo]" in screen:
                    times.append(time.perf_counter() - start)
                    break
                time.sleep(0.005)
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "MINDPILOT_STATE_DIR": tempfile.mkdtemp(prefix="mp-bench-state-")}
    results = headless(args.runs, env)
    imports = statistics.median(r["import"] for r in results)
    frames = statistics.median(r["frame"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    settled = statistics.median(r["settled"] for r in results)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"headless first frame: median {frames * 1000:.0f} ms wall over {args.runs} runs "
          f"(import {imports * 1000:.0f} ms, start-up {(frames - imports) * 1000:.0f} ms), {cpu * 1000:.0f} ms CPU; "
          f"target {TARGET * 1000:.0f} ms, ratio wall {frames / TARGET:.2f}, CPU {cpu / TARGET:.2f}; "
          f"settled with the doctor's report {settled * 1000:.0f} ms")
    if shutil.which("tmux"):
        times = terminal(args.runs, env)
        if times:
            median = statistics.median(times)
            print(f"terminal first frame (tmux 80x24, incl. interpreter start): median {median * 1000:.0f} ms "
                  f"over {len(times)} runs; target {TARGET * 1000:.0f} ms, ratio {median / TARGET:.2f}")


if __name__ == "__main__":
    main()
