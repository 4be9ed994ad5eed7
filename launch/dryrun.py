"""Run MindSpore's DryRun of a MindFormers config as one tracked job, read every rank back, keep the results.

The job is :mod:`mindpilot.launch.dryrun_driver` under the usual supervisor (``jobs``, ``attach``, ``stop``); it
compiles the ranks :func:`mindpilot.validators.dryrun.ranks_to_run` chose, one after the other. Each finished
DryRun is kept as JSON (data only) in the user data directory, so ``plan`` can show our estimate beside the
framework's figure for that model and ``bench/dryrun_error.py`` can measure the estimate's error.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from mindpilot.validators.dryrun import MARK, DryRunReport, RankChoice, RankResult, read_rank_log

ENTRY = "run_mindformer.py"
"""MindFormers' training entry, in the checkout (``python run_mindformer.py --config FILE``)."""
DEFAULT_RANK_TIMEOUT = 3600.0
"""Seconds one rank may compile: a 70B graph takes minutes on a notebook's CPU."""
MAX_RECORD_BYTES = 1 << 20
MAX_RANK_LOG_BYTES = 8 << 30
"""Most bytes read from one rank's log."""
_EXIT = re.compile(re.escape(MARK) + r" rank (\d+) exit (-?\d+)")


def cann_toolkit() -> Optional[str]:
    """The CANN toolkit's version on this host, or None: DryRun mocks the NPU, not CANN's compiler."""
    from mindpilot.validators.probe.ascend import find_cann

    version, _, _ = find_cann(Path("/"), os.environ)
    return version


def driver_argv(python: str, config: str, cards: int, choices: list[RankChoice], log_dir: str,
                timeout: float = DEFAULT_RANK_TIMEOUT) -> list[str]:
    """The job's argv: the driver, then the training command every rank runs."""
    ranks = ",".join(f"{choice.rank}:{choice.stage}" for choice in choices)
    return [sys.executable, "-m", "mindpilot.launch.dryrun_driver", "--rank-size", str(cards), "--ranks", ranks,
            "--log-dir", log_dir, "--timeout", f"{timeout:g}", "--", python, ENTRY, "--config", config]


def start_dryrun(python: str, checkout: str, config: str, cards: int, choices: list[RankChoice],
                 timeout: float = DEFAULT_RANK_TIMEOUT) -> Any:
    """Start the DryRun job in ``checkout``; its ``JobRecord`` (raises ``LaunchError``)."""
    from mindpilot.launch.tool_jobs import tool_preset
    from mindpilot.presets.tool_command import ToolCommand
    from mindpilot.launch.command import LaunchCommand
    from mindpilot.launch.jobs import new_job_id, state_dir
    from mindpilot.launch.runner import job_log_dir, start_job

    job_id = new_job_id("dryrun")
    log_root = str(state_dir() / "dryrun")
    argv = driver_argv(python, str(Path(config).resolve()), cards, choices, job_log_dir(log_root, job_id), timeout)
    preset = tool_preset(ToolCommand(name="dryrun", argv=argv, cwd=checkout))
    preset.log_dir = log_root
    return start_job(preset, LaunchCommand(argv=argv, env={"PYTHONUNBUFFERED": "1"}, cwd=checkout), log_root,
                     job_id=job_id)


def read_ranks(record: Any, choices: list[RankChoice]) -> list[RankResult]:
    """Every chosen rank's result from the job's logs (a rank the job never reached has no exit code)."""
    codes: dict[int, int] = {}
    try:
        with open(record.msrun_log, "rb") as handle:
            for line in handle.read(MAX_RECORD_BYTES).decode("utf-8", errors="replace").splitlines():
                found = _EXIT.search(line)
                if found:
                    codes[int(found.group(1))] = int(found.group(2))
    except OSError:
        pass
    results = []
    for choice in choices:
        log = Path(record.log_dir) / f"rank_{choice.rank}.log"
        try:
            result = read_rank_log(_bounded_lines(log), choice.rank, choice.stage)
        except OSError:
            result = RankResult(rank=choice.rank, stage=choice.stage)
        result.exit_code = codes.get(choice.rank)
        result.log = str(log) if log.is_file() else ""
        results.append(result)
    return results


def _bounded_lines(path: Path, max_bytes: int = MAX_RANK_LOG_BYTES, max_line: int = 1 << 16) -> Iterator[str]:
    """A rank's log line by line, each cut at ``max_line`` bytes, stopping after ``max_bytes`` in all.

    With ``GLOG_v=1`` a large model's log runs to hundreds of MB and its memory lines come last: the whole file
    is streamed (never held), up to a bound that a log written forever would reach.
    """
    with open(path, "rb") as handle:
        total = 0
        while total < max_bytes:
            line = handle.readline(max_line)
            if not line:
                return
            total += len(line)
            yield line.decode("utf-8", errors="replace")


def records_dir() -> Path:
    from mindpilot.userdata import data_dir

    return data_dir() / "dryrun"


def save_record(report: DryRunReport) -> Path:
    """Keep one DryRun (JSON, mode 0600, in a folder only this user can write); its path.

    Raises:
        UnsafeLocationError: the data directory could be written by someone else (nothing is written).
    """
    from mindpilot.userdata import write_private

    name = f"{report.job or time.strftime('%Y%m%d-%H%M%S')}.json"
    document = {**report.to_dict(), "recorded_at": time.time()}
    return write_private(records_dir() / name, json.dumps(document, ensure_ascii=False, indent=1))


def load_records(model: Optional[str] = None, limit: int = 10_000) -> list[dict[str, Any]]:
    """Kept DryRuns, newest first (of ``model`` only, when given); a file that is not one is skipped."""
    from mindpilot.userdata import list_private

    folder = records_dir()
    records = []
    for name in sorted(list_private(folder, ".json"))[-limit:]:
        record = _read_record(folder / name)
        if record is not None and (model is None or record["model"] == model):
            records.append(record)
    return sorted(records, key=lambda r: r["recorded_at"], reverse=True)


def _read_record(path: Path) -> Optional[dict[str, Any]]:
    """A kept DryRun as data, checked for the fields readers use (a file that is not one is only skipped)."""
    from mindpilot.userdata import read_private

    data = read_private(path, MAX_RECORD_BYTES)  # this user's regular file, in a folder no one else writes
    try:
        document = json.loads(data.decode("utf-8")) if data is not None else None
    except (ValueError, RecursionError):  # a damaged file, nested past the parser's stack too
        return None
    if not (isinstance(document, dict) and isinstance(document.get("model"), str)
            and isinstance(document.get("ranks"), list) and isinstance(document.get("hbm_gb"), (int, float))
            and isinstance(document.get("recorded_at"), (int, float)) and isinstance(document.get("layout"), dict)):
        return None
    document["ranks"] = [rank for rank in document["ranks"] if isinstance(rank, dict)
                         and isinstance(rank.get("stage"), int)
                         and all(isinstance(rank.get(key), (int, float, type(None)))
                                 for key in ("peak_mb", "actual_peak_mb", "estimate_gb"))]
    return document
