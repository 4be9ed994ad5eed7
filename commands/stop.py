"""``mindpilot stop ID``: stop a job and make sure no process of it is left.

SIGTERM to msrun's group and to every worker (msrun puts each in a session of its own), a grace
period, SIGKILL for the rest, then a psutil check; each ssh node is then asked over a new connection to end
the job on its host, and one that does not answer is reported unreachable. Exit 0 when nothing is left and
every node answered, 4 otherwise.
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import CommandError, emit_json, lang_of, message, words, words_for
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``stop``."""
    parser = subparsers.add_parser("stop", parents=[common], help="stop a job (all of its processes)",
                                   description="Stop a job started by mindpilot launch: SIGTERM, wait, SIGKILL, verify.")
    parser.add_argument("job", metavar="ID", nargs="?",
                        help="job id (or a unique prefix) from mindpilot jobs; default: the latest running job")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.jobs import load_job, resolve_job
    from mindpilot.launch.runner import stop_job

    try:
        record = resolve_job(args.job, running=True) if args.job else _latest_to_stop()
    except KeyError as exc:
        what = exc.args[0] if not args.job or exc.args[0] != args.job else f"no job {args.job!r}"
        raise CommandError(f"{what} (see: mindpilot jobs)", ExitCode.USAGE) from None
    if not args.job:
        message(words("stop.latest", lang_of(args), job=record.id))
    left = stop_job(record.id, grace=args.grace)
    final = load_job(record.id)
    unreachable = final.unreachable_nodes
    if args.json:
        status = "unreachable" if unreachable else final.status
        emit_json({"id": final.id, "status": status, "exit_code": final.exit_code, "left_pids": left,
                   "unreachable": unreachable})
    else:
        _say(final, left, unreachable, lang_of(args))
    return ExitCode.LAUNCH_FAILED if left or unreachable else ExitCode.OK


def _say(final, left: list, unreachable: list, lang: str) -> None:
    """What ``stop`` found, in words: nodes it could not reach, processes left, or that nothing is left."""
    for node in unreachable:
        message(words("stop.unreachable", lang, job=final.id, rank=node["rank"], host=node["host"],
                      error=node["error"]))
    if left:
        message(words("stop.still_alive", lang, job=final.id, pids=" ".join(map(str, left))))
    elif not unreachable:
        status = words_for("stop.status_", lang).get(final.status, final.status)
        print(words("stop.done", lang, job=final.id, status=status))


def _latest_to_stop():
    """The newest running job; else the newest finished job that still has processes (msrun was killed)."""
    from mindpilot.launch.job_processes import tagged_processes
    from mindpilot.launch.jobs import latest_job, list_jobs

    record = latest_job(running=True)
    if record is not None:
        return record
    alive = tagged_processes()
    for record in list_jobs():
        if alive.get(record.id):
            return record
    raise KeyError("no running job and no job with processes left")
