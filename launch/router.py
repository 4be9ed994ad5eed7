"""One router for every input: a file, a directory, a job id or a paste is classified once and gets
every analyser that applies, so ``diagnose``, ``check`` and the TUI report the same findings for it.

* a log file, an msrun log directory, a job id (its log directory) or ``-`` (a pasted report): the
  knowledge-base scan, then the live view's own recognition (first unknown error, consequences);
* a launch script: the knowledge base's script rules and ``check``'s script rules;
* a YAML or JSON config, or a preset (a file or a built-in name): ``check``'s rules for its kind (the kinds
  are registered in :data:`mindpilot.validators.check.FILE_KINDS`).

It sits at the top of the core because it needs all of it: the job store, the validators, and the live
view's failure tracking (:mod:`mindpilot.launch.postmortem`).
"""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, Optional, Sequence

from mindpilot.validators.findings import Finding
from mindpilot.validators.kb.report import DiagnoseReport

LOG, LOG_DIR, JOB, PASTE, SCRIPT, CONFIG, PRESET = "log", "log_dir", "job", "paste", "script", "config", "preset"
"""What an input is taken for (a config's own kind, ``mindformers`` ..., comes from ``check``)."""
LABELS = {LOG: ("log", "日志"), LOG_DIR: ("msrun log directory", "msrun 日志目录"), JOB: ("job", "任务"),
          PASTE: ("pasted text", "粘贴的文本"), SCRIPT: ("launch script", "启动脚本"), PRESET: ("preset", "预设")}
"""How the summary names an input that is not a config (configs are named by ``check.kind_label``)."""

SCRIPT_SUFFIXES = (".sh", ".bash")
LOG_SUFFIXES = (".log", ".txt", ".out", ".err")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
HEAD_BYTES = 64 << 10
"""Bytes read from a file of no telling suffix to see whether it is a launch script."""
MAX_PASTE = 64 << 20
"""Standard input is scanned whole, and its first this-many bytes are kept for the live view's
recognition (a pasted report is kilobytes; a piped log may be gigabytes)."""
JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
"""What may be looked up in the job store (no path separators)."""


class InputError(ValueError):
    """An argument that is no file, directory, built-in preset or job, or nothing could be read (the CLI
    says so in one line, exit 2)."""


@dataclass(frozen=True)
class Route:
    """One input as the user gave it, and how it is read."""

    given: str
    """The argument as typed."""
    kind: str
    """:data:`LOG`, :data:`LOG_DIR`, :data:`JOB`, :data:`PASTE`, :data:`SCRIPT`, :data:`CONFIG` or :data:`PRESET`."""
    path: str
    """What is read: the file, the directory, the job's log directory, or ``-``."""


def classify(raw: str) -> Route:
    """What ``raw`` is; :class:`InputError` when it is no path, built-in preset or job id."""
    if raw == "-":
        return Route(raw, PASTE, "-")
    path = Path(raw)
    if path.is_dir():
        return Route(raw, LOG_DIR, raw)
    if path.is_file():
        return Route(raw, _file_kind(path), raw)
    if path.exists():  # a FIFO, a device or a socket may never end
        from mindpilot.validators.kb.diagnose import not_a_regular_file

        raise InputError(not_a_regular_file(raw))
    from mindpilot.presets.preset import builtin_presets

    if raw in builtin_presets():
        return Route(raw, PRESET, raw)
    if JOB_ID.fullmatch(raw):
        from mindpilot.launch.jobs import load_job

        try:
            return Route(raw, JOB, load_job(raw).log_dir)
        except KeyError:
            pass
    raise InputError(f"no such file, directory, preset or job: {raw}")


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(CONFIG_SUFFIXES):
        return CONFIG
    if name.endswith(SCRIPT_SUFFIXES):
        return SCRIPT
    if name.endswith(LOG_SUFFIXES):
        return LOG
    from mindpilot.validators.check.scripts import is_launch_script
    from mindpilot.validators.kb.scan import decode

    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return LOG  # the scan reports why it cannot be read
    return SCRIPT if head.startswith(b"#!") or is_launch_script(decode(head), name) else LOG


