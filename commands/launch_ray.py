"""``mindpilot launch ... --ray``: the Ray cluster MindSpeed-RL (or multi-node vllm-mindspore) runs on.

Prints the ``ray start --head`` command for node 0 and ``ray start --address`` for every other node
(``--resources='{"NPU": N}'`` included: without it a node adds no card), then reads ``ray status`` here and
says whether every node joined with its NPUs. Exit 0 when the cluster is ready, 1 when it is not.
MindSpeed-RL's trainer (``python cli/train_grpo.py --config-name ...``) then runs on the head node.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from mindpilot.exit_codes import ExitCode


def run_ray(preset: Any, args: argparse.Namespace, view: Any, lang: str) -> ExitCode:
    """Print each node's ``ray start`` and the ``ray status`` findings."""
    from mindpilot.launch.preflight import blocking
    from mindpilot.launch.ray import RAY_PORT, ray_findings, ray_start_argv, read_ray_status
    from mindpilot.launch.view import finding_text

    port = args.master_port or RAY_PORT
    npus = preset.local_worker_num
    for rank in range(preset.nodes):
        argv = ray_start_argv(preset.master_addr, npus, head=rank == 0, port=port)
        where = ("master" if rank == 0 else f"node {rank}") if lang != "zh" else ("master 节点" if rank == 0
                                                                                  else f"节点 {rank}")
        view.emit_dict({"type": "ray", "node_rank": rank, "argv": argv, "shell": shlex.join(argv)},
                       f"# {where}\n$ {shlex.join(argv)}")
    output, error = read_ray_status(address=f"{preset.master_addr}:{port}")
    findings = ray_findings(output, error, preset.nodes, npus, lang)
    for finding in findings:
        view.emit_dict({"type": "preflight", "finding": finding.to_dict()}, finding_text(finding, lang, ""))
    return ExitCode.FINDINGS if blocking(findings) else ExitCode.OK
