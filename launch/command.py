"""From a :class:`~mindpilot.presets.preset.Preset` to the exact msrun argv and environment, per node.

Built by hand, this goes wrong: three competing ``export PYTHONPATH=...`` lines (one with another user's
home), a ``PORT`` placeholder, and ``> vllm.log 2>&1 &``. Here the argv is a list (never a shell
string), the environment is a diff against the user's, and :func:`render_run_sh` writes the same
thing as a script with every value ``shlex.quote``-d. Flags and defaults: msrun's ``run.py``; the vLLM variables are those MindRLHF's vLLM GRPO run script
(``run_grpo_vllm.sh``) sets.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from mindpilot.fileio import write_atomic
from mindpilot.presets.names import env_name_problem, one_line
from mindpilot.presets.preset import Preset
from mindpilot.redact import from_environment, is_secret_variable, masked_env, redact_text

VLLM_ENV = {
    "vLLM_MODEL_BACKEND": "MindFormers",
    "MS_JIT_MODULES": "vllm_mindspore,research",
}
"""The vLLM-MindSpore path needs both (as ``run_grpo_vllm.sh`` sets them)."""
VLLM_ALLOC_CONF = "memory_tracker:False,enable_vmm:True"
"""``MS_ALLOC_CONF`` for the vLLM path (as ``run_grpo_vllm.sh`` sets it)."""
MSRUN_DEFAULT_PORT = 8118
"""msrun's ``--master_port`` default (its ``run.py``)."""
PREPENDED = ("PYTHONPATH", "MINDFORMERS_PATH", "PATH")
"""Path-list variables whose new entries go in front of the user's current value."""


