"""How subcommands talk: data on stdout (one JSON document with ``--json``), messages on stderr.

Imported by every command to build ``mindpilot --help``: it imports nothing heavy (no pydantic).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Iterable, Optional, TextIO

from mindpilot.exit_codes import ExitCode
from mindpilot.i18n import LANGS, detect_lang

if TYPE_CHECKING:
    from mindpilot.validators.findings import Finding


class CommandError(Exception):
    """A failure the CLI reports in one line on stderr and turns into an exit code (no traceback)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.code = code


def common_parser() -> argparse.ArgumentParser:
    """The flags every subcommand has: ``--json`` and ``--lang``."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parent.add_argument("--lang", choices=LANGS, default=None,
                        help="language of findings (default: from LC_ALL/LANG; zh when it starts with zh)")
    return parent


class _FormatAction(argparse.Action):
    """``--format json`` is ``--json``: the command's own JSON document."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        setattr(namespace, self.dest, values)
        if values == "json":
            namespace.json = True


FORMATS = ("text", "json", "junit", "sarif", "github")
"""``--format`` choices: those :mod:`mindpilot.validators.ci_formats` renders, named here so that building
``--help`` does not import the renderers (and pydantic with them); tests/test_startup.py checks they agree."""


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """``--format text|json|junit|sarif|github`` (``--json`` stays the short form of ``--format json``)."""
    parser.add_argument("--format", choices=FORMATS, default=None, action=_FormatAction,
                        help="output: text (default), json (= --json), junit (GitLab/Jenkins test report), "
                             "sarif (2.1.0, code scanning) or github (Actions ::error annotations)")


def ci_format(args: argparse.Namespace) -> Optional[str]:
    """``junit``, ``sarif`` or ``github`` when one was asked for, else None (text or JSON)."""
    fmt = getattr(args, "format", None)
    if fmt in (None, "text", "json"):
        if fmt == "text" and getattr(args, "json", False):
            raise CommandError("--json and --format text contradict each other; pick one")
        return None
    if getattr(args, "json", False):
        raise CommandError(f"--json and --format {fmt} contradict each other; pick one")
    return fmt


def emit_ci(args: argparse.Namespace, findings: Iterable[Finding], command: str) -> bool:
    """Print ``findings`` in the CI format of ``--format`` on stdout; False when text/JSON was asked for."""
    fmt = ci_format(args)
    if fmt is None:
        return False
    from mindpilot import __version__
    from mindpilot.validators.ci_formats import render

    sys.stdout.write(render(list(findings), fmt, command, __version__))
    sys.stdout.flush()
    return True


def lang_of(args: argparse.Namespace) -> str:
    """The language the user asked for, or the one their locale implies."""
    return getattr(args, "lang", None) or detect_lang()


def emit_json(document: Any, stream: Optional[TextIO] = None) -> None:
    """Write one JSON document (UTF-8, not ASCII-escaped, so Chinese stays readable) to stdout."""
    out = stream or sys.stdout
    out.write(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    out.write("\n")
    out.flush()


def emit_json_line(event: Any, stream: Optional[TextIO] = None) -> None:
    """Write one JSON object on one line (for event streams such as ``launch --json``)."""
    out = stream or sys.stdout
    out.write(json.dumps(event, ensure_ascii=False, default=str))
    out.write("\n")
    out.flush()


def message(text: str) -> None:
    """A human message: always stderr, never mixed with data."""
    print(text, file=sys.stderr, flush=True)


def print_findings(findings: Iterable[Finding], lang: str, stream: Optional[TextIO] = None) -> None:
    """Human text for a list of findings on stdout."""
    from mindpilot.validators.text.findings import format_finding

    out = stream or sys.stdout
    for finding in findings:
        out.write(format_finding(finding, lang) + "\n")
    out.flush()


def terminal_width(stream: TextIO) -> int:
    """Columns to wrap text at: the terminal's (or ``COLUMNS``), 120 when the output is not a terminal."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif tty:
        width = shutil.get_terminal_size((121, 24)).columns
    else:
        width = 121
    return max(40, min(400, width - 1))


def print_report(report: Any, lang: str, stream: Optional[TextIO] = None) -> None:
    """A diagnose report (also ``check`` of a log) as text on stdout, its reading problems on stderr."""
    from mindpilot.validators.text.findings import format_finding
    from mindpilot.validators.text.report import report_lines

    out = stream or sys.stdout
    lines = report_lines(report, lang, terminal_width(out))
    out.write("\n".join(lines) + ("\n" if lines else ""))
    out.flush()
    for note in report.notes:
        message(format_finding(note, lang))


def words(message_id: str, lang: str, /, **params: object) -> str:
    """The CLI message ``message_id`` (``commands/messages.yaml``) in ``lang``, placeholders filled (any
    name, ``key`` included: the first two arguments are positional only)."""
    from mindpilot.wording import text

    return text("messages", message_id, lang, **params)


def words_for(prefix: str, lang: str) -> dict[str, str]:
    """Every message whose key starts with ``prefix``, by the rest of its key, in ``lang`` (unfilled)."""
    from mindpilot.wording import wordbook

    return {key[len(prefix):]: entry.get(lang) for key, entry in wordbook("messages").items()
            if key.startswith(prefix)}
