"""``mindpilot preset``: list, show, make, render and describe job presets.

A preset is the single source of truth for a job (:class:`mindpilot.presets.preset.Preset`). ``new``
builds one from flags (the TUI saves a session through the same :func:`~mindpilot.presets.store.save_preset`),
``render`` writes the files a job runs from, ``schema`` prints the JSON Schema editors and CI linters read,
and ``check PRESET`` (the check command) validates one with every file it names.
"""

from __future__ import annotations

import argparse
from typing import Any

from mindpilot.commands.output import CommandError, emit_json, lang_of, message, words
from mindpilot.exit_codes import ExitCode
from mindpilot.fileio import write_atomic

ACTIONS = ("list", "show", "run-sh", "new", "render", "schema")


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``preset`` and its actions."""
    # No common flags here: each action has them (a flag before the action would be reset by the action's default).
    parser = subparsers.add_parser("preset", help="make, check, render and export job presets",
                                   description="Presets: list the built-in ones, show one, make one from flags, "
                                               "render the files a job runs from, print the JSON Schema. "
                                               "`mindpilot check PRESET` validates one.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="the built-in presets")
    for name, text in (("show", "the preset as YAML (JSON with --json)"), ("run-sh", "the run.sh it launches")):
        sub = actions.add_parser(name, parents=[common], help=text)
        sub.add_argument("preset", metavar="PRESET", help="preset file or built-in name")
        sub.add_argument("-o", "--output", help="write to this file instead of stdout (atomically)")
    new = actions.add_parser("new", parents=[common], help="a preset from flags (YAML, or JSON for *.json)",
                             description="Make a preset from flags; arguments after -- are the script's. "
                                         "Example: mindpilot preset new --name ft --script run_mindformer.py "
                                         "--config ft.yaml --cards 2 -o ft.preset.yaml -- --config ft.yaml")
    new.add_argument("--from", dest="base", metavar="PRESET",
                     help="start from this preset (file or built-in name); the other flags change it")
    new.add_argument("--name", help="short name (letters, digits, . _ -; default: job)")
    new.add_argument("--description", help="one line about the job")
    new.add_argument("--script", help="the task script msrun runs with python (needed without --from)")
    new.add_argument("--config", help="the job's MindFormers / MindRLHF YAML (check validates it)")
    new.add_argument("--cards", type=int, help="all workers over all nodes (msrun --worker_num; default 8)")
    new.add_argument("--nodes", type=int, help="number of nodes (default 1)")
    new.add_argument("--framework", choices=("mindformers", "mindrlhf", "mindspeed", "custom"),
                     help="default: mindformers")
    new.add_argument("--model", help="model id or directory (plan and tokenizer check)")
    new.add_argument("--workdir", help="directory msrun runs in (the framework checkout)")
    new.add_argument("--tokenizer-dir", help="tokenizer directory (checked unless --skip-paths)")
    new.add_argument("--input", action="append", default=[], metavar="PATH", help="a path that must exist (repeat)")
    new.add_argument("--related", action="append", default=[], metavar="FILE",
                     help="another file check reads with the config, e.g. a conversion script (repeat)")
    new.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                     help="a variable (repeat); a secret's NAME alone is saved as *** and passed by name")
    new.add_argument("-o", "--output", help="write to this file (atomically; an old one is kept as .bak)")
    new.add_argument("script_args", nargs="*", metavar="ARGS", help="the script's arguments (after --)")
    render = actions.add_parser("render", parents=[common], help="write run.sh, env.sh, configs into a directory",
                                description="Write run.sh, env.sh, one node<N>.sh per node, the config with the "
                                            "preset's plan applied, the related files and preset.yaml (pointing "
                                            "at the copies) into DIR. The same preset gives the same bytes.")
    render.add_argument("preset", metavar="PRESET", help="preset file or built-in name")
    render.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    render.add_argument("--allow-file", action="append", default=[], metavar="PATH",
                        help="also copy this file if the preset names it outside the preset's own folder (repeat)")
    actions.add_parser("schema", parents=[common], help="the JSON Schema of a preset file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    return {"list": _list, "show": _show, "run-sh": _show, "new": _new, "render": _render,
            "schema": _schema}[args.action](args)


def _list(args: argparse.Namespace) -> ExitCode:
    from mindpilot.presets.preset import builtin_presets, load_preset

    names = {name: load_preset(path) for name, path in builtin_presets().items()}
    if args.json:
        emit_json([{"name": name, "description": p.description, "cards": p.cards} for name, p in names.items()])
    else:
        for name, preset in names.items():
            cards = words("preset.cards_one" if preset.cards == 1 else "preset.cards_many", lang_of(args),
                          n=preset.cards)
            print(f"{name:<38} {cards:<8} {preset.description}")
    return ExitCode.OK


def _show(args: argparse.Namespace) -> ExitCode:
    from mindpilot.launch.command import UnsafeCommandError, build_commands, render_run_sh, write_run_sh
    from mindpilot.presets.preset import find_preset

    preset = find_preset(args.preset)
    if args.action == "show":
        # A secret is shown (and exported) as ***: launching such a preset takes it from the environment.
        preset = preset.without_secrets()
        text = preset.to_json() + "\n" if args.json else preset.to_yaml()
    else:
        try:
            text = render_run_sh(build_commands(preset), preset)
        except UnsafeCommandError as exc:
            raise CommandError(f"{args.preset}: {exc}", ExitCode.USAGE) from None
    if args.output:
        write_run_sh(args.output, text) if args.action == "run-sh" else write_atomic(args.output, text)
        _wrote(args, args.output)
    else:
        print(text, end="")
    return ExitCode.OK


def _wrote(args: argparse.Namespace, path: Any) -> None:
    message(words("preset.wrote", lang_of(args), file=path))


def _new(args: argparse.Namespace) -> ExitCode:
    from pydantic import ValidationError

    from mindpilot.presets.names import env_flag
    from mindpilot.presets.preset import Preset
    from mindpilot.presets.store import preset_text, preset_to_json, save_preset
    from mindpilot.datafiles import plain_message

    env = {}
    for item in args.env:
        try:
            key, value = env_flag(item)  # a secret's NAME alone: saved as ***, passed by name at launch
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        env[key] = value
    fields = {"name": args.name, "description": args.description, "script": args.script,
              "script_args": list(args.script_args) or None, "config": args.config, "cards": args.cards,
              "nodes": args.nodes, "framework": args.framework, "model": args.model, "workdir": args.workdir,
              "tokenizer_dir": args.tokenizer_dir, "input_files": args.input or None,
              "related_files": args.related or None}
    base: dict[str, Any] = {}
    if args.base:
        from mindpilot.presets.preset import find_preset

        base = find_preset(args.base).model_dump(exclude_defaults=True)
    elif not args.script:
        raise CommandError("--script is needed (or start from a preset: --from NAME)")
    merged = {**base, **{k: v for k, v in fields.items() if v is not None}}
    merged["env"] = {**base.get("env", {}), **env}
    try:
        preset = Preset(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        flag = "--" + loc.replace("_", "-") if loc else "preset"
        raise CommandError(f"{flag}: {plain_message(first)}") from None
    if args.output:
        save_preset(preset, args.output)
        _wrote(args, args.output)
    else:
        print(preset_to_json(preset) if args.json else preset_text(preset, "preset.yaml"), end="")
    return ExitCode.OK


def _render(args: argparse.Namespace) -> ExitCode:
    from pathlib import Path

    from mindpilot.launch.render import SourceRule, render_preset
    from mindpilot.presets.preset import find_preset

    preset = find_preset(args.preset)
    # the folder of the preset file itself (a link to it names no other folder); a built-in: the package only
    folder = Path(args.preset).resolve().parent if Path(args.preset).is_file() else None
    try:
        files = render_preset(preset, args.out, SourceRule.of(folder, args.allow_file))
    except ValueError as exc:  # a config key MindFormers would reject, or a YAML the splicer cannot edit
        raise CommandError(str(exc)) from None
    if args.json:
        emit_json([{"file": str(f.path), "changed": f.changed} for f in files])
    for item in files:
        message(words("preset.render_wrote" if item.changed else "preset.render_unchanged", lang_of(args),
                      file=item.path))
    return ExitCode.OK


def _schema(args: argparse.Namespace) -> ExitCode:
    from mindpilot.presets.store import preset_schema_text

    print(preset_schema_text(), end="")
    return ExitCode.OK
