"""``python -m mindpilot.launch.dryrun_driver``: the DryRun job's one process, compiling the chosen ranks in turn.

The job supervisor runs this (so ``jobs``, ``attach`` and ``stop`` see one job); it starts the training command
once per rank with that rank's DryRun environment (:func:`mindpilot.validators.dryrun.rank_env`), writes each
rank's output to ``<log dir>/rank_<R>.log``, prints a progress line per rank and the memory lines, and ends a
rank that runs past ``--timeout`` seconds (its whole process group). Exit 0 when every rank compiled.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

from mindpilot.validators.dryrun import MARK, rank_env

_SHOWN = ("peak memory usage", "Device MOC memory size", "MindSpore Used memory size")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mindpilot.launch.dryrun_driver")
    parser.add_argument("--rank-size", type=int, required=True)
    parser.add_argument("--ranks", required=True, help="RANK:STAGE,RANK:STAGE ...")
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per rank")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- python run_mindformer.py --config FILE")
    args = parser.parse_args(argv)
    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.command:
        parser.error("give the training command after --")
    return args


def run_rank(command: list[str], rank: int, rank_size: int, log: Path, timeout: float) -> int:
    """One rank's DryRun; its exit code (124 when it ran past ``timeout``)."""
    env = dict(os.environ)
    env.update(rank_env(rank, rank_size))
    with open(log, "wb") as output:
        try:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            output.write(f"cannot start {command[0]}: {exc}\n".encode())
            return 127
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(process)
            output.write(f"\n{MARK} rank {rank} ran past {timeout:g} s and was ended\n".encode())
            return 124


def _end_group(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except OSError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _show_memory(log: Path, rank: int, limit: int = 64 << 20) -> None:
    """The rank's memory lines on the console (the live view), read once it ended."""
    try:
        with open(log, "rb") as handle:
            data = handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return
    for line in data.splitlines():
        if any(words in line for words in _SHOWN):
            print(f"{MARK} rank {rank}: {line.strip()[-160:]}", flush=True)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ranks = [tuple(int(part) for part in item.split(":", 1)) for item in args.ranks.split(",") if item]
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for index, (rank, stage) in enumerate(ranks, 1):
        print(f"{MARK} rank {rank} (stage {stage}) {index}/{len(ranks)} compiling", flush=True)
        started = time.monotonic()
        code = run_rank(args.command, rank, args.rank_size, log_dir / f"rank_{rank}.log", args.timeout)
        print(f"{MARK} rank {rank} exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        _show_memory(log_dir / f"rank_{rank}.log", rank)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
