"""msrun argv and environment from a Preset, one command per node, and a run.sh that really runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mindpilot.launch.command import build_commands, build_env, build_msrun_argv, render_run_sh
from mindpilot.presets.preset import Preset

FACTS = {"checkouts": {"mindformers": {"path": "/home/ma-user/work/mindformers"},
                       "mindrlhf": {"path": "/home/ma-user/work/mindrlhf"}}, "npu_count": 8}


def test_argv_has_every_msrun_flag_in_order():
    preset = Preset(script="examples/grpo/main.py", script_args=["--config", "grpo.yaml"], cards=8,
                    master_port=9887, log_dir="./grpo_log", cluster_time_out=7200)
    argv = build_msrun_argv(preset, msrun="msrun")
    assert argv == ["msrun", "--worker_num=8", "--local_worker_num=8", "--master_addr=127.0.0.1",
                    "--master_port=9887", "--log_dir=./grpo_log", "--join=True", "--cluster_time_out=7200",
                    "examples/grpo/main.py", "--config", "grpo.yaml"]


def test_bind_core_forms():
    assert "--bind_core=True" in build_msrun_argv(Preset(script="a.py", bind_core=True))
    argv = build_msrun_argv(Preset(script="a.py", bind_core={"device0": ["0-10"]}))
    assert '--bind_core={"device0":["0-10"]}' in argv


def test_env_puts_checkouts_on_pythonpath_and_sets_ascend_variables():
    env = build_env(Preset(script="a.py"), FACTS)
    assert env["PYTHONPATH"].split(os.pathsep) == ["/home/ma-user/work/mindrlhf", "/home/ma-user/work/mindformers"]
    assert env["MINDFORMERS_PATH"] == "/home/ma-user/work/mindformers"
    assert env["MS_ENABLE_LCCL"] == "off" and env["HCCL_EXEC_TIMEOUT"] == "7200"
    assert env["HCCL_CONNECT_TIMEOUT"] == "1800"
    assert "vLLM_MODEL_BACKEND" not in env and "MS_ALLOC_CONF" not in env


def test_vllm_path_variables_from_seed_001():
    env = build_env(Preset(script="a.py", vllm=True, env={"GLOG_v": "2"}), None)
    assert env["vLLM_MODEL_BACKEND"] == "MindFormers"
    assert env["MS_JIT_MODULES"] == "vllm_mindspore,research"
    assert env["MS_ALLOC_CONF"] == "memory_tracker:False,enable_vmm:True"
    assert env["GLOG_v"] == "2"


def test_multi_node_gives_one_command_per_node_with_the_same_master():
    preset = Preset(script="run.py", cards=16, nodes=2, master_addr="192.168.0.10", master_port=8118)
    commands = build_commands(preset, msrun="msrun")
    assert [c.node_rank for c in commands] == [0, 1]
    for rank, command in enumerate(commands):
        assert f"--node_rank={rank}" in command.argv and "--local_worker_num=8" in command.argv
        assert "--master_addr=192.168.0.10" in command.argv and "--worker_num=16" in command.argv


def test_full_env_prepends_path_lists_to_the_users_value():
    command = build_commands(Preset(script="a.py"), FACTS, msrun="msrun")[0]
    env = command.full_env({"PYTHONPATH": "/old", "HOME": "/root"})
    assert env["PYTHONPATH"].endswith(os.pathsep + "/old") and env["PYTHONPATH"].startswith("/home/ma-user")
    assert env["HOME"] == "/root"


def _fake_msrun(tmp_path: Path) -> Path:
    script = tmp_path / "msrun"
    script.write_text("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$ARGV_OUT\"\n"
                      "printf '%s\\n' \"$PYTHONPATH\" \"$WEIRD\" > \"$ENV_OUT\"\n")
    script.chmod(0o755)
    return script


def test_run_sh_quotes_every_value_and_reproduces_the_argv(tmp_path):
    nasty = "it's a \"test\" $HOME `id`; rm -rf /"
    preset = Preset(script="train.py", script_args=["--name", nasty, "--empty", ""], cards=2, master_port=9000,
                    log_dir=str(tmp_path / "log dir"), env={"WEIRD": nasty}, pythonpath=["/opt/my libs"],
                    workdir=str(tmp_path))
    commands = build_commands(preset, msrun=str(_fake_msrun(tmp_path)))
    text = render_run_sh(commands, preset)
    script = tmp_path / "run.sh"
    script.write_text(text)
    env = dict(os.environ, ARGV_OUT=str(tmp_path / "argv"), ENV_OUT=str(tmp_path / "env"), PYTHONPATH="/site")
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "argv").read_text().split("\n")[:-1] == commands[0].argv[1:]
    pythonpath, weird = (tmp_path / "env").read_text().split("\n")[:2]
    assert pythonpath == "/opt/my libs:/site" and weird == nasty


def test_run_sh_for_two_nodes_takes_the_node_rank(tmp_path):
    preset = Preset(script="train.py", cards=4, nodes=2, master_port=9000, workdir=str(tmp_path))
    commands = build_commands(preset, msrun=str(_fake_msrun(tmp_path)))
    script = tmp_path / "run.sh"
    script.write_text(render_run_sh(commands, preset))
    env = dict(os.environ, ARGV_OUT=str(tmp_path / "argv"), ENV_OUT=str(tmp_path / "env"))
    done = subprocess.run(["bash", str(script), "1"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "--node_rank=1" in (tmp_path / "argv").read_text().split("\n")
    bad = subprocess.run(["bash", str(script), "7"], env=env, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2


def test_shell_line_is_valid_for_sh():
    command = build_commands(Preset(script="a b.py", env={"X": "y z"}), msrun="msrun")[0]
    done = subprocess.run(["bash", "-n", "-c", command.shell()], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
