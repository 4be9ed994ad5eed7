"""Run a preparation command as a tracked job: the same supervisor, records and ``mindpilot jobs`` as training.

A conversion takes an hour on a 72B model; like a training job it must survive the SSH session and be
watchable from a new one. The command runs once (no msrun): the supervisor executes its argv directly and
its output goes to the job's console log, which ``attach`` and the TUI follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mindpilot.acquire.tool_command import ToolCommand
from mindpilot.launch.command import LaunchCommand
from mindpilot.presets.preset import Preset


def tool_preset(command: ToolCommand) -> Preset:
    """The job record's preset: one process, no NPU checks, no Ascend variables."""
    script = command.argv[1] if len(command.argv) > 1 else command.argv[0]
    return Preset(name=command.name, description=command.shell()[:200], framework="custom", script=script,
                  script_args=list(command.argv[2:]), workdir=command.cwd, cards=1, device="cpu",
                  log_dir=str(Path(command.cwd) / "output" / f"{command.name}_log"), use_checkouts=False,
                  ms_enable_lccl=None, hccl_connect_timeout=None, hccl_exec_timeout=None, hang_minutes=0)


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
