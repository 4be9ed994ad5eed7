"""``mindpilot model``: download a model with modelscope (resuming), list the cache, check completeness.

``model download ID [--local-dir DIR] [--revision REV]`` prints progress on stderr (``--json``: one JSON
object per line on stdout: progress, totals, done/error, then the check) and checks the result like
``model check DIR``: exit 0 when complete, 1 when a file is missing or short, 4 when the download failed.
"""

from __future__ import annotations

import argparse
import sys

from mindpilot.commands.output import (CommandError, emit_json, emit_json_line, lang_of, message, print_findings,
                                       words)
from mindpilot.exit_codes import ExitCode


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``model``."""
    parser = subparsers.add_parser(
        "model", parents=[common], help="download a model from ModelScope, find cached ones, check completeness",
        description="download: fetch a model with modelscope's own client (an interrupted download resumes); "
                    "list: models already in the modelscope cache; check: every shard named in *.index.json is "
                    "there with its size, plus tokenizer files and config.json; tokenizer-files: write vocab.json and "
                    "merges.txt from a BPE tokenizer.json (the Qwen data scripts read those two).")
    parser.add_argument("action", choices=("download", "list", "check", "tokenizer-files"), help="what to do")
    parser.add_argument("target", nargs="?", metavar="ID|DIR", help="model id (download) or model directory (check)")
    parser.add_argument("--local-dir", help="download into this directory (default: the modelscope cache)")
    parser.add_argument("--revision", help="branch, tag or commit (default: master)")
    parser.add_argument("--cache-dir", help="modelscope cache directory (default: $MODELSCOPE_CACHE)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> ExitCode:
    lang = lang_of(args)
    if args.action == "list":
        from mindpilot.acquire.cache import cached_models

        models = cached_models(args.cache_dir)
        if args.json:
            emit_json([{"id": m.model_id, "path": m.path} for m in models])
        else:
            for model in models:
                print(f"{model.model_id}  {model.path}")
        return ExitCode.OK
    if not args.target:
        raise CommandError(f"`model {args.action}` needs a {'model id' if args.action == 'download' else 'directory'}")
    if args.action == "check":
        return _check(args.target, args.json, lang, as_line=False)
    if args.action == "tokenizer-files":
        return _tokenizer_files(args.target, args.json)
    return _download(args, lang)


def _download(args: argparse.Namespace, lang: str) -> ExitCode:
    from mindpilot.acquire.download import (DownloadDone, DownloadFailed, DownloadTotals, download_model, event_dict,
                                            failure_findings, valid_model_id)

    if not valid_model_id(args.target):
        raise CommandError(f"not a ModelScope model id (owner/name): {args.target!r}")

    path = None
    for event in download_model(args.target, local_dir=args.local_dir, revision=args.revision,
                                 cache_dir=args.cache_dir):
        if args.json:
            emit_json_line(event_dict(event))
        if isinstance(event, DownloadTotals) and not args.json:
            _progress_line(event)
        elif isinstance(event, DownloadDone):
            path = event.path
        elif isinstance(event, DownloadFailed):
            if not args.json:
                _end_progress()
                print_findings(failure_findings(event, lang), lang, stream=sys.stderr)
            return ExitCode.LAUNCH_FAILED
    if not args.json:
        _end_progress()
        print(path)
    return _check(path or args.local_dir or "", args.json, lang, as_line=True)


def _check(path: str, as_json: bool, lang: str, as_line: bool) -> ExitCode:
    from mindpilot.acquire.model_check import check_model_dir
    from mindpilot.validators.findings import exit_code_for

    findings = check_model_dir(path, lang)
    if as_json:
        document = {"type": "check", "path": path, "findings": [f.to_dict() for f in findings]}
        emit_json_line(document) if as_line else emit_json(document)
    elif findings:
        print_findings(findings, lang)
    else:
        message(words("model.complete", lang, path=path))
    return exit_code_for(findings)


def _tokenizer_files(model_dir: str, as_json: bool) -> ExitCode:
    from mindpilot.acquire.tokenizer_files import TokenizerFileError, write_bpe_files

    try:
        written = write_bpe_files(model_dir)
    except (TokenizerFileError, OSError) as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        emit_json({"type": "tokenizer-files", "path": model_dir, "written": written})
    else:
        for path in written:
            print(path)
    return ExitCode.OK


def _progress_line(totals) -> None:
    percent = 100 * totals.done // totals.total if totals.total else 0
    text = f"{percent:3d}%  {totals.done / 1e6:,.1f}/{totals.total / 1e6:,.1f} MB  {totals.files_done}/{totals.files_seen}"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + text)
        sys.stderr.flush()


def _end_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\n")
