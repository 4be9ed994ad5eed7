"""``mindpilot jobs``: the jobs mindpilot started (running, succeeded, failed, stopped, lost).

``--json`` prints one JSON list of ``{id, name, status, pid, log_dir, logs, exit_code, started_at, ended_at,
nodes, leftover_pids}`` (``logs``: present, deleted, or reused for records older than one folder per job; a
job whose ``job.json`` cannot be read is ``{id, status: "unreadable", path, error}``). ``--prune N`` keeps
the N newest finished jobs and deletes the rest, records and log folders; running jobs are never pruned.
"""

from __future__ import annotations

import argparse
import time

from mindpilot.validators.text.columns import pad
from mindpilot.commands.output import CommandError, emit_json, lang_of, words_for
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``jobs``."""
    parser = subparsers.add_parser("jobs", parents=[common], help="list the jobs mindpilot started",
                                   description="List jobs started with mindpilot launch, newest first.")
    parser.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    parser.add_argument("--prune", type=int, metavar="N",
                        help="delete all but the N newest finished jobs (records and their log folders)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.job_processes import tagged_processes
    from mindpilot.launch.jobs import JobRecord, job_entries, prune_jobs

    if args.limit < 1:
        raise CommandError(f"--limit must be at least 1, got {args.limit}")
    words = words_for("jobs.", lang_of(args))
    if args.prune is not None:
        return _prune(args, words, prune_jobs)
    entries = job_entries()[: args.limit]
    alive = tagged_processes()
    if args.json:
        rows = []
        for entry in entries:
            row = entry.summary()
            if isinstance(entry, JobRecord):
                row["alive_pids"] = sorted(alive.get(entry.id, []))
            rows.append(row)
        emit_json(rows)
        return ExitCode.OK
    if not entries:
        print(words["none"])
        return ExitCode.OK
    print(f"{pad(words['id'], 34)} {pad(words['status'], 10)} {words['pid']:>7} {pad(words['exit'], 4)}  "
          f"{words['started']}")
    for entry in entries:
        if not isinstance(entry, JobRecord):
            print(f"{entry.id:<34} {pad(words['unreadable'], 10)}")
            print(f"    {entry.path}: {entry.error}")
            continue
        _print_record(entry, words, alive.get(entry.id, []))
    return ExitCode.OK


def _print_record(record, words: dict, alive: list) -> None:
    started = time.strftime("%m-%d %H:%M", time.localtime(record.started_at))
    exit_code = "" if record.exit_code is None else str(record.exit_code)
    status = words.get(f"status_{record.status}", record.status)
    print(f"{record.id:<34} {pad(status, 10)} {record.pid or '':>7} {exit_code:>4}  {started}")
    state = record.logs_state()
    print(f"    {words['logs']}: {record.log_dir}" + ("" if state == "present" else f" ({words[state]})"))
    for node in record.nodes:
        code = "" if node.exit_code is None else f" exit {node.exit_code}"
        print(f"    node {node.rank}: {node.host}{code}")
    if record.error and record.status not in ("running", "starting", "succeeded"):
        print(f"    {record.error[:300]}")
    if alive and record.status not in ("running", "starting"):
        print("    " + words["leftover"].format(count=len(alive), job=record.id))


def _prune(args: argparse.Namespace, words: dict, prune_jobs) -> ExitCode:
    if args.prune < 0:
        raise CommandError(f"--prune must be 0 or more, got {args.prune}")
    pruned, running = prune_jobs(args.prune)
    if args.json:
        emit_json({"pruned": pruned, "running_kept": running})
        return ExitCode.OK
    print(words["pruned"].format(count=len(pruned), keep=args.prune))
    for job_id in pruned:
        print(f"    {job_id}")
    if running:
        print(words["running_kept"].format(ids=" ".join(running)))
    return ExitCode.OK
