"""``mindpilot preset``: list the built-in presets, show one as YAML or JSON, render its ``run.sh``.

A preset is the single source of truth for a job (:class:`mindpilot.presets.preset.Preset`); CI can
keep it as JSON and the ``run.sh`` rendering is what ``launch`` would run, every value shell-quoted.
"""

from __future__ import annotations

import argparse

from mindpilot.commands.output import emit_json, lang_of, message
from mindpilot.exit_codes import ExitCode
from mindpilot.fileio import write_atomic


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``preset``."""
    parser = subparsers.add_parser("preset", parents=[common], help="list, show or export job presets",
                                   description="Presets: list the built-in ones, show one (YAML, or JSON with "
                                               "--json), or render the run.sh it launches.")
    parser.add_argument("action", choices=("list", "show", "run-sh"), help="what to do")
    parser.add_argument("preset", nargs="?", help="preset file or built-in name (show, run-sh)")
    parser.add_argument("-o", "--output", help="write to this file instead of stdout (atomically)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    from mindpilot.commands.output import CommandError
    from mindpilot.launch.command import (UnsafeCommandError, build_commands, masked_env, render_run_sh,
                                          write_run_sh)
    from mindpilot.presets.preset import builtin_presets, find_preset, load_preset

    if args.action == "list":
        names = {name: load_preset(path) for name, path in builtin_presets().items()}
        if args.json:
            emit_json([{"name": name, "description": p.description, "cards": p.cards} for name, p in names.items()])
        else:
            for name, preset in names.items():
                cards = f"{preset.cards} 张卡" if lang_of(args) == "zh" else f"{preset.cards} cards"
                print(f"{name:<16} {cards}  {preset.description}")
        return ExitCode.OK
    if not args.preset:
        raise CommandError(f"`preset {args.action}` needs a preset name or file", ExitCode.USAGE)
    preset = find_preset(args.preset)
    if args.action == "show":
        # A secret is shown (and exported) as ***: launching such a preset takes it from the environment.
        preset = preset.model_copy(update={"env": masked_env(preset.env)})
        text = preset.to_json() + "\n" if args.json else preset.to_yaml()
    else:
        try:
            text = render_run_sh(build_commands(preset), preset)
        except UnsafeCommandError as exc:
            raise CommandError(f"{args.preset}: {exc}", ExitCode.USAGE) from None
    if args.output:
        write_run_sh(args.output, text) if args.action == "run-sh" else write_atomic(args.output, text)
        message(f"已写入 {args.output}" if lang_of(args) == "zh" else f"wrote {args.output}")
    else:
        print(text, end="")
    return ExitCode.OK
