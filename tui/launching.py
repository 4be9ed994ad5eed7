"""Adapters from the Launch step to ``mindpilot.launch``: which preset, which command, start, watch, stop.

The job runs under the launch core's supervisor in its own session, so it survives the TUI;
:func:`watch` is ``launch.runner.watch_job`` with its ``stop`` check on every poll, so that a worker
thread can detach (or the app quit) without waiting for the job to end; :func:`watch_batches` groups its
events so that a burst of log lines is drawn once.
"""

from __future__ import annotations

import importlib.util
import shlex
import time
from typing import Any, Callable, Iterator, Optional

from mindpilot.terminal_text import visible
from mindpilot.tui.core import lang_flag

FLUSH_SECONDS = 0.1
"""How often :func:`watch_batches` hands a batch of events on."""


def _launch_core() -> Any:
    from mindpilot.launch import command, runner

    return command, runner


MISSING_LABELS = {"mindspore": "launch_no_mindspore", "msrun": "launch_no_msrun"}
"""The label that says what :func:`msrun_missing` found missing."""


def msrun_missing() -> Optional[str]:
    """Why the demo job cannot run here (no mindspore / no msrun), or None when it can."""
    if importlib.util.find_spec("mindspore") is None:
        return "mindspore"
    command, _ = _launch_core()
    return None if command.find_msrun() else "msrun"


def load_preset(name_or_path: str) -> Any:
    """The demo job's preset for ``demo`` (as ``launch --demo``), else a built-in or a preset YAML file."""
    from mindpilot.presets.preset import find_preset

    if name_or_path == "demo":
        from mindpilot.launch.demo import demo_preset

        return demo_preset()
    return find_preset(name_or_path)


def job_facts(preset: Any, facts: Any) -> Any:
    """The doctor's facts when the job needs them (NPU count, checkouts), as ``launch`` decides."""
    from mindpilot.launch.job_setup import job_facts as facts_for_job

    return facts_for_job(preset, facts)


def commands_for(preset: Any, facts: Any = None, port: Optional[int] = None) -> tuple[list[Any], str, Optional[int]]:
    """Commands (one per node), the absolute log dir, and the master port (the preset's; else ``port``, picked for
    this job before; else a free one)."""
    from mindpilot.launch.job_setup import setup_job

    setup = setup_job(preset, facts, picked_before=port)
    return setup.commands, setup.log_dir, setup.port


def start(preset: Any, launch_command: Any, log_dir: str) -> Any:
    """Start the job under the supervisor; returns its ``JobRecord`` (raises ``LaunchError``)."""
    _, runner = _launch_core()
    return runner.start_job(preset, launch_command, log_dir)


def watch(job_id: str, lang: str, stop: Callable[[], bool]) -> Iterator[Any]:
    """Events of the job until it ends (then an ``ExitEvent``) or until ``stop()`` is true."""
    _, runner = _launch_core()
    return runner.watch_job(job_id, lang=lang, stop=stop)


def watch_batches(job_id: str, lang: str, t: Callable[..., str], stop: Callable[[], bool],
                  seconds: float = FLUSH_SECONDS) -> Iterator[list[Any]]:
    """:func:`watch`'s events in lists, one at most every ``seconds``, the rest when the watch ends.

    A watch that fails (a vanished state dir, a core bug) ends with a note event saying so (``t("failed")``),
    so that the UI shows it and stays up.
    """
    batch: list[Any] = []
    flushed = time.monotonic()
    try:
        for event in watch(job_id, lang, stop=stop):
            batch.append(event)
            if time.monotonic() - flushed >= seconds:
                yield batch
                batch, flushed = [], time.monotonic()
    except Exception as exc:  # whatever broke the watch is reported, not raised into the UI
        batch.append(Note(t("failed", error=exc)))
    if batch:
        yield batch


class Note:
    """A message of our own in the event stream (e.g. why following the job stopped)."""

    type = "note"

    def __init__(self, text: str) -> None:
        self.text = text


