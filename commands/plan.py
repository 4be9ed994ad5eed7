"""``mindpilot plan``: the parallel layouts that fit a model on the cards, ranked, and written into a YAML.

Data on stdout (a table with a memory bar per card, then the best plan as YAML to paste, written by
``commands/plan_text.py``; or one JSON document with ``--json``), messages on stderr. ``--apply FILE`` writes
the chosen candidate into the user's MindFormers YAML through :func:`mindpilot.presets.yaml_apply.apply_plan`
(diff shown first).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.text.columns import wrap
from mindpilot.commands.dryrun_cli import add_dryrun_options
from mindpilot.commands.output import CommandError, emit_json, lang_of, message
from mindpilot.commands.plan_text import gb, plan_labels, render_text
from mindpilot.commands.plan_verify import add_verify_option, check_verify_args, kept_dryrun, recorded_lines, verify
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH
from mindpilot.exit_codes import ExitCode

FRAMEWORKS = ("mindformers", "mindrlhf-grpo", "mindspeed-llm")


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "plan", parents=[common], help="rank parallel layouts (dp/mp/pp/cp/ep, recompute, offset) that fit",
        description="Enumerate every data/model/pipeline (and context/expert) parallel layout of a model "
                    "on N cards that satisfies the rules MindFormers, MindRLHF and MindSpeed-LLM enforce, "
                    "estimate memory per card, and rank them.")
    parser.add_argument("--model", default=None, metavar="NAME|DIR",
                        help="catalogue name (qwen2.5-7b, Qwen3-8B, llama3.1-70b ...), a model directory "
                             "with config.json, or a MindFormers YAML")
    parser.add_argument("--cards", type=int, required=True, help="number of NPUs in the job")
    parser.add_argument("--cards-per-node", type=int, default=8, help="NPUs per server (default 8)")
    parser.add_argument("--hbm", type=float, default=64, metavar="GB", help="HBM per card in GB (default 64)")
    parser.add_argument("--seq-len", type=int, default=None,
                        help="sequence length (default: the seq_length of the --apply or --model YAML, else "
                             f"{DEFAULT_SEQ_LENGTH})")
    parser.add_argument("--global-batch", type=int, default=None, help="global batch size (default: derived)")
    parser.add_argument("--framework", choices=FRAMEWORKS, default="mindformers")
    parser.add_argument("--pp-interleave", type=int, default=None, metavar="N",
                        help="plan for pipeline interleave with pp_interleave_num N (default: the --apply or "
                             "--model YAML's, when its pipeline interleave is on; else 1)")
    parser.add_argument("--top", type=int, default=5, metavar="K", help="candidates shown (default 5)")
    parser.add_argument("--apply", metavar="FILE", default=None,
                        help="write the best plan into this MindFormers YAML (keeps FILE.bak)")
    parser.add_argument("--pick", type=int, default=1, metavar="N", help="with --apply: use candidate N")
    parser.add_argument("--dry-run", action="store_true", help="with --apply: print the diff, write nothing")
    parser.add_argument("--force", action="store_true",
                        help="with --apply: write the candidate even when it does not fit the cards' memory")
    add_verify_option(parser)
    add_dryrun_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    lang = lang_of(args)
    _check_args(args)
    arch, candidates = _plan(args)
    labels = plan_labels(lang)
    args.pynative_data = pynative_data(args.apply or args.model)
    if not candidates:
        if args.json:
            emit_json({"model": arch.name, "cards": args.cards, "candidates": []})
        message(labels["none_found"].format(model=arch.name, cards=args.cards))
        return ExitCode.FINDINGS
    if args.verify:
        return verify(args, candidates, lang)
    diff: Optional[str] = None
    advice = None if any(c.fits for c in candidates) else _advice(arch, candidates, args)
    if args.apply:
        if not 1 <= args.pick <= len(candidates):
            raise CommandError(f"--pick {args.pick}: there are {len(candidates)} candidates")
        chosen = candidates[args.pick - 1]
        if not chosen.fits and not args.force and not args.dry_run:
            return _refuse(args, arch, chosen, candidates, advice, labels, lang)
        diff = _apply(args.apply, chosen, args.dry_run)
    if args.json:
        emit_json(_document(args, arch, candidates, advice, diff, lang))
    else:
        _print_text(args, arch, candidates, diff, labels, lang)
    return _after_output(args, arch, candidates, advice, diff, labels, lang)


def _plan(args: argparse.Namespace) -> tuple[Any, list]:
    """The model's architecture and the planner's candidates, best first (bad model or flags: one line)."""
    from mindpilot.presets.models import get_model
    from mindpilot.presets.planner import plan

    try:
        arch = get_model(args.model)
    except KeyError as exc:
        raise CommandError(str(exc.args[0] if exc.args else exc)) from exc
    if args.apply and not Path(args.apply).exists():  # a FIFO or device is refused by the reader, by name
        raise CommandError(f"--apply {args.apply}: no such file")
    interleave = _defaults_from_yaml(args)
    try:
        return arch, plan(arch, args.cards, cards_per_node=args.cards_per_node, hbm_gb=args.hbm,
                          seq_len=args.seq_len, global_batch=args.global_batch, framework=args.framework,
                          pp_interleave_num=interleave)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _after_output(args: argparse.Namespace, arch: Any, candidates: list, advice: Any, diff: Optional[str],
                  labels: dict[str, Any], lang: str) -> ExitCode:
    """What ``--apply`` wrote and the advice when nothing fits, on stderr; the exit code."""
    if args.apply:
        _say_applied(args, candidates[args.pick - 1], diff, labels)
    if advice is not None:
        _say_advice(advice, arch, args, labels, lang)
        return ExitCode.FINDINGS
    if args.apply and not candidates[args.pick - 1].fits and args.dry_run:
        return ExitCode.FINDINGS  # the preview is of a candidate that would be refused
    return ExitCode.OK


def _check_args(args: argparse.Namespace) -> None:
    """Flags that cannot go together or are out of range: a usage error before any work."""
    check_verify_args(args)
    if args.dry_run and not args.apply:
        raise CommandError("--dry-run needs --apply FILE")
    if args.apply and args.framework == "mindspeed-llm":
        raise CommandError("--apply writes a MindFormers YAML; for mindspeed-llm set the printed TP/PP/... "
                           "in your training script and convert_ckpt.py")
    if args.top < 1:
        raise CommandError(f"--top must be at least 1, got {args.top}")
    for flag, value in (("--cards", args.cards), ("--cards-per-node", args.cards_per_node), ("--hbm", args.hbm),
                        ("--seq-len", args.seq_len), ("--global-batch", args.global_batch),
                        ("--pp-interleave", args.pp_interleave), ("--pick", args.pick)):
        if value is not None and not (value > 0 and math.isfinite(value)):  # --hbm nan / inf parse as floats
            raise CommandError(f"{flag} must be a positive number, got {value:g}")


def _document(args: argparse.Namespace, arch: Any, candidates: list, advice: Any, diff: Optional[str],
              lang: str) -> dict[str, Any]:
    """The ``--json`` document: the candidates, whether any fits, advice, and what ``--apply`` wrote."""
    document = {"model": arch.name, "cards": args.cards, "cards_per_node": args.cards_per_node,
                "hbm_gb": args.hbm, "seq_len": args.seq_len, "framework": args.framework,
                "candidates": [c.to_dict(lang) for c in candidates], "fits": any(c.fits for c in candidates)}
    if advice is not None:
        document["advice"] = advice.to_dict()
    kept = kept_dryrun(arch.name)
    if kept is not None:  # the newest DryRun of this model: the framework's figure beside our estimate
        document["dryrun"] = kept
    if diff is not None:
        document["applied"] = {"file": args.apply, "pick": args.pick, "dry_run": args.dry_run, "diff": diff}
    if args.pynative_data is not None:  # the settings as the MindFormers 2.x PyNative YAML writes them
        from mindpilot.presets.pynative_plan import pynative_settings

        for entry, candidate in zip(document["candidates"], candidates):
            entry["pynative"] = pynative_settings(args.pynative_data, candidate)[0]
    return document


def _print_text(args: argparse.Namespace, arch: Any, candidates: list, diff: Optional[str],
                labels: dict[str, Any], lang: str) -> None:
    """The diff ``--apply`` made (or would make), then the table, unless it is only a dry run's diff."""
    out = sys.stdout
    if diff is not None:
        out.write(diff if diff.endswith("\n") or not diff else diff + "\n")
    if not (diff is not None and args.dry_run):
        out.write(render_text(arch.name, candidates, args, labels, lang))
        out.write("".join(line + "\n" for line in recorded_lines(arch.name, lang)))
    out.flush()


