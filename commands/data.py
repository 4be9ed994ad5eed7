"""``mindpilot data``: the preprocessing command for the framework, checked, and run as a tracked job on ``--run``.

Alpaca -> MindRecord for MindFormers, ``rlhf_data.py`` (GSM8K) for MindRLHF GRPO, ``preprocess_data.py`` for
MindSpeed-LLM. Before running: the dataset is not a web page saved under a data name, the MindSpeed output
prefix is not a folder, and ``--seq-length`` equals the training YAML's (``--config``).
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import lang_of
from mindpilot.commands.tool_job import add_common, report, stack_for
from mindpilot.exit_codes import ExitCode
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``data``."""
    parser = subparsers.add_parser(
        "data", parents=[common], help="the dataset preprocessing command (MindRecord, rlhf_data.py, preprocess_data.py)",
        description="Print (and with --run, run as a tracked job) the preprocessing for the framework, after checking "
                    "the dataset file, the output prefix and the sequence length against the YAML.")
    parser.add_argument("dataset", help="the raw dataset file (alpaca_data.json, train.jsonl, *.parquet)")
    add_common(parser)
    parser.add_argument("--seq-length", type=int,
                        help=f"sequence length (default: the YAML's seq_length, else {DEFAULT_SEQ_LENGTH})")
    parser.add_argument("--config", help="the training YAML whose seq_length the data must match")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.acquire.data import data_command
    from mindpilot.acquire.data_check import check_before, check_dataset, check_result, check_seq_length
    from mindpilot.presets.config_facts import file_seq_length
    from mindpilot.commands.output import CommandError

    lang = lang_of(args)
    if args.seq_length is not None and args.seq_length < 1:
        raise CommandError("--seq-length must be at least 1")
    seq_length = args.seq_length or (file_seq_length(args.config) if args.config else None) or DEFAULT_SEQ_LENGTH
    command = data_command(args.framework, stack_for(args), args.dataset, args.model_dir, args.output,
                           seq_length=seq_length, lang=lang)
    findings = check_dataset(args.dataset, lang) + check_before(command, lang) + \
        check_seq_length(seq_length, args.config, lang)
    return report(command, findings, args, lang, check_result, extra={"seq_length": seq_length})
