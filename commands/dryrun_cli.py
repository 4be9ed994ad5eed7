"""What ``check --dryrun CONFIG`` and ``plan --verify CONFIG`` share: MindSpore's DryRun of one config, followed live.

The work is :mod:`mindpilot.launch.dryrun_run`; this adapter maps its refusals to exit codes (no CANN: one
line saying what to run on a notebook that has it, exit 3) and shows its console on stderr (a progress line per
rank; Ctrl-C stops watching, not the job).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, Optional

from mindpilot.commands.output import CommandError, message, words
from mindpilot.exit_codes import ExitCode


def add_dryrun_options(parser: argparse.ArgumentParser) -> None:
    """The flags the DryRun needs beyond the config."""
    parser.add_argument("--checkout", metavar="DIR", default=None,
                        help="with DryRun: the MindFormers checkout holding run_mindformer.py (default: .)")
    parser.add_argument("--python", metavar="PATH", default=None,
                        help="with DryRun: the training interpreter (a path, command or conda env name)")
    parser.add_argument("--rank-timeout", type=float, default=None, metavar="SECONDS",
                        help="with DryRun: end a rank that compiles longer than this (default: 3600)")


def prepare(config: str, args: argparse.Namespace, lang: str, again: Optional[str] = None) -> Any:
    """:func:`mindpilot.launch.dryrun_run.prepare_dryrun` with the flags; its refusal as a one-line error.

    Raises:
        CommandError: a usage problem (exit 2) or no CANN toolkit (exit 3).
    """
    from mindpilot.launch.dryrun_run import DryRunRefused, prepare_dryrun

    timeout = args.rank_timeout
    if timeout is not None and not timeout > 0:
        raise CommandError(f"--rank-timeout must be a positive number of seconds, got {timeout:g}", ExitCode.USAGE)
    again = again or f"mindpilot check --dryrun {shlex.quote(config)} --checkout <mindformers checkout>"
    try:
        return prepare_dryrun(config, args.python, args.checkout, getattr(args, "hbm", None) or 64.0, lang, again)
    except DryRunRefused as exc:
        if exc.environment:
            raise CommandError(words("dryrun.no_cann", lang, again=again), ExitCode.ENVIRONMENT) from None
        raise CommandError(str(exc), ExitCode.USAGE) from None


def run_dryrun(config: str, args: argparse.Namespace, lang: str, hbm: Optional[float]) -> tuple[Any, list]:
    """DryRun ``config``, follow it on stderr, keep the result: ``(DryRunReport, findings)``.

    ``hbm`` None: judge against the card MindSpore simulated.

    Raises:
        CommandError: as :func:`prepare`; exit 4 when the job cannot start.
        KeyboardInterrupt: Ctrl-C (the job goes on; its id was printed).
    """
    from mindpilot.launch.dryrun_run import follow_dryrun
    from mindpilot.launch.runner import LaunchError
    from mindpilot.validators.selftest import quote

    prepared = prepare(config, args, lang)
    job_id = ""
    try:
        for kind, payload in follow_dryrun(prepared, lang, hbm, args.rank_timeout):
            if kind == "started":
                job_id = payload.id
                message(f"DryRun {job_id}: " + ", ".join(f"rank {c.rank} (stage {c.stage})"
                                                         for c in prepared.choices))
            elif kind == "text":
                for line in payload.splitlines():
                    message(quote(line))
            else:
                return payload
    except LaunchError as exc:
        raise CommandError(f"cannot start the DryRun: {exc}", ExitCode.LAUNCH_FAILED) from None
    except KeyboardInterrupt:
        message(f"mindpilot attach {job_id}" if job_id else "mindpilot: interrupted")
        raise
    raise CommandError(f"the DryRun {job_id} ended without a result", ExitCode.LAUNCH_FAILED)
