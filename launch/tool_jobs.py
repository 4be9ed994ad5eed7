"""Run a one-off command (a weight conversion, a data preprocessing, a self-test) as a tracked job: the same
supervisor, records and ``mindpilot jobs`` as training.

A conversion takes an hour on a 72B model; like a training job it must survive the SSH session and be
watchable from a new one. The command runs once (no msrun): the supervisor executes its argv directly and
its output goes to the job's console log, which ``attach`` and the TUI follow.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterator

from mindpilot.presets.tool_command import ToolCommand
from mindpilot.launch.command import LaunchCommand
from mindpilot.presets.preset import MAX_HANG_MINUTES, Preset


def tool_preset(command: ToolCommand) -> Preset:
    """The job record's preset: one process, no NPU checks, no Ascend variables."""
    script = command.argv[1] if len(command.argv) > 1 else command.argv[0]
    return Preset(name=command.name, description=command.shell()[:200], framework="custom", script=script,
                  script_args=list(command.argv[2:]), workdir=command.cwd, cards=1, device="cpu",
                  log_dir=str(Path(command.cwd) / "output" / f"{command.name}_log"), use_checkouts=False,
                  ms_enable_lccl=None, hccl_connect_timeout=None, hccl_exec_timeout=None,
                  hang_minutes=MAX_HANG_MINUTES)  # a conversion prints no training steps: never call it hung


def start_tool_job(command: ToolCommand) -> Any:
    """Start ``command`` under the job supervisor; returns the ``JobRecord`` (raises ``LaunchError``)."""
    from mindpilot.launch.runner import LaunchError, start_job

    if not command.argv:
        raise LaunchError("nothing to run for this step")
    if not Path(command.cwd).expanduser().is_dir():
        raise LaunchError(f"no such directory: {command.cwd} (the framework checkout)")
    preset = tool_preset(command)
    launch = LaunchCommand(argv=list(command.argv), env={"PYTHONUNBUFFERED": "1"},
                           cwd=str(Path(command.cwd).expanduser()))
    return start_job(preset, launch, preset.log_dir)


def console_chunks(job_id: str, poll: float = 0.2, chunk: int = 1 << 16,
                   stop: Callable[[], bool] = lambda: False) -> Iterator[tuple[Any, str]]:
    """``(record, new console text)`` of a tool job until it ends (its output read to the end) or ``stop()``.

    The last pair carries the final record (its text may be empty); the CLI prints the text, the TUI writes
    it to its log panel.
    """
    from mindpilot.launch.jobs import load_job
    from mindpilot.launch.runner import FINAL

    offset = 0
    while True:
        record = load_job(job_id).refreshed()
        final = record.status in FINAL
        while True:
            text, offset = _read_from(record.msrun_log, offset, chunk)
            if not text:
                break
            yield record, text
            if not final:
                break  # drain the rest only once the job has ended
        if final or stop():
            yield record, ""
            return
        time.sleep(poll)


def _read_from(path: Any, offset: int, limit: int) -> tuple[str, int]:
    """Up to ``limit`` bytes of ``path`` from ``offset`` as text, and the offset after them."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(limit)
    except OSError:
        return "", offset
    return data.decode("utf-8", errors="replace"), offset + len(data)
