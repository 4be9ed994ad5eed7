"""``mindpilot check FILE...``: config mistakes found in milliseconds, before minutes of compilation.

Every input goes through :mod:`mindpilot.launch.router`, which ``diagnose`` shares: both commands
find the same for any file. Text output lists findings worst first, each with ``file:line``, the error the framework would raise
and the exact line to change. ``--fix FILE`` plans a layout for the card count and writes it into the
user's YAML (diff shown first; ``--dry-run`` shows only the diff). Exit 1 when an error remains.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

from mindpilot.commands.output import (CommandError, add_format_argument, ci_format, emit_ci, emit_json, lang_of,
                                       message, print_findings, print_report, words)
from mindpilot.validators.text.columns import wrap
from mindpilot.commands.dryrun_cli import add_dryrun_options
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``check``."""
    parser = subparsers.add_parser(
        "check", parents=[common],
        help="check MindFormers / MindRLHF GRPO YAML and launch scripts before launching",
        description="Check MindFormers YAML (finetune/pretrain/predict; 1.x and 2.x, including 2.x PyNative "
                    "parallelism: configs), MindRLHF grpo_config.yaml and launch "
                    "scripts (msrun, msrun_launcher.sh, run_grpo.sh, MindSpeed-LLM) against the rules the "
                    "frameworks enforce; each finding names the line and the fix.")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="YAML configs, launch scripts and/or presets (a file or a built-in name); logs, log "
                             "dirs, job ids and - are diagnosed as by `mindpilot diagnose`")
    parser.add_argument("--cards", type=int, default=None, metavar="N",
                        help="device count to check against (default: the NPUs this machine reports)")
    parser.add_argument("--hbm", type=float, default=None, metavar="GB",
                        help="HBM per card in GB (default: what this machine reports)")
    parser.add_argument("--skip-paths", action="store_true",
                        help="do not check that checkpoints, datasets and tokenizers exist (CI machines)")
    parser.add_argument("--fix", action="store_true",
                        help="write the best parallel plan for --cards into each MindFormers YAML (keeps FILE.bak)")
    parser.add_argument("--dry-run", action="store_true", help="with --fix: print the diff, write nothing")
    parser.add_argument("--dryrun", action="store_true",
                        help="compile the one MindFormers YAML given with MindSpore's DryRun (needs CANN, no NPU): "
                             "per pipeline stage, the framework's peak memory against the card and our estimate")
    add_dryrun_options(parser)
    add_format_argument(parser)
    parser.set_defaults(func=lambda args: _dryrun(args, lang_of(args)) if args.dryrun else run(args))


def _dryrun(args: argparse.Namespace, lang: str) -> ExitCode:
    """``check --dryrun CONFIG``: the framework's own compile of the config, stage by stage."""
    from mindpilot.commands.dryrun_cli import run_dryrun
    from mindpilot.validators.findings import exit_code_for

    if len(args.files) != 1:
        raise CommandError("--dryrun compiles one MindFormers YAML at a time", ExitCode.USAGE)
    report, findings = run_dryrun(args.files[0], args, lang, args.hbm)
    if not emit_ci(args, findings, "check"):
        if args.json:
            emit_json({**report.to_dict(), "findings": [finding.to_dict() for finding in findings]})
        else:
            print_findings(findings, lang)
    return exit_code_for(findings)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.router import InputError, analyse, input_label
    from mindpilot.validators.findings import exit_code_for
    from mindpilot.validators.npu_defaults import environment_defaults

    lang = lang_of(args)
    _check_args(args)
    cards, hbm = environment_defaults(args.cards, args.hbm)
    fixes = _fix_all(args, cards, hbm, lang) if args.fix else []
    try:
        report = analyse(args.files, lang, cards=cards, hbm_gb=hbm, skip_paths=args.skip_paths)
    except InputError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from exc
    if emit_ci(args, report.findings, "check"):
        return exit_code_for(report.findings)
    if args.json:
        document = report.to_dict()
        # each input, its kind and schema (diagnose's "files" are the logs read)
        document["files"] = [{**entry, "schema": input_label(entry["kind"])} for entry in report.inputs]
        document["cards"], document["hbm_gb"] = cards, hbm
        if args.fix:
            document["fixes"] = fixes
        emit_json(document)
    else:
        if not args.fix or not args.dry_run:
            print_report(report, lang)
            # an invalid preset has no card count: its entry has no "cards"
            preset_cards = {e.get("cards") for e in report.inputs if e["kind"] == "preset"} - {None}
            _summary(report, cards or (preset_cards.pop() if len(preset_cards) == 1 else None), hbm, lang)
    return exit_code_for(report.findings)


def _check_args(args: argparse.Namespace) -> None:
    """Out-of-range numbers and flags that do not go together: a usage error before any work."""
    from mindpilot.presets.planner import PLAN_BOUNDS

    if args.cards is not None and not 0 < args.cards <= PLAN_BOUNDS["cards"]:
        raise CommandError(f"--cards must be between 1 and {PLAN_BOUNDS['cards']}", ExitCode.USAGE)
    if args.hbm is not None and not (0 < args.hbm <= PLAN_BOUNDS["hbm_gb"]):  # also false for nan
        raise CommandError(f"--hbm must be a positive number of GB up to {PLAN_BOUNDS['hbm_gb']}, got {args.hbm:g}",
                           ExitCode.USAGE)
    if args.dry_run and not args.fix:
        raise CommandError("--dry-run only makes sense with --fix", ExitCode.USAGE)
    if args.fix and ci_format(args):
        raise CommandError(f"--fix prints diffs; use it without --format {args.format}", ExitCode.USAGE)


