"""``mindpilot attach ID``: resume the live view of a job (after an SSH drop, or a ``--detach``).

Replays the job's logs from the start (metrics, findings), then follows them until the job ends,
and exits with the job's status like ``launch``. Ctrl-C only detaches: the job goes on.
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import CommandError, lang_of
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``attach``."""
    parser = subparsers.add_parser("attach", parents=[common], help="resume the live view of a job",
                                   description="Follow a running (or finished) job's logs; Ctrl-C detaches.")
    parser.add_argument("job", metavar="ID", nargs="?",
                        help="job id (or a unique prefix) from mindpilot jobs; default: the latest job")
    parser.add_argument("--lines", action="store_true", help="also print every log line")
    parser.add_argument("--new-only", action="store_true", help="skip what the logs already hold")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.commands.follow import follow
    from mindpilot.launch.jobs import resolve_job
    from mindpilot.launch.runner import started_event
    from mindpilot.launch.view import HeadlessView

    try:
        record = resolve_job(args.job, running=False)
    except KeyError as exc:
        what = exc.args[0] if not args.job or exc.args[0] != args.job else f"no job {args.job!r}"
        raise CommandError(f"{what} (see: mindpilot jobs)", ExitCode.USAGE) from None
    view = HeadlessView(lang=lang_of(args), as_json=args.json, lines=args.lines, job=record.id, attach=True)
    view.emit(started_event(record))
    return follow(record.id, view, view.lang, stop_on_interrupt=False, from_start=not args.new_only)