def _say_applied(args: argparse.Namespace, chosen: Any, diff: Optional[str], labels: dict[str, Any]) -> None:
    """After ``--apply``: a warning when the candidate overflows, then what was written (or that nothing was)."""
    if not chosen.fits:
        message(labels["apply_too_big"].format(pick=args.pick, need=gb(chosen.worst.total),
                                               usable=gb(chosen.usable_gb)))
    if args.dry_run:
        return
    if diff:
        message(wrote_message(labels, args.pick, args.apply))
    else:
        message(labels["unchanged"].format(pick=args.pick, file=args.apply))


def _defaults_from_yaml(args: argparse.Namespace) -> int:
    """Fill ``args.seq_len`` from the --apply (else --model) YAML, as it trains; return the interleave to plan for.

    Raises:
        DataFileError: the YAML is missing or does not parse.
    """
    from mindpilot.presets.config_facts import interleave, read_config, seq_length_or_default

    yaml_file = args.apply or (args.model if Path(args.model).is_file() else None)
    document = read_config(yaml_file) if yaml_file and (args.seq_len is None or args.pp_interleave is None) else None
    if args.seq_len is None:
        args.seq_len = seq_length_or_default(document)
    return args.pp_interleave if args.pp_interleave is not None else interleave(document)


def _advice(arch: Any, candidates: list, args: argparse.Namespace) -> Any:
    from mindpilot.presets.fit_advice import fit_advice

    return fit_advice(arch, args.cards, candidates, cards_per_node=args.cards_per_node, hbm_gb=args.hbm,
                      seq_len=args.seq_len, global_batch=args.global_batch, framework=args.framework,
                      pp_interleave_num=args.pp_interleave or 1)


