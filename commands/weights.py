"""``mindpilot weights``: the weight conversion for the stack the doctor found, run as a tracked job on ``--run``.

MindFormers 1.x gets ``convert_weight.py`` (output: a .ckpt *file*); MindFormers 2.x and MindRLHF GRPO
load Hugging Face safetensors as they are, and the command says which YAML key to set instead; MindSpeed-LLM
gets ``convert_ckpt.py`` with ``--tp``/``--pp`` from the plan, and its result must hold TP×PP rank folders.
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import lang_of
from mindpilot.commands.tool_job import add_common, report, stack_for
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``weights``."""
    parser = subparsers.add_parser(
        "weights", parents=[common], help="the weight conversion command for your stack (convert_weight.py, convert_ckpt.py)",
        description="Print (and with --run, run as a tracked job) the exact weight conversion for the framework "
                    "and the MindFormers version the doctor found, then check its output.")
    add_common(parser)
    parser.add_argument("--tp", type=int, default=1, help="MindSpeed-LLM tensor parallel size (from the plan)")
    parser.add_argument("--pp", type=int, default=1, help="MindSpeed-LLM pipeline parallel size (from the plan)")
    parser.add_argument("--dtype", default="bf16", choices=("bf16", "fp16", "fp32"), help="weight dtype")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.acquire.weights import check_before, check_result, weights_command
    from mindpilot.commands.output import CommandError

    lang = lang_of(args)
    if args.tp < 1 or args.pp < 1:
        raise CommandError("--tp and --pp must be at least 1")
    command = weights_command(args.framework, stack_for(args), args.model_dir, args.output, tp=args.tp, pp=args.pp,
                              dtype=args.dtype, lang=lang)
    return report(command, check_before(command, lang), args, lang, check_result)
