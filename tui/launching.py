"""Adapters from the Launch step to ``mindpilot.launch``: which preset, which command, start, watch, stop.

The job runs under the launch core's supervisor in its own session, so it survives the TUI;
:func:`watch` is ``launch.runner.watch_job`` with a ``stop`` check on every poll, so that a worker
thread can detach (or the app quit) without waiting for the job to end.
"""

from __future__ import annotations

import importlib.util
import inspect
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from mindpilot.tui.core import CoreMissing, lang_flag


def _launch_core() -> Any:
    try:
        from mindpilot.launch import command, runner
    except ImportError as exc:
        raise CoreMissing("mindpilot.launch.runner") from exc
    return command, runner


def msrun_missing() -> Optional[str]:
    """Why the demo job cannot run here (no mindspore / no msrun), or None when it can."""
    if importlib.util.find_spec("mindspore") is None:
        return "mindspore"
    command, _ = _launch_core()
    return None if command.find_msrun() else "msrun"


def load_preset(name_or_path: str) -> Any:
    """A built-in preset by name (``demo``) or a preset YAML file."""
    try:
        from mindpilot.presets.preset import find_preset
    except ImportError as exc:
        raise CoreMissing("mindpilot.presets.preset") from exc
    return find_preset(name_or_path)


def commands_for(preset: Any, facts: Any = None) -> list[Any]:
    """One ``LaunchCommand`` per node for ``preset`` (PYTHONPATH from the doctor's checkouts)."""
    command, _ = _launch_core()
    return command.build_commands(preset, facts)


def log_dir_for(preset: Any, cwd: str) -> str:
    """The preset's log dir, relative to the command's working directory."""
    path = Path(preset.log_dir).expanduser()
    return str(path if path.is_absolute() else Path(cwd) / path)


def start(preset: Any, launch_command: Any, log_dir: str) -> Any:
    """Start the job under the supervisor; returns its ``JobRecord`` (raises ``LaunchError``)."""
    _, runner = _launch_core()
    return runner.start_job(preset, launch_command, log_dir)


def watch(job_id: str, lang: str, stop: Callable[[], bool], poll_interval: float = 0.05) -> Iterator[Any]:
    """Events of the job until it ends (then an ``ExitEvent``) or until ``stop()`` is true."""
    _, runner = _launch_core()
    if "stop" in inspect.signature(runner.watch_job).parameters:
        yield from runner.watch_job(job_id, lang=lang, stop=stop)
        return
    from mindpilot.launch.events import ExitEvent
    from mindpilot.launch.jobs import load_job
    from mindpilot.launch.tail import LogFollower

    record = load_job(job_id)
    hang_after = float(record.preset.get("hang_minutes", 10.0)) * 60
    follower = LogFollower(record.log_dir, [record.msrun_log], hang_after=hang_after, lang=lang)
    try:
        while not stop():
            done = runner.job_finished(job_id)
            events = follower.poll(final=done)
            yield from events
            if done:
                break
            if not events:
                time.sleep(poll_interval)
        else:
            return
    finally:
        follower.close()
    record = load_job(job_id)
    first = follower.failures.first_failure() if record.status != "succeeded" else None
    yield ExitEvent(code=record.exit_code, status=record.status, first_failure=first.to_dict() if first else None)


def stop_job(job_id: str) -> list[int]:
    """Stop every process of the job; returns pids still alive (empty when it worked)."""
    _, runner = _launch_core()
    return runner.stop_job(job_id)


def launch_argv(demo: bool, preset: str, lang: str) -> list[str]:
    """The CLI command that repeats the Launch step."""
    target = ["--demo"] if demo and preset == "demo" else [preset or "PRESET"]
    return ["mindpilot", "launch", *target, *lang_flag(lang)]


def preflight(preset: Any, facts: Any, lang: str, log_dir: str) -> list[Any]:
    """Preflight findings for launching ``preset`` here (empty when the core has no preflight)."""
    try:
        from mindpilot.launch.preflight import preflight as run_preflight
    except ImportError:
        return []
    return run_preflight(preset, facts, lang=lang, log_dir=log_dir)
