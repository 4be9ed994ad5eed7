"""``mindpilot launch ... --ray``: the Ray cluster MindSpeed-RL (or multi-node vllm-mindspore) runs on.

Prints the ``ray start --head`` command for node 0 and ``ray start --address`` for every other node
(``--resources='{"NPU": N}'`` included: without it a node adds no card); with ``--hosts`` it runs them (``local``
here, the others over ssh, head first) and waits up to a minute for every node to join; then it reads ``ray
status`` and says whether every node joined with its NPUs. Exit 0 when the cluster is ready, 1 when it is not.
MindSpeed-RL's trainer (``python cli/train_grpo.py --config-name ...``) then runs on the head node.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any, Optional

from mindpilot.commands.output import words
from mindpilot.exit_codes import ExitCode


def run_ray(preset: Any, args: argparse.Namespace, view: Any, lang: str, hosts: Optional[list] = None) -> ExitCode:
    """Print each node's ``ray start`` (with ``--hosts``: run it there), then the ``ray status`` findings."""
    from mindpilot.launch.preflight import blocking
    from mindpilot.launch.ray import RAY_PORT, ray_findings, ray_start_argv, read_ray_status, wait_for_ray
    from mindpilot.validators.text.findings import format_finding

    port = args.master_port or RAY_PORT
    npus = preset.local_worker_num
    for rank in range(preset.nodes):
        argv = ray_start_argv(preset.master_addr, npus, head=rank == 0, port=port)
        where = words("launch.ray_master", lang) if rank == 0 else words("launch.ray_node", lang, rank=rank)
        view.emit_dict({"type": "ray", "node_rank": rank, "argv": argv, "shell": shlex.join(argv)},
                       f"# {where}\n$ {shlex.join(argv)}")
    address = f"{preset.master_addr}:{port}"
    if hosts and not args.dry_run:
        if not _start_nodes(preset, hosts, port, args, view, lang):
            output, error = read_ray_status(address=address)
        else:
            output, error = wait_for_ray(address, len(hosts))
    else:
        output, error = read_ray_status(address=address)
    findings = ray_findings(output, error, preset.nodes, npus, lang)
    for finding in findings:
        view.emit_dict({"type": "preflight", "finding": finding.to_dict()}, format_finding(finding, lang))
    return ExitCode.FINDINGS if blocking(findings) else ExitCode.OK


def _start_nodes(preset: Any, hosts: list, port: int, args: argparse.Namespace, view: Any, lang: str) -> bool:
    """``ray start`` on every host, head first; False when the head did not start (the rest is skipped)."""
    from mindpilot.launch.ray import ray_start_argv, start_ray_node

    remote_bin = str(Path(args.remote_python).parent) if args.remote_python else None
    for rank, host in enumerate(hosts):
        argv = ray_start_argv(preset.master_addr, preset.local_worker_num, head=rank == 0, port=port)
        error = start_ray_node(argv, host, tuple(args.ssh_option), remote_bin)
        text = (f"node {rank} ({host}): ray started" if error is None
                else f"node {rank} ({host}): ray start failed: {error}")
        view.emit_dict({"type": "ray_start", "node_rank": rank, "host": host, "ok": error is None, "error": error},
                       text)
        if error is not None and rank == 0:
            return False
    return True
