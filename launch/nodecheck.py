"""Preflight for many nodes, before any node starts: same software, same config, a reachable master, a free port.

A multi-node job whose nodes differ (another MindSpore on node 3, an older config copied by hand, the
master port still held by last night's job) fails minutes later with a timeout on every rank. Each remote
node runs ``python -m mindpilot.launch.nodecheck`` over ssh; it prints one JSON object: its Python and
mindpilot versions, the doctor's components (``mindpilot doctor --json``: CANN, driver, MindSpore,
MindFormers ...), the config file's sha256, whether it has a route to the master, and (on the master)
whether the port is free. :func:`check_nodes` compares every node with this one: one finding per node and
check, and one "all the same" note per node that passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Optional

from mindpilot.datafiles import json_bounded
from mindpilot.validators.findings import Finding

DOCTOR_TIMEOUT = 60.0
"""Seconds for ``doctor --json`` on one node."""
SSH_TIMEOUT = 90.0
"""Seconds for one node's whole check over ssh."""
MAX_OUTPUT = 4 << 20
"""Bytes of a node's answer read at most."""


def _version() -> Optional[str]:
    try:
        from importlib.metadata import version

        return version("mindpilot")
    except Exception:  # not installed as a distribution (a checkout on PYTHONPATH)
        return None


def _sha256(path: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        return {"path": path, "error": exc.strerror or str(exc)}
    return {"path": path, "sha256": digest.hexdigest()}


def _route(master: str) -> Optional[str]:
    """None when this host has a route to ``master`` (a UDP connect sends nothing); else why not."""
    try:
        address = socket.gethostbyname(master)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((address, 9))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _doctor() -> dict[str, Any]:
    try:
        done = subprocess.run([sys.executable, "-m", "mindpilot", "doctor", "--json"], capture_output=True,
                              timeout=DOCTOR_TIMEOUT, stdin=subprocess.DEVNULL)
        report = json_bounded("doctor --json", done.stdout[:MAX_OUTPUT] or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        return {"error": f"doctor --json: {exc}"}
    components = report.get("components") if isinstance(report, dict) else None
    return {"components": {str(c.get("name")): c.get("found") for c in components or [] if isinstance(c, dict)}}


def node_facts(port: Optional[int] = None, config: Optional[str] = None, master: Optional[str] = None,
               doctor: bool = True) -> dict[str, Any]:
    """What this node says about itself (the JSON a remote node prints)."""
    facts: dict[str, Any] = {"host": socket.gethostname(), "python": platform.python_version(),
                             "mindpilot": _version()}
    if port is not None:
        from mindpilot.launch.preflight import port_in_use

        facts["port_free"] = not port_in_use(port)[0]
    if config:
        facts["config"] = _sha256(config)
    if master:
        facts["master_route"] = _route(master)
    if doctor:
        facts["doctor"] = _doctor()
    return facts


def remote_facts(host: str, words: list[str], ssh_options: Iterable[str],
                 run: Callable[..., Any] = subprocess.run) -> dict[str, Any]:
    """Run the check on ``host`` over ssh; ``{"error": ...}`` when it cannot."""
    from mindpilot.launch.nodes import ssh_argv

    try:
        done = run(ssh_argv(host, words, ssh_options), capture_output=True, timeout=SSH_TIMEOUT,
                   stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"ssh {host}: {exc}"}
    lines = done.stdout[:MAX_OUTPUT].decode("utf-8", "replace").strip().splitlines()
    try:
        facts = json_bounded(f"ssh {host}", lines[-1]) if lines else None
    except ValueError:
        facts = None
    if done.returncode != 0 or not isinstance(facts, dict):
        why = done.stderr[-400:].decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        return {"error": why.splitlines()[-1]}
    return facts


def check_words(python: Optional[str], pythonpath: Optional[str], port: Optional[int], config: Optional[str],
                master: Optional[str]) -> list[str]:
    """The remote argv of the check (quoted by :func:`~mindpilot.launch.nodes.ssh_argv`)."""
    words = ["env", f"PYTHONPATH={pythonpath}"] if pythonpath else []
    words += [python or sys.executable, "-m", "mindpilot.launch.nodecheck"]
    if port is not None:
        words += ["--port", str(port)]
    if config:
        words += ["--config", config]
    if master:
        words += ["--master", master]
    return words


def _versions(facts: dict[str, Any]) -> dict[str, Any]:
    found = {"python": facts.get("python"), "mindpilot": facts.get("mindpilot")}
    found.update((facts.get("doctor") or {}).get("components") or {})
    return found


def compare(rank: int, host: str, here: dict[str, Any], there: dict[str, Any], master_rank: int,
            lang: str) -> list[Finding]:
    """Findings of one node against this one (``there`` from :func:`remote_facts`)."""
    from mindpilot.validators.catalog import make_finding

    if "error" in there:
        return [make_finding("nodes.unreachable", lang, rank=rank, host=host, error=there["error"])]
    findings = []
    ours, theirs = _versions(here), _versions(there)
    diffs = [f"{name} {theirs.get(name) or '-'} (here {ours.get(name) or '-'})" for name in sorted(set(ours) | set(theirs))
             if ours.get(name) != theirs.get(name)]
    if diffs:
        findings.append(make_finding("nodes.versions_differ", lang, rank=rank, host=host, diffs="; ".join(diffs)))
    mine, yours = here.get("config") or {}, there.get("config") or {}
    if mine.get("sha256") and mine.get("sha256") != yours.get("sha256"):
        what = yours.get("error") or f"sha256 {str(yours.get('sha256'))[:12]}"
        findings.append(make_finding("nodes.config_differs", lang, rank=rank, host=host, path=mine.get("path"),
                                     theirs=what, ours=str(mine["sha256"])[:12]))
    if there.get("master_route"):
        findings.append(make_finding("nodes.master_unreachable", lang, where=f"node {rank} ({host})",
                                     error=there["master_route"]))
    if rank == master_rank and there.get("port_free") is False:
        findings.append(make_finding("nodes.port_busy", lang, host=host))
    if not findings:
        findings.append(make_finding("nodes.same", lang, rank=rank, host=host))
    return findings


def check_nodes(hosts: list[str], *, port: Optional[int], config: Optional[str], master: str,
                ssh_options: Iterable[str] = (), python: Optional[str] = None, pythonpath: Optional[str] = None,
                lang: str = "en", run: Callable[..., Any] = subprocess.run) -> list[Finding]:
    """Compare every remote node with this one, all in parallel, before anything starts."""
    from mindpilot.launch.nodes import LOCAL
    from mindpilot.validators.catalog import make_finding

    remote = [(rank, host) for rank, host in enumerate(hosts) if host != LOCAL]
    findings = []
    route = _route(master)
    if route:
        findings.append(make_finding("nodes.master_unreachable", lang, where="this node", error=route))
    if not remote:
        return findings
    here = node_facts(config=config)
    options = list(ssh_options)
    with ThreadPoolExecutor(max_workers=min(8, len(remote))) as pool:
        answers = list(pool.map(lambda item: remote_facts(
            item[1], check_words(python, pythonpath, port if item[0] == 0 else None, config, master), options, run),
            remote))
    for (rank, host), there in zip(remote, answers):
        findings += compare(rank, host, here, there, 0, lang)
    return findings


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mindpilot.launch.nodecheck",
                                     description="print this node's facts for a multi-node preflight (JSON)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--config")
    parser.add_argument("--master")
    args = parser.parse_args(argv)
    print(json.dumps(node_facts(args.port, args.config, args.master)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
