"""``mindpilot jobs``: the jobs mindpilot started (running, succeeded, failed, stopped, lost).

``--json`` prints one JSON list of ``{id, name, status, pid, log_dir, exit_code, started_at, ended_at}``.
"""

from __future__ import annotations

import argparse
import time

from mindpilot.validators.text.columns import pad
from mindpilot.commands.output import CommandError, emit_json, lang_of
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``jobs``."""
    parser = subparsers.add_parser("jobs", parents=[common], help="list the jobs mindpilot started",
                                   description="List jobs started with mindpilot launch, newest first.")
    parser.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.jobs import list_jobs

    if args.limit < 1:
        raise CommandError(f"--limit must be at least 1, got {args.limit}")
    records = list_jobs()[: args.limit]
    if args.json:
        emit_json([record.summary() for record in records])
        return ExitCode.OK
    words = _WORDS["zh" if lang_of(args) == "zh" else "en"]
    if not records:
        print(words["none"])
        return ExitCode.OK
    print(f"{pad(words['id'], 34)} {pad(words['status'], 10)} {words['pid']:>7} {pad(words['exit'], 4)}  "
          f"{words['started']}")
    for record in records:
        started = time.strftime("%m-%d %H:%M", time.localtime(record.started_at))
        exit_code = "" if record.exit_code is None else str(record.exit_code)
        status = words["statuses"].get(record.status, record.status)
        print(f"{record.id:<34} {pad(status, 10)} {record.pid or '':>7} {exit_code:>4}  {started}")
        print(f"    {words['logs']}: {record.log_dir}")
    return ExitCode.OK


_WORDS = {
    "en": {"none": "no jobs yet (start one: mindpilot launch --demo)", "id": "ID", "status": "STATUS", "pid": "PID",
           "exit": "EXIT", "started": "STARTED", "logs": "logs", "statuses": {}},
    "zh": {"none": "还没有任务（试一个：mindpilot launch --demo）", "id": "任务 ID", "status": "状态", "pid": "PID",
           "exit": "退出", "started": "开始时间", "logs": "日志",
           "statuses": {"starting": "启动中", "running": "运行中", "succeeded": "成功", "failed": "失败",
                        "stopped": "已停止", "lost": "失去联系"}},
}
