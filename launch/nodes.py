"""Multi-node msrun from one terminal: which node runs where, and the exact argv that starts it.

By hand, users copy one msrun line per node, changing ``--node_rank`` and forgetting ``--master_addr``.
Here ``launch --nodes N --hosts h0,h1,...`` plans every node: a host written ``local`` runs its msrun here as
a child process; any other host runs it over OpenSSH as ``ssh HOST -- python -m mindpilot.launch.noderun
...``: an argv list, every remote word ``shlex.quote``-d (ssh hands the words to the remote shell), the
variables sent on stdin. Each node's worker logs land in ``<job log folder>/node<rank>/`` (ssh nodes: a
mirror the node runner streams), so the live view follows every node at once.

With a loopback master (``127.0.0.1``) every node is necessarily on this machine: a rehearsal of a
multi-node job before real nodes are booked. msrun decides whether it starts the scheduler by looking
for the master address among ``ip -j addr`` (process_entity/_utils.py ``_is_local_ip``), so on one machine
every node would start one; nodes other than 0 then get an ``ip`` that lists no address.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Iterable, Optional

from mindpilot.launch.command import LaunchCommand
from mindpilot.launch.jobs import NodeRecord

LOCAL = "local"
"""The host name that means "this machine, as a child process"."""
HOST = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*@)?[A-Za-z0-9_.:\[\]-]+$")
"""An ssh destination: ``host``, ``user@host``, an IPv4/IPv6 address. No spaces, no option-like names."""
SSH_BASE = ("ssh", "-T", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15")
"""Non-interactive (a password prompt would hang a detached job), and a dead peer is noticed."""
NOT_MASTER_IP = '#!/bin/sh\n# mindpilot: a rehearsal node that is not the master sees no address of its own\necho "[]"\n'


class HostError(ValueError):
    """The host list does not fit the job."""


def parse_hosts(text: str, nodes: Optional[int]) -> list[str]:
    """``h0,h1,...`` (master first) checked against ``nodes``; raises :class:`HostError` in one line."""
    hosts = [part.strip() for part in text.split(",")]
    if any(not host for host in hosts):
        raise HostError(f"--hosts has an empty entry: {text!r}")
    for host in hosts:
        if host != LOCAL and (host.startswith("-") or not HOST.match(host)):
            raise HostError(f"--hosts: {host!r} is not a host name, user@host or address")
    if nodes is not None and nodes != len(hosts):
        raise HostError(f"--nodes {nodes} but --hosts names {len(hosts)} host(s)")
    return hosts


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def ssh_argv(host: str, remote: list[str], options: Iterable[str] = ()) -> list[str]:
    """``ssh [-o OPT]... HOST -- 'quoted remote words'``: the remote shell sees exactly ``remote``."""
    argv = list(SSH_BASE)
    for option in options:
        argv += ["-o", option]
    return argv + [host, "--", shlex.join(remote)]


def master_of(argv: list[str]) -> str:
    """msrun's ``--master_addr`` in an argv (msrun's default when absent)."""
    for part in argv:
        if part.startswith("--master_addr="):
            return part.split("=", 1)[1]
    return "127.0.0.1"


def remote_node_argv(job_id: str, command: LaunchCommand, remote_log_dir: str,
                     python: Optional[str] = None) -> list[str]:
    """What the remote host runs: the node runner, then msrun with its ``--log_dir`` on that host."""
    from mindpilot.launch.runner import with_log_dir

    words = []
    if command.env.get("PYTHONPATH"):  # the node runner itself must import mindpilot from there
        words += ["env", f"PYTHONPATH={command.env['PYTHONPATH']}"]
    words += [python or sys.executable, "-m", "mindpilot.launch.noderun", "--job", job_id,
              "--log-dir", remote_log_dir, "--cwd", command.cwd]
    if (command.node_rank or 0) > 0 and is_loopback(master_of(command.argv)):
        words.append("--not-master")  # a loopback master: this "remote" node is on the master's machine
    return words + ["--", *with_log_dir(command.argv, remote_log_dir)]


def plan_nodes(job_id: str, commands: list[LaunchCommand], hosts: list[str], job_log_dir: str,
               ssh_options: Iterable[str] = (), python: Optional[str] = None) -> list[NodeRecord]:
    """One :class:`NodeRecord` per node: local msrun argv, or the ssh argv of the node runner."""
    from mindpilot.launch.runner import with_log_dir

    options = list(ssh_options)
    plans = []
    for command, host in zip(commands, hosts):
        rank = command.node_rank if command.node_rank is not None else len(plans)
        local_dir = str(Path(job_log_dir) / f"node{rank}")
        if host == LOCAL:
            plans.append(NodeRecord(rank=rank, host=host, argv=with_log_dir(command.argv, local_dir),
                                    log_dir=local_dir))
            continue
        remote_dir = str(Path(job_log_dir) / f"node{rank}-remote")
        argv = ssh_argv(host, remote_node_argv(job_id, command, remote_dir, python), options)
        plans.append(NodeRecord(rank=rank, host=host, argv=argv, log_dir=local_dir, remote_log_dir=remote_dir))
    return plans


def not_master_bin(folder: Path) -> str:
    """A folder holding an ``ip`` that lists no address (for rehearsal nodes other than 0); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "ip"
    script.write_text(NOT_MASTER_IP)
    script.chmod(0o755)
    return str(folder)


def node_env(base: dict[str, str], node: NodeRecord, master_addr: str, bin_folder: Path) -> dict[str, str]:
    """The environment of a local node's msrun: rank > 0 on a loopback master must not start a scheduler."""
    env = dict(base)
    if node.host == LOCAL and node.rank > 0 and is_loopback(master_addr):
        env["PATH"] = not_master_bin(bin_folder) + os.pathsep + env.get("PATH", "")
    return env