def _say_advice(advice: Any, arch: Any, args: argparse.Namespace, labels: dict[str, Any], lang: str) -> None:
    message(labels["no_fit"].format(model=arch.name, cards=args.cards, hbm=args.hbm))
    for line in advice.lines(lang, args.seq_len):
        message("\n".join(wrap("  - " + line, "    ")))


def _refuse(args: argparse.Namespace, arch: Any, chosen: Any, candidates: list, advice: Any,
            labels: dict[str, Any], lang: str) -> ExitCode:
    """``--apply`` of a candidate that does not fit: write nothing, name one that fits or what would."""
    fitting = next((i for i, c in enumerate(candidates, 1) if c.fits), None)
    alternative = labels["alternative_pick"].format(fit=fitting) if fitting else labels["alternative_none"]
    message(labels["refused"].format(pick=args.pick, need=gb(chosen.worst.total), usable=gb(chosen.usable_gb),
                                     alternative=alternative))
    if args.json:
        emit_json({"model": arch.name, "cards": args.cards, "refused": args.pick, "fits": False,
                   "advice": advice.to_dict() if advice is not None else None})
    if advice is not None:
        _say_advice(advice, arch, args, labels, lang)
    return ExitCode.FINDINGS


def wrote_message(labels: dict[str, Any], pick: int, path: str) -> str:
    """"wrote ... (previous version: FILE.bak.N; original: FILE.bak)": where the replaced text went."""
    from mindpilot.fileio import backups_of

    original, newest = backups_of(path)
    text = labels["wrote"].format(pick=pick, file=path, backup=newest or original or f"{path}.bak")
    if newest is not None and original is not None:
        close = text[-1]
        text = text[:-1] + labels["original"].format(original=original) + close
    return text


def _apply(path: str, candidate: Any, dry_run: bool) -> str:
    """Write ``candidate`` into ``path`` with the round-trip YAML writer (``presets.yaml_apply``); return the diff."""
    from mindpilot.presets.yaml_apply import apply_plan

    return apply_plan(path, candidate.parallel_config, candidate.recompute_config, offset=candidate.offset,
                      micro_batch_num=candidate.micro_batch_num, dry_run=dry_run)


def pynative_data(path: Optional[str]) -> Optional[dict[str, Any]]:
    """The parsed YAML at ``path`` when it is a MindFormers 2.x PyNative config, else None."""
    from mindpilot.presets.config_facts import is_pynative
    from mindpilot.datafiles import DataFileError, read_yaml

    if not path or not Path(path).is_file() or not path.endswith((".yaml", ".yml")):
        return None
    try:
        document = read_yaml(path)
    except DataFileError:
        return None
    return dict(document) if is_pynative(document) else None


