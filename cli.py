"""The ``mindpilot`` command: subcommands for scripts and CI, the TUI when run bare on a terminal.

This module is the only door to Textual: ``mindpilot.tui`` is imported inside :func:`_open_tui`,
so every subcommand runs without loading Textual or Rich.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Optional, Sequence

from mindpilot import __version__
from mindpilot.commands import COMMANDS
from mindpilot.commands.output import CommandError, common_parser, lang_of, message
from mindpilot.exit_codes import ExitCode
from mindpilot.i18n import LANGS
from mindpilot.datafiles import DataFileError
from mindpilot.terminal_text import VisibleStream


class _OneLineErrors(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line on stderr (not the whole usage block), exit 2.

    Subparsers are built with the parent's class, so every subcommand behaves the same.
    """

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        from mindpilot.redact import redact_log_line, secret_values

        message = redact_log_line(message, secret_values())  # it may echo `--env HF_TOKEN=...` back
        self.exit(int(ExitCode.USAGE), f"{self.prog}: {message} (see: {self.prog} --help)\n")


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The argparse tree: global flags plus one subparser per module in :data:`COMMANDS` (only the one named
    ``only``, when the command line names it: each module imported and each parser built costs start-up)."""
    parser = _OneLineErrors(
        prog="mindpilot",
        description="Ascend NPU training assistant: doctor, plan, check, diagnose, launch. "
                    "Run without a subcommand on a terminal to open the guided TUI.",
    )
    parser.add_argument("--version", action="version", version=f"mindpilot {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="TUI on the built-in demo environment (8x 910B, no NPU needed)")
    # Its own dest: a subcommand's --lang default (None) would otherwise erase `mindpilot --lang zh check ...`.
    parser.add_argument("--lang", dest="global_lang", choices=LANGS, default=None,
                        help="zh or en (default: from LANG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_parser()
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f"mindpilot.commands.{name}").add_parser(subparsers, common)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI and return an :class:`ExitCode` value."""
    args = _tui_flags(list(sys.argv[1:] if argv is None else argv))
    on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if args is not None and on_terminal:
        return _run(argv, args, on_terminal)
    # Every line a command prints passes the one output boundary: text from a log, a preset, a probe or
    # a record is shown, never obeyed, by the terminal (the TUI draws through its own widgets).
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(out), VisibleStream(err)
    try:
        return _run(argv, args, on_terminal)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: Optional[Sequence[str]], args: Optional[argparse.Namespace], on_terminal: bool) -> int:
    parser = None
    if args is None or not on_terminal:
        # `mindpilot [--demo] [--lang L]` on a terminal goes straight to the TUI without building the parsers
        # of every subcommand: the first frame is what a user waits for
        parser = build_parser(_named_command(list(sys.argv[1:] if argv is None else argv)))
        args = parser.parse_args(argv)
    if getattr(args, "lang", None) is None:
        args.lang = args.global_lang
    try:
        if args.command is None:
            if parser is not None:  # not a terminal
                parser.print_help(sys.stderr)
                message("mindpilot: no subcommand and not a terminal; pick a subcommand (see above).")
                return int(ExitCode.USAGE)
            return int(_open_tui(args))
        return int(args.func(args))
    except CommandError as exc:
        message(f"mindpilot {args.command or ''}: {exc}".replace("  ", " "))
        return int(exc.code)
    except DataFileError as exc:
        message(f"mindpilot: {exc}")
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        message("mindpilot: interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # `mindpilot ... | head`: the reader left. Point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and keep the exit status of the work that was done.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except OSError as exc:
        # A path the user named cannot be read or written (a directory, a missing folder, no permission,
        # a full disk): one line naming it, never a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        message(f"mindpilot {args.command or ''}: {where}{exc.strerror or exc}".replace("  ", " "))
        return int(ExitCode.USAGE)


def _named_command(argv: list[str]) -> Optional[str]:
    """The subcommand ``argv`` names after the global flags, or None when a flag there is not a plain global one
    (``--help`` and ``--version`` print about every command; a mistyped flag is reported by the whole tree)."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--lang":
            next(tokens, None)
        elif token.startswith("--lang=") or token == "--demo":
            continue
        else:
            return None if token.startswith("-") else token
    return None


def _tui_flags(argv: list[str]) -> Optional[argparse.Namespace]:
    """The TUI's flags when ``argv`` holds nothing else (``--demo``, ``--lang zh``), else None."""
    demo, lang = False, None
    while argv:
        token = argv.pop(0)
        if token == "--demo":
            demo = True
        elif token == "--lang" and argv and argv[0] in LANGS:
            lang = argv.pop(0)
        elif token.startswith("--lang=") and token.split("=", 1)[1] in LANGS:
            lang = token.split("=", 1)[1]
        else:
            return None
    return argparse.Namespace(command=None, demo=demo, global_lang=lang, lang=lang)


def _open_tui(args: argparse.Namespace) -> ExitCode:
    """Start the Textual app (imported here, and only here)."""
    from mindpilot.tui.app import run_app

    return run_app(demo=args.demo, lang=lang_of(args))
