"""Getting a job ready to start, in one place for ``mindpilot launch`` and the TUI's Launch step: whether the job
needs the environment probe's facts, where its logs go, which master port it uses, its commands, and the
preflight findings that gate it (``launch.preflight.blocking``: errors stop the start unless forced).

Both front ends call these functions, so that the command they show, the port in ``run.sh`` and the preflight
verdict are the same for the same preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from mindpilot.launch.command import MSRUN_DEFAULT_PORT, build_commands
from mindpilot.launch.preflight import pick_free_port, preflight


def needs_probe(preset: Any) -> bool:
    """Whether the job needs the probe's facts: it runs on NPUs (card count), or uses the probed checkouts."""
    return getattr(preset, "device", "npu") == "npu" or bool(getattr(preset, "use_checkouts", False))


def job_facts(preset: Any, facts: Any) -> Any:
    """``facts`` (the probe's, possibly from an earlier probe) when the job needs them, else None."""
    return facts if needs_probe(preset) else None


def probe_facts(preset: Any, skip: bool = False) -> tuple[Any, Optional[str]]:
    """Probe this machine when the job needs it: ``(facts or None, why there are none or None)``; never fatal."""
    if skip or not needs_probe(preset):
        return None, "probe skipped" if skip else None
    try:
        from mindpilot.validators.probe import probe_environment
    except ImportError:
        return None, "the environment probe is not installed"
    try:
        return probe_environment(timeout=10.0), None
    except Exception as exc:  # a failed probe only disables the checks that need it
        return None, f"probe failed: {exc}"


def working_dir(preset: Any) -> Path:
    """The directory the job runs in: the preset's ``workdir``, else the current one."""
    workdir = getattr(preset, "workdir", None)
    return Path(workdir).expanduser() if workdir else Path.cwd()


def log_root(preset: Any) -> Path:
    """The absolute log directory of the preset (a relative ``log_dir`` is under the working directory)."""
    log_dir = Path(preset.log_dir).expanduser()
    return log_dir if log_dir.is_absolute() else working_dir(preset) / log_dir


def master_port(preset: Any, nodes_start_apart: bool = False, picked_before: Optional[int] = None) -> tuple[int, bool]:
    """``(port, picked)``: the preset's port; else msrun's default when each node is started on its own (a port
    picked here would differ per node); else the port picked for this job before (``picked_before``: a command
    shown again must keep the port the user saw, in run.sh and in the job), else a free port picked now
    (``picked`` True, worth a note)."""
    if preset.master_port is not None:
        return preset.master_port, False
    if nodes_start_apart:
        return MSRUN_DEFAULT_PORT, False
    return (picked_before, True) if picked_before else (pick_free_port(), True)


@dataclass
class JobSetup:
    """A job ready to check and start: its commands (one per node), log root and master port."""

    preset: Any
    facts: Any
    commands: list[Any]
    log_dir: str
    """The absolute log root (preflight checks it; the job's own folder may be inside it)."""
    port: int
    port_picked: bool = False
    probe_error: Optional[str] = None

    def preflight(self, lang: str = "en", msrun: Optional[str] = None) -> list[Any]:
        """Every preflight finding for starting this job on this node."""
        return preflight(self.preset, self.facts, lang=lang, log_dir=self.log_dir, master_port=self.port,
                         probe_error=self.probe_error, msrun=msrun)


def setup_job(preset: Any, facts: Any = None, *, probe_error: Optional[str] = None, nodes_start_apart: bool = False,
              run_log_dir: Optional[str] = None, picked_before: Optional[int] = None) -> JobSetup:
    """The job's commands, log root and port. ``facts`` are used only when the job needs them; ``run_log_dir`` is
    the job's own folder inside the log root when it has one (default: the root); ``picked_before`` is a port
    picked for this job earlier (see :func:`master_port`)."""
    facts = job_facts(preset, facts)
    port, picked = master_port(preset, nodes_start_apart, picked_before)
    root = str(log_root(preset))
    commands = build_commands(preset, facts, master_port=port, log_dir=run_log_dir or root)
    return JobSetup(preset=preset, facts=facts, commands=commands, log_dir=root, port=port, port_picked=picked,
                    probe_error=probe_error)