@dataclass
class LaunchCommand:
    """One node's command: what to run, where, and which variables to set."""

    argv: list[str]
    """``msrun --flag=value ... script args``."""
    env: dict[str, str]
    """Variables to set (path lists hold only the new entries; see :data:`PREPENDED`)."""
    cwd: str
    """Directory to run in."""
    node_rank: Optional[int] = None
    """This node's rank on a multi-node job."""
    notes: list[str] = field(default_factory=list)
    """Remarks shown with the command (e.g. "run this on node 1")."""

    def full_env(self, base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
        """The process environment: ``base`` (default ``os.environ``) with :attr:`env` applied.

        A secret given as ``***`` or ``""`` keeps ``base``'s value (it is passed by name, see :func:`from_environment`).
        """
        result = dict(os.environ if base is None else base)
        for key, value in self.env.items():
            if from_environment(key, value):
                continue
            old = result.get(key)
            result[key] = f"{value}{os.pathsep}{old}" if key in PREPENDED and old else value
        return result

    def secrets(self) -> list[str]:
        """Values of this command's secret variables (to mask wherever the command is shown)."""
        return sorted({value for key, value in self.env.items() if is_secret_variable(key, value) and len(value) >= 4
                       and not from_environment(key, value)}, key=len, reverse=True)

    def shell(self) -> str:
        """The command as one shell line (``env`` assignments first), every value quoted, no secret shown."""
        secrets = self.secrets()
        parts = [f"{key}={_quoted_env_value(key, value)}" for key, value in self.env.items()]
        return " ".join(parts + [redact_text(shlex.join(self.argv), secrets)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``command`` event of ``launch --json``); secrets are ``***``."""
        secrets = self.secrets()
        return {"argv": [redact_text(part, secrets) for part in self.argv], "env": masked_env(self.env),
                "cwd": redact_text(self.cwd, secrets), "node_rank": self.node_rank, "shell": self.shell(),
                "notes": self.notes}


class UnsafeCommandError(ValueError):
    """A command that cannot be written into a script or started (a bad variable name, a NUL byte)."""


def check_command(command: LaunchCommand) -> None:
    """Refuse what no quoting can make safe: a variable name that is not a shell name, a NUL byte.

    Raises:
        UnsafeCommandError: one line saying which name or value.
    """
    for key, value in command.env.items():
        problem = env_name_problem(key)
        if problem:
            raise UnsafeCommandError(problem)
        if "\x00" in value:
            raise UnsafeCommandError(f"environment variable {key}: the value holds a NUL byte (U+0000)")
    for part in [*command.argv, command.cwd]:
        if "\x00" in part:
            raise UnsafeCommandError(f"argument {one_line(part)[:40]!r} holds a NUL byte (U+0000)")


def _quoted_env_value(key: str, value: str) -> str:
    if is_secret_variable(key, value):
        # Passed by name: the script and the printed command never hold the value itself.
        return '"${' + key + ':?set ' + key + '}"'
    if key in PREPENDED:
        return shlex.quote(value) + '"${' + key + ':+:$' + key + '}"'
    return shlex.quote(value)


def find_msrun(python: Optional[str] = None) -> Optional[str]:
    """The ``msrun`` beside ``python`` when given, else the first on PATH, else the one beside this interpreter."""
    beside = Path(python or sys.executable).parent / "msrun"
    usable = beside.is_file() and os.access(beside, os.X_OK)
    if python and usable:
        return str(beside)
    return shutil.which("msrun") or (str(beside) if usable else None)


def msrun_flags(preset: Preset, node_rank: Optional[int] = None, master_port: Optional[int] = None,
                log_dir: Optional[str] = None) -> list[str]:
    """The msrun flags, in msrun's ``--name=value`` form."""
    port = master_port if master_port is not None else preset.master_port
    flags = [
        f"--worker_num={preset.cards}",
        f"--local_worker_num={preset.local_worker_num}",
        f"--master_addr={preset.master_addr}",
        f"--master_port={port if port is not None else MSRUN_DEFAULT_PORT}",
    ]
    rank = node_rank if node_rank is not None else preset.node_rank
    if preset.nodes > 1 or rank is not None:
        # Without node_rank on multi-node, worker logs are named by local index.
        flags.append(f"--node_rank={rank if rank is not None else 0}")
    flags += [
        f"--log_dir={log_dir or preset.log_dir}",
        f"--join={preset.join}",
        f"--cluster_time_out={preset.cluster_time_out}",
    ]
    if isinstance(preset.bind_core, dict):
        flags.append("--bind_core=" + json.dumps(preset.bind_core, separators=(",", ":")))
    elif preset.bind_core:
        flags.append("--bind_core=True")
    return flags


def build_msrun_argv(preset: Preset, node_rank: Optional[int] = None, master_port: Optional[int] = None,
                     log_dir: Optional[str] = None, msrun: str = "msrun") -> list[str]:
    """``[msrun, flags..., script, args...]`` for one node."""
    return [msrun, *msrun_flags(preset, node_rank, master_port, log_dir),
            preset.resolve(preset.script), *(preset.resolve(arg) for arg in preset.script_args)]


def checkout_paths(facts: Any) -> dict[str, str]:
    """``{"mindformers": path, "mindrlhf": path}`` from the doctor's probe (``EnvFacts`` or a dict)."""
    if facts is None:
        return {}
    checkouts = facts.get("checkouts") if isinstance(facts, dict) else getattr(facts, "checkouts", None)
    result: dict[str, str] = {}
    for name in ("mindrlhf", "mindformers", "msadapter"):
        entry = (checkouts or {}).get(name)
        path = entry.get("path") if isinstance(entry, dict) else getattr(entry, "path", None)
        if path:
            result[name] = str(path)
    return result


def build_env(preset: Preset, facts: Any = None, python: Optional[str] = None,
              msrun: Optional[str] = None) -> dict[str, str]:
    """Variables the job needs beyond the user's environment (the "env diff")."""
    env = _code_env(preset, facts)
    # msrun starts workers with a bare `python` (run.py _generate_cmd_args_list): make it the one beside msrun.
    program = msrun or find_msrun(python)
    if program:
        bin_dir = Path(program).parent
        if (bin_dir / "python").exists() and shutil.which("python") != str(bin_dir / "python"):
            env["PATH"] = str(bin_dir)
    env.update(_framework_env(preset))
    env.update(preset.env)
    return env


def _code_env(preset: Preset, facts: Any) -> dict[str, str]:
    """``PYTHONPATH`` (the preset's entries, then the source checkouts) and ``MINDFORMERS_PATH``."""
    env: dict[str, str] = {}
    checkouts = checkout_paths(facts) if preset.use_checkouts else {}
    pythonpath = [preset.resolve(p) for p in preset.pythonpath]
    # GRPO run scripts' order: mindrlhf before mindformers, both before site-packages.
    for name in ("mindrlhf", "mindformers", "msadapter"):
        if name in checkouts and checkouts[name] not in pythonpath:
            pythonpath.append(checkouts[name])
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    if "mindformers" in checkouts:
        env["MINDFORMERS_PATH"] = checkouts["mindformers"]
    return env


def _framework_env(preset: Preset) -> dict[str, str]:
    """The switches the preset sets for MindSpore, HCCL and vLLM."""
    env: dict[str, str] = {}
    if preset.ms_enable_lccl is not None:
        env["MS_ENABLE_LCCL"] = preset.ms_enable_lccl
    if preset.hccl_connect_timeout is not None:
        env["HCCL_CONNECT_TIMEOUT"] = str(preset.hccl_connect_timeout)
    if preset.hccl_exec_timeout is not None:
        env["HCCL_EXEC_TIMEOUT"] = str(preset.hccl_exec_timeout)
    if preset.vllm:
        env.update(VLLM_ENV)
        env["MS_ALLOC_CONF"] = preset.ms_alloc_conf or VLLM_ALLOC_CONF
    elif preset.ms_alloc_conf:
        env["MS_ALLOC_CONF"] = preset.ms_alloc_conf
    return env


def build_commands(preset: Preset, facts: Any = None, master_port: Optional[int] = None,
                   log_dir: Optional[str] = None, msrun: Optional[str] = None,
                   python: Optional[str] = None) -> list[LaunchCommand]:
    """One :class:`LaunchCommand` per node (node_rank 0..nodes-1, same master); one on a single node."""
    program = msrun or find_msrun(python) or "msrun"
    env = build_env(preset, facts, python, program)
    cwd = str(Path(preset.workdir).expanduser()) if preset.workdir else os.getcwd()
    if preset.script.endswith(".sh"):  # MindSpeed-LLM's training scripts start torchrun themselves
        return [LaunchCommand(["bash", preset.resolve(preset.script), *preset.script_args], env, cwd)]
    if preset.nodes == 1:
        return [LaunchCommand(build_msrun_argv(preset, preset.node_rank, master_port, log_dir, program),
                              env, cwd, preset.node_rank)]
    commands = []
    for rank in range(preset.nodes):
        note = (f"node {rank}: run on the master node {preset.master_addr}" if rank == 0
                else f"node {rank}: run on node {rank} (its IP, not {preset.master_addr})")
        commands.append(LaunchCommand(build_msrun_argv(preset, rank, master_port, log_dir, program),
                                      dict(env), cwd, rank, [note]))
    return commands


def render_run_sh(commands: list[LaunchCommand], preset: Optional[Preset] = None) -> str:
    """A ``run.sh`` that runs the command(s); values are shell-quoted, no placeholders left.

    With several nodes the script takes the node rank as ``$1`` (``bash run.sh 1`` on node 1). Secrets are
    passed by name (``export HF_TOKEN="${HF_TOKEN:?...}"``), never written into the script.

    Raises:
        UnsafeCommandError: a variable name that is not a shell name, or a NUL byte (see :func:`check_command`).
    """
    for command in commands:
        check_command(command)
    lines = ["#!/usr/bin/env bash", "# Written by mindpilot; re-create with `mindpilot launch ... --dry-run --write-run-sh`."]
    if preset is not None:
        # A comment ends at a newline: anything after it would run as a command.
        lines.append(one_line(f"# preset: {preset.name}" + (f" - {preset.description}" if preset.description else "")))
    lines += ["set -euo pipefail", ""]
    first = commands[0]
    lines.append(f"cd {shlex.quote(first.cwd)}")
    for key, value in first.env.items():
        lines.append(f"export {key}={_quoted_env_value(key, value)}")
    lines.append("")
    if len(commands) == 1:
        lines.append("exec " + _wrapped(first.argv))
    else:
        lines.append('NODE_RANK="${1:?usage: bash run.sh NODE_RANK (0..' + str(len(commands) - 1) + ')}"')
        lines.append('case "$NODE_RANK" in')
        for command in commands:
            lines.append(f"  {command.node_rank}) exec {_wrapped(command.argv, indent='      ')} ;;")
        lines.append('  *) echo "NODE_RANK must be 0..' + str(len(commands) - 1) + '" >&2; exit 2 ;;')
        lines.append("esac")
    return "\n".join(lines) + "\n"


def _wrapped(argv: list[str], indent: str = "  ") -> str:
    return (" \\\n" + indent).join(shlex.quote(part) for part in argv)


def write_run_sh(path: str, text: str) -> None:
    """Write ``run.sh`` atomically, executable by its owner only (a previous one is kept as ``.bak``).

    0700, not 0755: it names the job's paths and variables, like the 0600 ``job.json`` beside it."""
    write_atomic(path, text, keep_backup=True, mode=0o700)
