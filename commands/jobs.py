"""``mindpilot jobs``: the jobs mindpilot started (running, succeeded, failed, stopped, lost).

``--json`` prints one JSON list of ``{id, name, status, pid, log_dir, exit_code, started_at, ended_at}``.
"""

from __future__ import annotations

import argparse
import time

from mindpilot.commands.output import emit_json
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``jobs``."""
    parser = subparsers.add_parser("jobs", parents=[common], help="list the jobs mindpilot started",
                                   description="List jobs started with mindpilot launch, newest first.")
    parser.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.jobs import list_jobs

    records = list_jobs()[: max(args.limit, 0)]
    if args.json:
        emit_json([record.summary() for record in records])
        return ExitCode.OK
    if not records:
        print("no jobs yet (start one: mindpilot launch --demo)")
        return ExitCode.OK
    print(f"{'ID':<34} {'STATUS':<10} {'PID':>7} {'EXIT':>4}  STARTED")
    for record in records:
        started = time.strftime("%m-%d %H:%M", time.localtime(record.started_at))
        exit_code = "" if record.exit_code is None else str(record.exit_code)
        print(f"{record.id:<34} {record.status:<10} {record.pid or '':>7} {exit_code:>4}  {started}")
        print(f"    logs: {record.log_dir}")
    return ExitCode.OK
