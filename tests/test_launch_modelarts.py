"""ModelArts multi-node: the platform's variables drive this node's msrun, and `--dry-run --json` says
which variable each value came from. The master's host name is resolved; a node without VC_TASK_INDEX is
found by its exact host name (``worker-1`` never matches inside ``worker-10``).
"""

from __future__ import annotations

import json
import socket

import pytest

from mindpilot.launch.modelarts import ModelArtsError, modelarts_layout
from support import run_cli

HOSTS = "localhost,job-worker-10,job-worker-1"


def no_dns(name: str) -> str:
    raise socket.gaierror(f"{name}: not known")


def test_the_layout_comes_from_the_variables_and_names_them():
    env = {"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "2", "MA_NUM_HOSTS": "3", "MA_NUM_GPUS": "8"}
    layout = modelarts_layout(env, resolve=lambda name: {"localhost": "10.0.0.7"}[name])
    assert layout.to_dict() == {
        "nodes": {"value": 3, "from": "MA_NUM_HOSTS (= VC_WORKER_HOSTS count)"},
        "node_rank": {"value": 2, "from": "VC_TASK_INDEX"},
        "master_addr": {"value": "10.0.0.7", "from": "VC_WORKER_HOSTS[0] = localhost (resolved)"},
        "cards_per_node": {"value": 8, "from": "MA_NUM_GPUS"}}


def test_without_task_index_this_host_is_found_by_its_whole_name():
    env = {"VC_WORKER_HOSTS": HOSTS}
    resolve = lambda name: "10.0.0.7"  # noqa: E731
    assert modelarts_layout(env, resolve, hostname=lambda: "job-worker-1").node_rank.value == 2
    assert modelarts_layout(env, resolve, hostname=lambda: "job-worker-10.cluster.local").node_rank.value == 1
    with pytest.raises(ModelArtsError, match="is not in VC_WORKER_HOSTS"):
        modelarts_layout(env, resolve, hostname=lambda: "job-worker")


@pytest.mark.parametrize("env, words", [
    ({"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "3"}, "not a node index 0..2"),
    ({"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "0", "MA_NUM_HOSTS": "2"}, "MA_NUM_HOSTS=2 but"),
    ({"VC_WORKER_HOSTS": "a,,b", "VC_TASK_INDEX": "0"}, "comma-separated"),
    ({"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "0", "MA_NUM_GPUS": "-8"}, "MA_NUM_GPUS='-8'"),
])
def test_contradicting_variables_are_one_line_errors(env, words):
    with pytest.raises(ModelArtsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        modelarts_layout(env, resolve=lambda name: "10.0.0.7")


def test_an_unresolvable_master_is_named():
    with pytest.raises(ModelArtsError, match="cannot resolve the master host 'localhost'"):
        modelarts_layout({"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "1"}, resolve=no_dns)


def test_the_variables_drive_this_nodes_msrun_argv(tmp_path):
    env = {"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "1", "MA_NUM_HOSTS": "3", "VC_WORKER_NUM": "3",
           "MA_NUM_GPUS": "4", "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = run_cli("launch", "--demo", "--dry-run", "--json", "--no-probe", env=env, cwd=str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    (platform,) = [e for e in events if e["type"] == "platform"]
    assert platform["name"] == "modelarts"
    master = socket.gethostbyname("localhost")
    assert platform["derived"]["master_addr"] == {"value": master,
                                                  "from": "VC_WORKER_HOSTS[0] = localhost (resolved)"}
    assert platform["derived"]["node_rank"]["from"] == "VC_TASK_INDEX"
    commands = [e for e in events if e["type"] == "command"]
    assert [c["node_rank"] for c in commands] == [1]  # every node runs its own: only this node's command
    argv = commands[0]["argv"]
    assert {"--worker_num=12", "--local_worker_num=4", f"--master_addr={master}", "--node_rank=1",
            "--master_port=8118"} <= set(argv)
    flagged = run_cli("launch", "--demo", "--dry-run", "--json", "--no-probe", "--master-addr", "10.9.9.9",
                      env=env, cwd=str(tmp_path))
    assert "--master_addr=10.9.9.9" in [e for e in map(json.loads, flagged.stdout.splitlines())
                                        if e["type"] == "command"][0]["argv"]  # a flag wins over the platform
    bad = run_cli("launch", "--demo", "--dry-run", "--no-probe", env=dict(env, VC_TASK_INDEX="7"), cwd=str(tmp_path))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "VC_TASK_INDEX" in bad.stderr
    ignored = run_cli("launch", "--demo", "--dry-run", "--json", "--no-probe", "--no-platform", env=env,
                      cwd=str(tmp_path))
    assert '"platform"' not in ignored.stdout


def test_explicit_flags_win_over_the_platform_in_the_header_and_the_command(tmp_path):
    env = {"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "1", "MA_NUM_HOSTS": "3", "MA_NUM_GPUS": "8",
           "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = run_cli("launch", "--demo", "--dry-run", "--json", "--no-probe", "--nodes", "1", "--cards", "2",
                   env=env, cwd=str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    (platform,) = [e for e in events if e["type"] == "platform"]
    assert platform["derived"]["nodes"] == {"value": 1, "from": "--nodes"}
    assert platform["derived"]["node_rank"] == {"value": 0, "from": "--nodes 1"}
    assert "cards_per_node" not in platform["derived"]  # MA_NUM_GPUS=8 no longer says anything
    (command,) = [e for e in events if e["type"] == "command"]
    assert {"--worker_num=2", "--local_worker_num=2", "--node_rank=0"} <= set(command["argv"])
    text = run_cli("launch", "--demo", "--dry-run", "--no-probe", "--nodes", "1", "--cards", "2", "--lang", "en",
                   env=env, cwd=str(tmp_path))
    header = next(line for line in text.stdout.splitlines() if line.startswith("# ModelArts"))
    assert "nodes 1 (--nodes)" in header and "VC_WORKER_HOSTS)" not in header.split(";")[0]
    assert "larger than worker_num" not in text.stdout + text.stderr


def test_a_node_index_beyond_the_nodes_flag_is_one_line(tmp_path):
    env = {"VC_WORKER_HOSTS": HOSTS, "VC_TASK_INDEX": "2", "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = run_cli("launch", "--demo", "--dry-run", "--no-probe", "--nodes", "2", env=env, cwd=str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "--node-rank" in done.stderr
