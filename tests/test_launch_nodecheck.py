"""Preflight for many nodes: every remote node is checked over a real sshd on 127.0.0.1 before anything starts
(same mindpilot, Python, doctor components and config checksum; a route to the master; the port on the
master), one finding per node and check. The comparison itself is also fed mismatching facts directly.
"""

from __future__ import annotations

import hashlib
import json
import os

from mindpilot.launch.nodecheck import compare, node_facts
from sshd_server import sshd  # noqa: F401  (fixture)
from support import run_cli

HERE = {"python": "3.11.7", "mindpilot": "0.1.0", "doctor": {"components": {"mindspore": "2.7.1", "CANN": "8.3.RC1"}},
        "config": {"path": "/job/finetune.yaml", "sha256": "a" * 64}}


def rules(findings):
    return [f.rule for f in findings]


def test_each_difference_is_one_finding_naming_the_node():
    there = json.loads(json.dumps(HERE))
    assert rules(compare(1, "n1", HERE, there, 0, "en")) == ["nodes.same"]
    there["doctor"]["components"]["mindspore"] = "2.6.0"
    there["python"] = "3.10.14"
    there["config"] = {"path": "/job/finetune.yaml", "sha256": "b" * 64}
    there["master_route"] = "Network is unreachable"
    there["port_free"] = False
    found = compare(0, "n0", HERE, there, 0, "en")
    assert rules(found) == ["nodes.versions_differ", "nodes.config_differs", "nodes.master_unreachable",
                            "nodes.port_busy"]
    assert "mindspore 2.6.0 (here 2.7.1)" in found[0].title and "python 3.10.14 (here 3.11.7)" in found[0].title
    assert found[0].title.startswith("node 0 (n0)") and "bbbbbbbbbbbb" in found[1].title
    there["config"] = {"path": "/job/finetune.yaml", "error": "No such file or directory"}
    assert "No such file or directory" in compare(2, "n2", HERE, there, 0, "en")[1].title
    assert rules(compare(3, "n3", HERE, {"error": "Permission denied (publickey)"}, 0, "zh")) == ["nodes.unreachable"]


def test_this_nodes_facts_hold_the_config_checksum_and_the_route(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("seed: 1\n")
    facts = node_facts(port=None, config=str(config), master="127.0.0.1", doctor=False)
    assert facts["config"]["sha256"] == hashlib.sha256(b"seed: 1\n").hexdigest()
    assert facts["master_route"] is None
    assert "error" in node_facts(config=str(tmp_path / "nope.yaml"), doctor=False)["config"]


def test_a_node_over_real_ssh_is_compared_before_the_launch(sshd, tmp_path):
    config = tmp_path / "finetune.yaml"
    config.write_text("parallel_config:\n  data_parallel: 2\n")
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    pythonpath = ["--env", f"PYTHONPATH={os.environ['PYTHONPATH']}"] if os.environ.get("PYTHONPATH") else []
    options = [arg for option in sshd.options for arg in ("--ssh-option", option)]
    host = f"{sshd.user}@127.0.0.1"
    done = run_cli("launch", "--demo", "--cards", "2", "--hosts", f"local,{host}", *options, *pythonpath,
                   "--config", str(config), "--dry-run", "--json", env=env, cwd=str(tmp_path), timeout=200)
    found = [json.loads(line)["finding"] for line in done.stdout.splitlines()
             if json.loads(line)["type"] == "preflight"]
    nodes = [f for f in found if f["rule"].startswith("nodes.")]
    assert [f["rule"] for f in nodes] == ["nodes.same"], nodes
    assert nodes[0]["title"].startswith(f"node 1 ({host})")
    wrong_port = [o if not o.startswith("Port=") else "Port=1" for o in sshd.options]
    options = [arg for option in wrong_port for arg in ("--ssh-option", option)]
    bad = run_cli("launch", "--demo", "--cards", "2", "--hosts", f"local,{host}", *options, *pythonpath,
                  "--dry-run", "--json", env=env, cwd=str(tmp_path), timeout=200)
    assert bad.returncode == 1
    found = [json.loads(line)["finding"] for line in bad.stdout.splitlines() if json.loads(line)["type"] == "preflight"]
    assert [f["rule"] for f in found if f["rule"].startswith("nodes.")] == ["nodes.unreachable"]
