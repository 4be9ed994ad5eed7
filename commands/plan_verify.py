"""``plan --verify CONFIG``: MindSpore's DryRun on the top candidates, and the kept DryRuns beside our estimate.

``plan`` ranks layouts by our estimate; ``--verify`` writes each of the top candidates into a copy of CONFIG
(the user's file is not touched), DryRuns it, and stops at the first the framework says fits. Every DryRun is
kept, and later ``plan`` runs of that model show "estimate vs the framework's figure".
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import time
from pathlib import Path
from typing import Optional

from mindpilot.commands.output import emit_json, message, print_findings, words_for
from mindpilot.exit_codes import ExitCode

def verify(args: argparse.Namespace, candidates: list, lang: str) -> ExitCode:
    """DryRun the top candidates in order; exit 0 at the first that fits, 1 when none does."""
    from mindpilot.commands.dryrun_cli import prepare, run_dryrun
    from mindpilot.launch.jobs import state_dir
    from mindpilot.presets.yaml_apply import apply_plan

    text = words_for("plan_verify.", lang)
    again = f"mindpilot plan --verify {shlex.quote(args.verify)} --cards {args.cards} --checkout <mindformers checkout>"
    prepare(args.verify, args, lang, again)  # no CANN, no checkout: say so before any copy is made
    base = state_dir() / "dryrun" / "candidates" / time.strftime("%Y%m%d-%H%M%S")
    verified, findings, chosen = [], [], None
    for pick, candidate in enumerate(candidates[: args.top], 1):
        copy = base / str(pick) / Path(args.verify).name  # the same file name: the same model in the records
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.verify, copy)
        apply_plan(copy, candidate.parallel_config, candidate.recompute_config, offset=candidate.offset,
                   micro_batch_num=candidate.micro_batch_num)
        message(text["trying"].format(pick=pick, layout=candidate.label))
        report, found = run_dryrun(str(copy), args, lang, args.hbm)
        fits = report.fits()
        message(text["fits"].format(pick=pick, layout=candidate.label, verdict=text["yes" if fits else "no"]))
        verified.append({"pick": pick, "layout": candidate.label, "fits": fits, "job": report.job,
                         "config": str(copy), "ranks": [rank.to_dict() for rank in report.ranks]})
        findings += found
        if fits:
            chosen = pick
            break
    if args.json:
        emit_json({"model": args.model, "cards": args.cards, "verified": verified, "chosen": chosen,
                   "findings": [finding.to_dict() for finding in findings]})
    else:
        print_findings(findings, lang)
    if chosen is None:
        message(text["none"].format(top=min(args.top, len(candidates))))
        return ExitCode.FINDINGS
    message(text["chosen"].format(pick=chosen, config=shlex.quote(args.verify), cards=args.cards))
    return ExitCode.OK


def kept_dryrun(model: str) -> Optional[dict]:
    """The newest kept DryRun of ``model`` for ``plan --json`` (layout, card, per-stage figures), or None."""
    from mindpilot.launch.dryrun import load_records

    records = load_records(model)
    if not records:
        return None
    record = records[0]
    stages = [{key: rank.get(key) for key in ("stage", "rank", "estimate_gb", "peak_mb", "actual_peak_mb")}
              for rank in sorted(record["ranks"], key=lambda r: r["stage"])]
    return {"layout": record["layout"], "hbm_gb": record["hbm_gb"], "recorded_at": record["recorded_at"],
            "kept": len(records), "stages": stages}


def recorded_lines(model: str, lang: str) -> list[str]:
    """Our estimate beside the newest kept DryRun of ``model`` (same layout as a candidate), stage by stage."""
    from mindpilot.launch.dryrun import load_records

    records = load_records(model)
    if not records:
        return []
    text = words_for("plan_verify.", lang)
    record = records[0]
    layout = record["layout"]
    label = " ".join(f"{key}{layout[key]}" for key in ("dp", "mp", "pp", "cp") if isinstance(layout.get(key), int))
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record["recorded_at"]))
    lines = ["", text["recorded"].format(layout=label, when=when, count=len(records))]
    for rank in sorted(record["ranks"], key=lambda r: r["stage"]):
        ours, theirs = rank.get("estimate_gb"), rank.get("actual_peak_mb")
        if theirs is None:
            continue
        theirs_gb = theirs / 1024
        error = f" ({(ours - theirs_gb) / theirs_gb:+.0%})" if ours is not None and theirs_gb > 0 else ""
        lines.append(text["stage"].format(stage=rank["stage"], ours=f"{ours:.1f}" if ours is not None else "?",
                                          theirs=f"{theirs_gb:.1f}", error=error))
    return lines


def check_verify_args(args: argparse.Namespace) -> None:
    """``--model`` defaults to the ``--verify`` config; ``--verify`` never writes the user's file.

    Raises:
        CommandError: neither is given, or ``--verify`` with ``--apply``.
    """
    from mindpilot.commands.output import CommandError

    args.model = args.model or args.verify
    if not args.model:
        raise CommandError("give --model NAME|DIR|YAML (or --verify CONFIG)")
    if args.verify and args.apply:
        raise CommandError("--verify tries candidates on a copy; --apply the one it picks afterwards")


def add_verify_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verify", metavar="CONFIG", default=None,
                        help="DryRun the top candidates written into a copy of this MindFormers YAML (needs CANN, "
                             "no NPU) and pick the first the framework says fits; --model defaults to CONFIG")
