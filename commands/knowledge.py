"""``mindpilot knowledge``: which framework releases the version knowledge covers, and learning new ones.

``mindpilot knowledge`` lists the releases the shipped table knows (and its date) and the releases
learned on this machine; ``mindpilot knowledge learn mindformers==2.2.0`` reads a new release's own
declarations from its wheel (pip download, no install) so that ``doctor`` and ``check`` know it.
"""

from __future__ import annotations

import argparse
import math
import sys

from mindpilot.commands.output import CommandError, emit_json, lang_of, message, words
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``knowledge`` and ``knowledge learn``."""
    parser = subparsers.add_parser(
        "knowledge", parents=[common], help="which framework releases the version checks know; learn new ones",
        description="Show which MindFormers / MindSpore / vLLM-MindSpore / MindSpeed releases the version checks "
                    "know and when that knowledge was checked; 'learn NAME==X' reads a newer release's own "
                    "declarations (pip download --no-deps, nothing installed) so doctor and check know it.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    learn = actions.add_parser("learn", parents=[common],
                               help="read a release's wheel: mindformers==2.2.0; or CANN's error catalogue: cann PATH",
                               description="Download NAME==X with pip (--no-deps, into a cache), read its METADATA, "
                                           "VERSION_MAP.json and config list, and keep them for doctor and check. "
                                           "'learn cann PATH' reads CANN's error-code catalogue (conf/error_manager/"
                                           "*.json of a CANN install, or a copied error_code.json) so that diagnose "
                                           "explains every E?????/W????? code in CANN's words, on any machine.")
    learn.add_argument("target", metavar="NAME==X", help="for example mindformers==2.2.0, or cann")
    learn.add_argument("path", metavar="PATH", nargs="?", default=None,
                       help="with 'cann': a CANN toolkit directory or an error_code.json file")
    learn.add_argument("--python", metavar="PATH", default=None,
                       help="the interpreter (path, command or conda env name) whose pip, pip config and mirror to use "
                            "(default: the one running mindpilot)")
    learn.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                       help="give up on pip after this long (default: 600)")
    learn.set_defaults(func=run_learn)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    """Print what the knowledge covers."""
    from mindpilot.validators.coverage import coverage

    document = coverage()
    if args.json:
        emit_json(document)
        return ExitCode.OK
    lang = lang_of(args)
    out = sys.stdout
    out.write(words("knowledge.table", lang, date=document["table_date"]) + "\n")
    for family, versions in document["table"].items():
        out.write(f"  {family:<16} {_span(versions)}\n")
    learned = document["learned"]
    out.write(words("knowledge.learned", lang, dir=document["overlay_dir"]) + "\n")
    for item in learned:
        configs = words("knowledge.configs", lang, n=item["configs"])
        out.write(f"  {item['name']:<16} {item['version']:<10} {item['learned']}  "
                  f"{configs}{'  VERSION_MAP' if item['version_map'] else ''}\n")
    if not learned:
        out.write("  -  " + words("knowledge.learn_hint", lang) + "\n")
    cann = document.get("cann_errors")
    out.write((words("knowledge.cann_errors", lang, codes=cann["codes"], version=cann["version"] or "?",
                     learned=cann["learned"], path=cann["from"]) if cann
               else words("knowledge.cann_errors_hint", lang)) + "\n")
    return ExitCode.OK


def run_learn(args: argparse.Namespace) -> ExitCode:
    """Learn one release; one line on failure (exit 2)."""
    from mindpilot.validators.learn import LearnError, learn

    if args.target == "cann":
        return _learn_cann(args)
    if args.path is not None:
        raise CommandError(f"learn {args.target}: unexpected PATH {args.path!r} (only 'learn cann PATH' takes one)",
                           ExitCode.USAGE)
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise CommandError(f"--timeout must be a positive number of seconds, got {args.timeout:g}", ExitCode.USAGE)
    try:
        release = learn(args.target, python=args.python, timeout=args.timeout)
    except LearnError as exc:
        raise CommandError(f"learn: {exc}", ExitCode.USAGE) from None
    summary = {"name": release.name, "version": release.version, "requires_python": release.requires_python,
               "requires": release.requires, "version_map": release.version_map is not None,
               "configs": len(release.configs), "wheel": release.wheel, "learned": release.learned}
    if args.json:
        emit_json(summary)
    else:
        message(f"learned {release.name} {release.version}: {len(release.requires)} requirements, "
                f"{'a VERSION_MAP, ' if release.version_map else ''}{len(release.configs)} configs "
                f"(from {release.wheel})")
    return ExitCode.OK


def _learn_cann(args: argparse.Namespace) -> ExitCode:
    """Import CANN's error catalogue from an install or a file; one line on bad input (exit 2)."""
    from pathlib import Path

    from mindpilot.validators.kb.cann_catalog import CatalogError, read_install, save_learned
    from mindpilot.validators.probe.ascend import find_cann

    if not args.path:
        raise CommandError("learn cann: give PATH, a CANN toolkit directory (e.g. /usr/local/Ascend/ascend-toolkit/"
                           "latest) or an error_code.json file", ExitCode.USAGE)
    path = Path(args.path)
    version = ""
    if path.is_dir():
        version = find_cann(Path("/"), {"ASCEND_HOME_PATH": str(path.resolve())})[0] or ""
    try:
        entries = read_install(path, version)
    except CatalogError as exc:
        raise CommandError(f"learn cann: {exc}", ExitCode.USAGE) from None
    try:
        stored = save_learned(entries, str(path.resolve()), version)
    except OSError as exc:
        raise CommandError(f"learn cann: cannot write {exc.filename}: {exc.strerror}", ExitCode.USAGE) from None
    codes = len({entry.code for entry in entries})
    if args.json:
        emit_json({"codes": codes, "version": version or None, "from": str(path), "stored": str(stored)})
    else:
        message(words("knowledge.learned_cann", lang_of(args), version=f"{version} " if version else "", codes=codes,
                      path=path, stored=stored))
    return ExitCode.OK


def _span(versions: list[str]) -> str:
    """``1.1.0 1.2.0 … 2.1.0 (11)`` within 60 columns."""
    text = " ".join(versions)
    if len(text) <= 60:
        return text
    return f"{' '.join(versions[:3])} … {' '.join(versions[-3:])} ({len(versions)})"
