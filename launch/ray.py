"""Ray for MindSpeed-RL (and multi-node vllm-mindspore): the ``ray start`` commands and a check of ``ray status``.

MindSpeed-RL's example scripts (``examples/grpo/*.sh``) start the head with ``ray start --head --port 6766
--dashboard-host=$MASTER_ADDR --node-ip-address=$CURRENT_IP --dashboard-port=8260 --resources='{"NPU": N}'``,
every other node with ``ray start --address=$MASTER_ADDR:6766 --resources='{"NPU": N}'``, then poll ``ray
status`` until ``nodes x N`` NPUs are registered; the trainer's placement groups ask Ray for ``NPU``
resources, so a node started without ``--resources`` adds no card. Here the commands are argv lists
(the resources JSON is one word, no quoting games), and :func:`ray_findings` reads ``ray status`` before the
trainer starts: Ray not running, fewer nodes than planned, fewer NPUs than the roles need.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from mindpilot.validators.findings import Finding

RAY_PORT = 6766
"""The GCS port of MindSpeed-RL's example scripts."""
DASHBOARD_PORT = 8260
"""The dashboard port of MindSpeed-RL's example scripts."""
STATUS_TIMEOUT = 30.0
"""Seconds ``ray status`` may take."""
START_TIMEOUT = 180.0
"""Seconds one node's ``ray start`` may take."""
_USAGE = re.compile(r"^\s*([\d.]+)\s*/\s*([\d.]+)\s+(\S+)")
_NODE = re.compile(r"^\s*(\d+)\s+node_[0-9a-f]+", re.IGNORECASE)


@dataclass
class RayStatus:
    """What ``ray status`` says."""

    nodes: int = 0
    """Active nodes."""
    total: dict[str, float] = field(default_factory=dict)
    """Total of each resource (``CPU``, ``NPU``, ``memory`` ...)."""
    used: dict[str, float] = field(default_factory=dict)


def ray_start_argv(master_addr: str, npus_per_node: int, head: bool, port: int = RAY_PORT,
                   dashboard_port: int = DASHBOARD_PORT, node_ip: Optional[str] = None) -> list[str]:
    """``ray start`` for the head (node 0) or a worker node, as MindSpeed-RL's scripts run it."""
    resources = "--resources=" + json.dumps({"NPU": npus_per_node}, separators=(",", ":"))
    if head:
        argv = ["ray", "start", "--head", f"--port={port}", f"--dashboard-host={master_addr}",
                f"--dashboard-port={dashboard_port}", f"--node-ip-address={node_ip or master_addr}", resources]
    else:
        argv = ["ray", "start", f"--address={master_addr}:{port}", resources]
        if node_ip:
            argv.append(f"--node-ip-address={node_ip}")
    return argv


def parse_ray_status(text: str) -> RayStatus:
    """Active node count and resource usage from ``ray status`` (Ray 2.x "Node status" layout)."""
    status = RayStatus()
    section = ""
    for line in text.splitlines()[:10_000]:
        stripped = line.strip()
        if stripped.endswith(":") and not stripped.startswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")):
            section = stripped[:-1].lower()
            continue
        if section == "active":
            found = _NODE.match(line)
            if found:
                status.nodes += int(found.group(1))
        elif section.endswith("usage"):  # "Usage:" (Ray 2.9), "Total Usage:" (later)
            usage = _USAGE.match(line)
            if usage:
                status.used[usage.group(3)] = float(usage.group(1))
                status.total[usage.group(3)] = float(usage.group(2))
    return status


def find_ray() -> Optional[str]:
    """The ``ray`` beside this interpreter, else the first on PATH."""
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else shutil.which("ray")


def read_ray_status(ray: Optional[str] = None, address: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
    """``(output, None)`` of ``ray status``, or ``(None, why not)``."""
    program = ray or find_ray()
    if program is None:
        return None, "the ray command is not installed here (pip install ray)"
    argv = [program, "status"] + ([f"--address={address}"] if address else [])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=STATUS_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, lines[-1][:300] if lines else f"exit {done.returncode}"
    return done.stdout, None


def start_ray_node(argv: list[str], host: str, ssh_options: tuple = (), remote_bin: Optional[str] = None,
                   timeout: float = START_TIMEOUT) -> Optional[str]:
    """Run one node's ``ray start`` (``host`` ``local``: here; else over ssh); None when it worked, else why not.

    ``ray`` is the one beside this interpreter (``remote_bin``: the folder of the remote node's python)."""
    from mindpilot.launch.nodes import LOCAL, ssh_argv

    if host == LOCAL:
        program = find_ray()
        if program is None:
            return "the ray command is not installed here (pip install ray)"
        command = [program, *argv[1:]]
    else:
        folder = remote_bin or str(Path(sys.executable).parent)
        command = ssh_argv(host, [str(Path(folder) / "ray"), *argv[1:]], ssh_options)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED=os.environ.get("RAY_USAGE_STATS_ENABLED", "0"))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = [line for line in (done.stderr + done.stdout).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"exit {done.returncode}"


def wait_for_ray(address: str, nodes: int, timeout: float = 60.0) -> tuple[Optional[str], Optional[str]]:
    """``ray status`` once ``nodes`` nodes are active (or the last answer when ``timeout`` passes)."""
    deadline = time.monotonic() + timeout
    while True:
        output, error = read_ray_status(address=address)
        if output is not None and parse_ray_status(output).nodes >= nodes or time.monotonic() > deadline:
            return output, error
        time.sleep(2)


def ray_findings(output: Optional[str], error: Optional[str], nodes: int, npus_per_node: int,
                 lang: str = "en") -> list[Finding]:
    """Before a Ray job: the cluster runs, every node joined, and their NPUs add up."""
    from mindpilot.validators.catalog import make_finding

    if output is None:
        return [make_finding("ray.not_running", lang, error=error or "no output")]
    status = parse_ray_status(output)
    findings = []
    if status.nodes < nodes:
        findings.append(make_finding("ray.nodes_missing", lang, active=status.nodes, nodes=nodes))
    wanted = nodes * npus_per_node
    have = status.total.get("NPU", 0.0)
    if npus_per_node and have < wanted:
        findings.append(make_finding("ray.npus_short", lang, have=int(have), wanted=wanted))
    if not findings:
        findings.append(make_finding("ray.ready", lang, active=status.nodes, npus=int(have)))
    return findings
