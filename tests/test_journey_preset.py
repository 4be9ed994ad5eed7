"""The job the guided setup builds, per framework, saved and replayed by ``mindpilot launch FILE --dry-run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mindpilot.launch.command import build_commands
from mindpilot.launch.journey import JourneyChoices, journey_preset, save_journey_preset
from mindpilot.presets.preset import load_preset


def test_mindformers_job_is_run_mindformer_with_the_checked_yaml():
    preset = journey_preset(JourneyChoices(config="/w/finetune.yaml", cards=8, workdir="/w/mindformers",
                                           weights="/w/qwen_ms.ckpt", dataset="/w/alpaca4096.mindrecord",
                                           parallel={"data_parallel": 2, "model_parallel": 4, "pipeline_stage": 1}))
    argv = build_commands(preset, master_port=9000, msrun="msrun")[0].argv
    script = argv.index("run_mindformer.py")
    assert argv[script + 1:script + 5] == ["--config", "/w/finetune.yaml", "--run_mode", "finetune"]
    assert "--worker_num=8" in argv and argv[argv.index("--load_checkpoint") + 1] == "/w/qwen_ms.ckpt"
    assert preset.input_files == ["/w/qwen_ms.ckpt", "/w/alpaca4096.mindrecord"]


def test_grpo_job_is_the_entry_script_with_the_model_for_all_three_roles():
    preset = journey_preset(JourneyChoices(framework="mindrlhf-grpo", config="grpo_config.yaml", model_dir="/m/Qwen",
                                           dataset="/d/gsm8k.mindrecord"))
    assert preset.script.endswith("qwen_grpo_tutorial/main.py") and preset.framework == "mindrlhf"
    args = preset.script_args
    for flag in ("--tokenizer_dir", "--actor_checkpoint_path", "--ref_checkpoint_path", "--generate_checkpoint_path"):
        assert args[args.index(flag) + 1] == "/m/Qwen"
    assert args[args.index("--dataset_file") + 1] == "/d/gsm8k.mindrecord"


def test_mindspeed_job_runs_its_shell_script_with_bash_not_msrun():
    preset = journey_preset(JourneyChoices(framework="mindspeed-llm", config="examples/mcore/qwen25/tune.sh"))
    assert build_commands(preset, master_port=9000, msrun="msrun")[0].argv == ["bash", "examples/mcore/qwen25/tune.sh"]


@pytest.mark.mindspore  # launch --dry-run finds msrun (its absence is a preflight error)
def test_saved_demo_job_replays_from_the_cli(tmp_path):
    config = tmp_path / "finetune.yaml"
    config.write_text("seq_length: 4096\n")
    preset = journey_preset(JourneyChoices(config=str(config), demo=True))
    assert preset.script_args[-4:] == ["--config", str(config), "--run_mode", "finetune"]
    path = save_journey_preset(preset, str(tmp_path / "saved" / "my-demo-job.preset.yaml"))
    assert load_preset(path) == preset
    done = subprocess.run([sys.executable, "-m", "mindpilot", "launch", path, "--dry-run", "--no-probe"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    assert done.returncode == 0, done.stderr
    assert f"--config {config}" in done.stdout + done.stderr


def test_the_demo_cli_line_runs_the_script_the_setup_runs(tmp_path):
    """The Launch step shows ``launch --demo --config Y`` as its CLI line: that line hands the demo script the
    same arguments as the job the steps built (``--config Y --run_mode finetune``)."""
    config = tmp_path / "finetune.yaml"
    config.write_text("seq_length: 4096\n")
    preset = journey_preset(JourneyChoices(config=str(config), demo=True))
    done = subprocess.run([sys.executable, "-m", "mindpilot", "launch", "--demo", "--config", str(config),
                           "--dry-run", "--no-probe", "--json"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "MINDPILOT_STATE_DIR": str(tmp_path / "state")})
    argv = next(event["argv"] for event in map(json.loads, done.stdout.splitlines()) if event["type"] == "command")
    script = argv.index(next(word for word in argv if word.endswith("train.py")))
    assert argv[script + 1:] == preset.script_args
    assert preset.script_args[-4:] == ["--config", str(config), "--run_mode", "finetune"]


def test_check_of_the_saved_demo_job_reports_what_the_launch_gate_reports(tmp_path):
    """The demo job saved with `w` holds the steps' YAML: `check PRESET` finds the YAML's errors, as the Launch
    step's preflight (and `launch --demo --config Y`) does, and no contradiction of the demo net's own layout."""
    config = tmp_path / "finetune.yaml"
    config.write_text((Path(__file__).resolve().parents[1] / "tui" / "demo" / "finetune_qwen2_5_7b.yaml")
                      .read_text(encoding="utf-8"), encoding="utf-8")
    path = save_journey_preset(journey_preset(JourneyChoices(config=str(config), demo=True)),
                               str(tmp_path / "my-demo-job.preset.yaml"))
    env = {**os.environ, "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    checked = subprocess.run([sys.executable, "-m", "mindpilot", "check", path, "--skip-paths", "--json"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    gate = subprocess.run([sys.executable, "-m", "mindpilot", "launch", "--demo", "--config", str(config),
                           "--dry-run", "--no-probe", "--json"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)
    check_rules = {f["rule"] for f in json.loads(checked.stdout)["findings"] if f["severity"] == "error"}
    gate_rules = {e["finding"]["rule"] for e in map(json.loads, gate.stdout.splitlines())
                  if e["type"] == "preflight" and e["finding"]["severity"] == "error"}
    assert check_rules == gate_rules and "yaml.string_not_bool" in check_rules, (check_rules, gate_rules)