class _Kept:
    """Standard input read through, its first ``limit`` bytes kept (for a second look after the scan)."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream, self.limit, self.kept = stream, limit, io.BytesIO()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        room = self.limit - self.kept.tell()
        if room > 0:
            self.kept.write(data[:room])
        return data


_SCAN_KIND = {LOG: "log", LOG_DIR: "log_dir", JOB: "log_dir", PASTE: "stdin", SCRIPT: "script"}


def analyse(raws: Sequence[str], lang: str = "en", *, cards: Optional[int] = None, hbm_gb: Optional[float] = None,
            skip_paths: bool = False, stdin: Optional[BinaryIO] = None,
            installed: Optional[Dict[str, str]] = None) -> DiagnoseReport:
    """Every finding for every input: root cause and consequences of logs, rules of scripts and configs.
    ``installed``: package versions of the job's interpreter for the texts that name a pair (``diagnose --python``).

    Raises:
        InputError: an argument is no file, directory or job.
        DataFileError: a config or script cannot be read.
    """
    routes = [classify(raw) for raw in raws]
    paste = _Kept(stdin if stdin is not None else sys.stdin.buffer, MAX_PASTE)
    scanned = [(_SCAN_KIND[route.kind], route.path) for route in routes if route.kind in _SCAN_KIND]
    report = DiagnoseReport()
    if scanned:
        from mindpilot.validators.kb.diagnose import DiagnoseInputError, scan_inputs

        try:
            report = scan_inputs(scanned, lang, paste, installed=installed)  # type: ignore[arg-type]
        except DiagnoseInputError as exc:
            raise InputError(str(exc)) from exc
    pasted = paste.kept.getvalue() if any(route.kind == PASTE for route in routes) else None
    if any(route.kind not in (SCRIPT, CONFIG, PRESET) for route in routes):
        _after_the_scan(report, lang, pasted)
    scripts = {route.path for route in routes if route.kind == SCRIPT}
    for finding in report.findings:
        _drop_self_commands(finding, finding.file in scripts)
    kinds, referenced = _check(routes, report, lang, cards, hbm_gb, skip_paths)
    report.inputs = [{**kinds.get(route.path, {"kind": route.kind}), "file": route.given,
                      **({"log_dir": route.path} if route.kind == JOB else {})} for route in routes] + referenced
    from mindpilot.redact import redact_model, secret_values

    return redact_model(report, secret_values())  # the live view's lines too: no token goes with them


def _after_the_scan(report: DiagnoseReport, lang: str, pasted: Optional[bytes]) -> None:
    """The steps after a log's scan: the catch-alls and the live view's replay settle the root cause; the last four
    only refine one (the rest of its message quoted, a framework defect, a version pair, a chip), so a log without
    any is spared their imports."""
    from mindpilot.launch.catch_alls import point_at_the_details, prefer_exception_to_catch_all
    from mindpilot.launch.failure_lines import regions_kept
    from mindpilot.launch.postmortem import add_live_view_findings

    with regions_kept():
        prefer_exception_to_catch_all(report, lang, pasted)
        point_at_the_details(report, pasted)
        add_live_view_findings(report, lang, pasted)
        if report.root_cause is None:
            return
        from mindpilot.launch.chip_support import name_unsupported_chip
        from mindpilot.launch.defect import name_framework_defect
        from mindpilot.launch.quoted_lines import quote_the_rest
        from mindpilot.launch.version_pairs import name_unpaired_versions

        quote_the_rest(report, pasted)
        name_framework_defect(report, lang, pasted)
        name_unpaired_versions(report, lang, pasted)
        name_unsupported_chip(report, lang, pasted)


def input_label(kind: str, lang: str = "en") -> str:
    """What the summary calls an input of ``kind`` (a config by the schema it was read as)."""
    if kind in LABELS:
        return LABELS[kind][1 if lang == "zh" else 0]
    from mindpilot.validators.check import kind_label

    return kind_label(kind, lang)


def _drop_self_commands(finding: Finding, in_script: bool) -> None:
    """Drop fix commands that only repeat what the user just ran: ``mindpilot diagnose`` for a log (the
    live view shows it; diagnose has just run), ``mindpilot check`` for a script (it has just been checked)."""
    if not finding.fix or "$ mindpilot " not in finding.fix:
        return
    repeats = ("$ mindpilot diagnose", "$ mindpilot check") if in_script else ("$ mindpilot diagnose",)
    finding.fix = "\n".join(line for line in finding.fix.splitlines() if not line.startswith(repeats))


def _check(routes: list[Route], report: DiagnoseReport, lang: str, cards: Optional[int], hbm_gb: Optional[float],
           skip_paths: bool) -> tuple[dict[str, dict], list[dict]]:
    """``check``'s rules on the scripts, configs and presets, merged into ``report``; returns each checked
    file's entry (its kind; a preset's cards), and the files that configs and presets name (checked too)."""
    paths = [route.path for route in routes if route.kind in (SCRIPT, CONFIG, PRESET)]
    if not paths:
        return {}, []
    from mindpilot.validators.check.preset_file import check_targets

    checked = check_targets(paths, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
    root = report.findings[:1] if report.root_cause is not None else []
    rest = report.findings[len(root):] + checked.findings
    report.findings = root + sorted(rest, key=lambda f: (bool(getattr(f, "consequence", False)), f.severity.rank))
    given = {route.path: route.path for route in routes}
    if any(route.kind == PRESET for route in routes):  # a built-in name is reported by its file
        from mindpilot.presets.preset import builtin_presets

        given.update({str(builtin_presets()[route.path]): route.path for route in routes if route.kind == PRESET})
    kinds = {given[entry["file"]]: dict(entry) for entry in checked.files
             if entry["file"] in given and "referenced_by" not in entry}
    # A preset names its config and scripts (and a built-in preset its own file): listed after the inputs.
    named = [entry for entry in checked.files if entry["file"] not in given or "referenced_by" in entry]
    return kinds, [entry for entry in named if entry.get("kind") != PRESET]