def stop_job(job_id: str) -> list[int]:
    """Stop every process of the job; returns pids still alive (empty when it worked)."""
    _, runner = _launch_core()
    return runner.stop_job(job_id)


def unreachable_nodes(job_id: str) -> list[dict]:
    """The nodes the last stop of ``job_id`` could not reach (``rank``, ``host``, ``error``)."""
    from mindpilot.launch.jobs import load_job

    try:
        return list(load_job(job_id).unreachable_nodes)
    except KeyError:
        return []


def stop_outcome(job_id: str, t: Callable[..., str]) -> tuple[str, str]:
    """Stop the job and say what became of it: ``(message, notification severity)``."""
    try:
        left = stop_job(job_id)
    except Exception as exc:  # the job record vanished: say so
        return t("failed", error=exc), "error"
    unreachable = unreachable_nodes(job_id)
    if unreachable:
        nodes = ", ".join(f"{node.get('rank')} ({node.get('host')})" for node in unreachable)
        return visible(t("launch_stop_unreachable", job=job_id, nodes=nodes)), "error"
    if left:
        return t("launch_stop_left", job=job_id, pids=", ".join(map(str, left))), "information"
    return t("launch_stopped", job=job_id), "information"


def launch_argv(demo: bool, preset: str, lang: str, saved: Optional[str] = None,
                config: Optional[str] = None) -> list[str]:
    """The CLI command that repeats the Launch step (the saved preset file once the job was saved).

    The demo job carries the steps' YAML (``--config``), which ``launch`` checks before starting, as this step does.
    """
    if not preset and saved:
        target = [saved]
    elif demo and preset in ("demo", ""):
        target = ["--demo", *(["--config", config] if config and not preset else [])]
    else:
        target = [preset or "PRESET"]
    return ["mindpilot", "launch", *target, *lang_flag(lang)]


def run_sh(commands: list[Any], preset: Any) -> str:
    """The ``run.sh`` of the job, as ``launch --write-run-sh`` writes it."""
    command, _ = _launch_core()
    return command.render_run_sh(commands, preset)


def preflight(preset: Any, facts: Any, lang: str, log_dir: str, master_port: Optional[int] = None) -> list[Any]:
    """Preflight findings for launching ``preset`` here."""
    from mindpilot.launch.preflight import preflight as run_preflight

    return run_preflight(preset, facts, lang=lang, log_dir=log_dir, master_port=master_port)


def blocking(findings: list[Any]) -> list[Any]:
    """The findings that stop a start unless forced, as ``launch`` decides."""
    from mindpilot.launch.preflight import blocking as launch_blocking

    return launch_blocking(findings)


def running_jobs() -> list[Any]:
    """Jobs still running (newest first), e.g. detached earlier or started from another terminal."""
    from mindpilot.launch.jobs import list_jobs

    return [record for record in list_jobs() if record.status in ("running", "starting")]


def newest_running_job() -> Optional[Any]:
    """The newest running job, or None (also when the state dir cannot be read: that must not stop the Launch step)."""
    try:
        jobs = running_jobs()
    except Exception:  # an unreadable state dir is no running job
        return None
    return jobs[0] if jobs else None


def attach_argv(job_id: str, lang: str) -> list[str]:
    """The CLI command that resumes the live view of a job."""
    return ["mindpilot", "attach", job_id, *lang_flag(lang)]


def preview(argv: list[str], preset: Any) -> str:
    """The launcher and its flags, then the script and its arguments on a line of their own; nothing cut.

    The script and its ``--config`` start a line, so that they stay easy to find after a long ``--log_dir``.
    """
    script = preset.resolve(preset.script) if hasattr(preset, "resolve") else getattr(preset, "script", None)
    split = argv.index(script) if script in argv else len(argv)
    return "\n".join(part for part in (shlex.join(argv[:split]), shlex.join(argv[split:])) if part)
