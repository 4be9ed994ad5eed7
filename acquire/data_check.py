"""Checks of the data step: the input is data (not a web page), the output is where training will look.

Users have downloaded a Hugging Face *page* with wget and saved it as ``.parquet``, given
``--output-prefix`` as a folder, and trained at ``seq_length`` 8192 on a 4096 MindRecord. Each is
caught here before it becomes an error after graph compilation.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

from mindpilot.presets.tool_command import ToolCommand
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<!--")
PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 512


def check_dataset(path: str, lang: str = "en") -> list[Finding]:
    """The dataset file is not HTML; a ``.parquet`` has its magic at both ends."""
    file = Path(path).expanduser()
    if not file.is_file():
        return []  # a directory of files, or a path the script itself will report
    try:
        with open(file, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            handle.seek(max(file.stat().st_size - 4, 0))
            tail = handle.read(4)
    except OSError:
        return []
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    fmt = file.suffix.lstrip(".") or "data"
    if start.startswith(HTML_MARKERS):
        return [make_finding("acquire.dataset_is_html", lang, file=str(file), format=fmt)]
    if file.suffix == ".parquet" and not (head.startswith(PARQUET_MAGIC) and tail == PARQUET_MAGIC):
        return [make_finding("acquire.dataset_not_parquet", lang, file=str(file))]
    return []


def check_before(command: ToolCommand, lang: str = "en") -> list[Finding]:
    """A MindSpeed output prefix that is an existing folder; tokenizer files the scripts need but are not there."""
    if command.output_kind == "prefix" and command.output and Path(command.output).expanduser().is_dir():
        suggest = str(Path(command.output) / Path(command.output.rstrip("/")).name)
        return [make_finding("acquire.prefix_is_dir", lang, file=command.output, suggest=suggest)]
    return _check_tokenizer_inputs(command, lang)


def _check_tokenizer_inputs(command: ToolCommand, lang: str) -> list[Finding]:
    from mindpilot.acquire.tokenizer_files import TokenizerFileError, bpe_from_tokenizer_json, missing_tokenizer_inputs

    missing = missing_tokenizer_inputs(command.steps or [command.argv])
    if not missing:
        return []
    model_dir = str(Path(missing[0]).parent)
    names = ", ".join(Path(path).name for path in missing)
    try:
        bpe_from_tokenizer_json(model_dir)
    except TokenizerFileError:
        return [make_finding("acquire.tokenizer_files_missing", lang, file=model_dir, names=names)]
    return [make_finding("acquire.tokenizer_files_from_json", lang, file=model_dir, names=names,
                         model_dir=shlex.quote(model_dir))]


def check_result(command: ToolCommand, lang: str = "en", log: str = "LOG") -> list[Finding]:
    """After the run: the MindRecord and its ``.db``, or ``PREFIX_*.bin``/``.idx`` files."""
    if not command.output:
        return []
    out = Path(command.output).expanduser()
    if command.output_kind == "prefix":
        problems = check_before(command, lang)
        if problems:
            return problems
        if not list(out.parent.glob(out.name + "_*.idx")) or not list(out.parent.glob(out.name + "_*.bin")):
            return [make_finding("acquire.output_missing", lang, file=f"{command.output}_*.bin/.idx", log=log)]
        return []
    if not out.is_file():
        return [make_finding("acquire.output_missing", lang, file=command.output, log=log)]
    if not Path(str(out) + ".db").is_file():
        return [make_finding("acquire.mindrecord_missing_db", lang, file=command.output)]
    return []


def check_seq_length(seq_length: int, config: Optional[str], lang: str = "en") -> list[Finding]:
    """The preprocessing length equals the YAML's ``seq_length``."""
    from mindpilot.presets.config_facts import file_seq_length

    wanted = file_seq_length(config) if config else None
    if wanted is not None and wanted != seq_length:
        return [make_finding("acquire.seq_length_mismatch", lang, file=config, data=seq_length, yaml=wanted)]
    return []