def _fix_all(args: argparse.Namespace, cards: Optional[int], hbm: Optional[float], lang: str) -> list[dict[str, Any]]:
    """``--fix``: the best plan written into each MindFormers YAML named (not those a preset or config refers to)."""
    from mindpilot.validators.check import run_check
    from mindpilot.validators.check.preset_file import is_preset_target

    if not cards:
        raise CommandError("--fix needs --cards N (no NPUs were found on this machine)", ExitCode.USAGE)
    configs = [name for name in args.files if not is_preset_target(name)]  # a preset's config: fix it by name
    report = run_check(configs, cards=cards, hbm_gb=hbm, skip_paths=True, lang=lang)
    fixes: list[dict[str, Any]] = []
    for entry in report.files:
        if entry["kind"] not in ("mindformers", "mindformers_pynative") or "referenced_by" in entry:
            continue
        fixes.append(fix_file(entry["file"], cards, hbm, args.dry_run, lang))
        if args.json:
            continue
        if fixes[-1]["diff"]:
            sys.stdout.write(fixes[-1]["diff"])
            if fixes[-1]["written"]:
                message(words("check.written", lang, file=entry["file"], backup=fixes[-1]["backup"]))
        else:
            message(words("check.already_best", lang, file=entry["file"]))
    if not fixes:
        raise CommandError("--fix found no MindFormers YAML among the files", ExitCode.USAGE)
    return fixes


def _summary(report: Any, cards: Optional[int], hbm: Optional[float], lang: str) -> None:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in report.findings:
        counts[finding.severity.value] += 1
    from mindpilot.launch.router import input_label

    kinds = ", ".join(f"{e['file']} ({input_label(e['kind'], lang)})" for e in report.inputs)
    if len(report.inputs) > 3:  # `check configs/*.yaml`: a count per kind, not a screen of names
        per_kind: dict[str, int] = {}
        for entry in report.inputs:
            per_kind[entry["kind"]] = per_kind.get(entry["kind"], 0) + 1
        separator = words("check.kinds_separator", lang)
        kinds = words("check.files_per_kind", lang, count=len(report.inputs),
                      kinds=separator.join(f"{k} {n}" for k, n in per_kind.items()))
    target = words("check.target_cards", lang, cards=cards) if cards else words("check.target_unknown", lang)
    target += words("check.target_hbm", lang, hbm=hbm) if hbm else ""
    text = words("check.summary", lang, inputs=kinds, target=target, errors=_count("errors", counts["error"], lang),
                 warnings=_count("warnings", counts["warning"], lang), notes=_count("notes", counts["info"], lang))
    message("\n".join(wrap(text, "  ")))


def _count(what: str, n: int, lang: str) -> str:
    return words(f"check.{what}_{'one' if n == 1 else 'many'}", lang, n=n)


def fix_file(path: str, cards: int, hbm: Optional[float], dry_run: bool, lang: str) -> dict[str, Any]:
    """Plan the best layout for ``path`` on ``cards`` cards and write it (or only diff it); a MindFormers 2.x
    PyNative config gets it in its ``parallelism:`` / ``recompute:`` sections (``apply_plan`` sees to that)."""
    from mindpilot.presets.yaml_apply import apply_plan
    from mindpilot.validators.check.fix import best_candidate

    try:
        candidate = best_candidate(path, cards, hbm, lang)
    except ValueError as exc:  # FixError: no numbers for the model, or no layout for this card count
        raise CommandError(str(exc), ExitCode.USAGE) from None
    plan = {"layout": getattr(candidate, "label", ""), "parallel_config": candidate.parallel_config,
            "recompute_config": candidate.recompute_config, "offset": candidate.offset,
            "micro_batch_num": candidate.micro_batch_num}
    try:
        plan = candidate.to_dict(lang)  # with memory terms and rank reasons, for --json
    except Exception as exc:  # the settings above are all --fix needs; keep going without the extras
        message(f"note: plan details unavailable ({type(exc).__name__}: {exc})")
    try:
        diff = apply_plan(path, plan["parallel_config"], plan["recompute_config"], offset=plan.get("offset"),
                          micro_batch_num=plan.get("micro_batch_num"), dry_run=dry_run)
    except ValueError as exc:
        raise CommandError(f"{path}: {exc}", ExitCode.USAGE) from None
    if getattr(candidate, "fits", True) is False:  # the best layout still overflows: say so, do not hide it
        from mindpilot.presets.memory import gb

        need, usable = gb(candidate.worst.total), gb(candidate.usable_gb)
        message(words("check.fix_too_big", lang, file=path, need=need, usable=usable))
    result = {"file": path, "diff": diff, "written": bool(diff) and not dry_run, "plan": plan}
    if result["written"]:
        from mindpilot.fileio import backups_of

        original, newest = backups_of(path)
        result["backup"], result["original"] = str(newest or original), str(original)
    return result
