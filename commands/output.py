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
