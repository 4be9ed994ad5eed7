"""What ``check --dryrun CONFIG`` and ``plan --verify CONFIG`` share: MindSpore's DryRun of one config, followed live.

The DryRun runs as one tracked job (a progress line per rank on stderr; Ctrl-C stops watching, not the job);
each rank's peak memory is set against the card's HBM and ``plan``'s estimate for that stage, and the result is
kept for ``plan`` to show next time. Where CANN is missing DryRun cannot compile: one line says what to run on a
machine that has it (a ModelArts notebook: no free NPU needed), exit 3.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
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


def prepare(config: str, args: argparse.Namespace, lang: str) -> dict[str, Any]:
    """Check that this config can be DryRun here: its layout, CANN, the checkout and the interpreter.

    Raises:
        CommandError: a usage problem (exit 2) or no CANN toolkit (exit 3), in one line.
    """
    from mindpilot.launch.dryrun import ENTRY, cann_toolkit
    from mindpilot.presets.config_facts import is_pynative, read_config
    from mindpilot.validators.dryrun import layout_of
    from mindpilot.validators.probe.pyenv import resolve_python

    document = read_config(config)
    if is_pynative(document):
        raise CommandError(f"{config}: a PyNative (parallelism:) config; DryRun compiles graph-mode configs "
                           "(PyNative scripts need MindSpore's dryrun mock interface)", ExitCode.USAGE)
    layout = layout_of(document)
    if layout is None:
        raise CommandError(f"{config}: no parallel_config with positive integers; DryRun needs the layout",
                           ExitCode.USAGE)
    if cann_toolkit() is None:
        raise CommandError(_no_cann(config, lang), ExitCode.ENVIRONMENT)
    checkout = str(Path(args.checkout or ".").expanduser().resolve())
    if not (Path(checkout) / ENTRY).is_file():
        raise CommandError(f"no {ENTRY} in {checkout}: give the MindFormers checkout with --checkout DIR",
                           ExitCode.USAGE)
    timeout = args.rank_timeout
    if timeout is not None and not timeout > 0:
        raise CommandError(f"--rank-timeout must be a positive number of seconds, got {timeout:g}", ExitCode.USAGE)
    return {"document": document, "layout": layout, "checkout": checkout,
            "python": resolve_python(args.python, os.environ)}


def _no_cann(config: str, lang: str) -> str:
    return words("dryrun.no_cann", lang, config=config)


def stage_estimates(config: str, document: Any, layout: dict, hbm: float) -> tuple[Optional[str], list, list]:
    """``(model name, GB per stage, layers per stage)`` of ``plan``'s estimate for this layout (empty if unknown)."""
    from mindpilot.presets.config_facts import interleave, seq_length_or_default
    from mindpilot.presets.memory import gb
    from mindpilot.presets.models import get_model
    from mindpilot.presets.planner import plan

    try:
        arch = get_model(config)
        cards = layout["dp"] * layout["mp"] * layout["pp"] * layout["cp"]
        candidates = plan(arch, cards, hbm_gb=hbm, seq_len=seq_length_or_default(document),
                          pp_interleave_num=interleave(document))
    except (KeyError, ValueError):
        return None, [], []
    for candidate in candidates:
        if (candidate.dp, candidate.mp, candidate.pp, candidate.cp) == tuple(layout[k] for k in ("dp", "mp", "pp", "cp")):
            return arch.name, [gb(stage.total) for stage in candidate.stages], list(candidate.stage_layers)
    return arch.name, [], []


def run_dryrun(config: str, args: argparse.Namespace, lang: str, hbm: float) -> tuple[Any, list]:
    """DryRun ``config``, follow it, keep the result: ``(DryRunReport, findings)``.

    Raises:
        CommandError: as :func:`prepare`; exit 4 when the job cannot start.
    """
    from mindpilot.launch.tool_jobs import console_chunks
    from mindpilot.launch.dryrun import DEFAULT_RANK_TIMEOUT, read_ranks, save_record, start_dryrun
    from mindpilot.launch.runner import LaunchError
    from mindpilot.validators.dryrun import DryRunReport, dryrun_findings, ranks_to_run
    from mindpilot.validators.selftest import quote

    ready = prepare(config, args, lang)
    layout = ready["layout"]
    cards = layout["dp"] * layout["mp"] * layout["pp"] * layout["cp"]
    model, estimates, stage_layers = stage_estimates(config, ready["document"], layout, hbm)
    choices = ranks_to_run(cards, layout["pp"], stage_layers)
    try:
        record = start_dryrun(ready["python"], ready["checkout"], config, cards, choices,
                              args.rank_timeout or DEFAULT_RANK_TIMEOUT)
    except LaunchError as exc:
        raise CommandError(f"cannot start the DryRun: {exc}", ExitCode.LAUNCH_FAILED) from None
    message(f"DryRun {record.id}: " + ", ".join(f"rank {c.rank} (stage {c.stage})" for c in choices))
    job_id = record.id
    try:
        for record, text in console_chunks(job_id, chunk=1 << 20):  # noqa: B007 (the last one is kept)
            for line in text.splitlines():
                message(quote(line))
    except KeyboardInterrupt:
        message(f"mindpilot attach {job_id}")
        raise
    ranks = read_ranks(record, choices)
    device = next((rank.device_mb for rank in ranks if rank.device_mb), None)
    if getattr(args, "hbm", None) is None and device:
        hbm = device / 1024  # the card MindSpore simulated ("Device MOC memory size")
    for rank in ranks:
        rank.estimate_gb = estimates[rank.stage] if rank.stage < len(estimates) else None
    report = DryRunReport(config=str(Path(config).resolve()), model=model or Path(config).stem, cards=cards,
                          layout=layout, hbm_gb=hbm, ranks=ranks, job=record.id)
    try:
        save_record(report)
    except OSError as exc:  # an unsafe or full data directory: the verdict stands, only the record is lost
        message(f"DryRun result not kept: {exc}")
    return report, dryrun_findings(report, lang)
