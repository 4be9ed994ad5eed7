"""`preset new`, `preset render` (deterministic, idempotent, plan applied with comments kept, one command per
node) and the round trip save -> render -> check -> launch --dry-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mindpilot.presets.preset import Preset, find_preset, load_preset
from mindpilot.launch.render import render_preset
from preset_round_trip import round_trip
from support import run_cli


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def test_render_is_deterministic_and_a_second_run_changes_nothing(tmp_path):
    preset = find_preset("qwen2.5-7b-grpo-8cards")
    first = render_preset(preset, tmp_path / "out")
    assert all(item.changed for item in first)
    before = _snapshot(tmp_path / "out")
    second = render_preset(preset, tmp_path / "out")
    assert not any(item.changed for item in second) and _snapshot(tmp_path / "out") == before
    (tmp_path / "out" / "run.sh").unlink()  # same input, fresh file: the same bytes
    assert render_preset(preset, tmp_path / "out")[-1].changed
    assert {k: v[0] for k, v in _snapshot(tmp_path / "out").items()} == {k: v[0] for k, v in before.items()}
    assert set(before) == {"grpo_config.yaml", "preset.yaml", "env.sh", "run.sh"}


def test_plan_is_written_into_the_config_with_its_comments(tmp_path):
    preset = find_preset("qwen2.5-7b-ft-2cards")
    template = Path(preset.resolve(preset.config)).read_text(encoding="utf-8")
    changed = preset.model_copy(update={"parallel": {"data_parallel": 2, "model_parallel": 1, "pipeline_stage": 1}})
    render_preset(changed, tmp_path)
    text = (tmp_path / "finetune_qwen2_5_7b_2cards.yaml").read_text(encoding="utf-8")
    assert "  data_parallel: 2\n  model_parallel: 1\n" in text and "  data_parallel: 1\n" in template
    comments = [line for line in template.splitlines() if "#" in line]
    assert comments == [line for line in text.splitlines() if "#" in line]
    run_sh = (tmp_path / "run.sh").read_text(encoding="utf-8")
    assert '"$HERE"/finetune_qwen2_5_7b_2cards.yaml' in run_sh and "mindpilot:" not in run_sh
    rendered = load_preset(tmp_path / "preset.yaml")
    assert rendered.config == str(tmp_path / "finetune_qwen2_5_7b_2cards.yaml")
    assert rendered.script_args[rendered.script_args.index("--config") + 1] == rendered.config


def test_one_command_per_node(tmp_path):
    preset = find_preset("mindspeed-qwen2.5-7b-pretrain-tp4pp2").model_copy(
        update={"cards": 16, "nodes": 2, "master_addr": "192.168.0.10"})
    render_preset(preset, tmp_path)
    for rank in (0, 1):
        text = (tmp_path / f"node{rank}.sh").read_text(encoding="utf-8")
        assert f"--node_rank={rank}" in text and "--local_worker_num=8" in text
        assert "--node_rank=" + str(1 - rank) not in text
    assert (tmp_path / "ckpt_convert_qwen25_hf2mcore.sh").is_file()
    assert 'case "$NODE_RANK" in' in (tmp_path / "run.sh").read_text(encoding="utf-8")
    env_sh = (tmp_path / "env.sh").read_text(encoding="utf-8")
    assert "export HCCL_EXEC_TIMEOUT=7200" in env_sh


def test_preset_new_from_flags_then_schema(tmp_path):
    out = tmp_path / "ft.preset.yaml"
    done = run_cli("preset", "new", "--name", "ft", "--script", "run_mindformer.py", "--config", "ft.yaml",
                   "--cards", "2", "--env", "GLOG_v=2", "--model", "qwen2.5-7b", "-o", str(out), "--",
                   "--config", "ft.yaml", "--run_mode", "finetune")
    assert done.returncode == 0, done.stderr
    preset = load_preset(out)
    assert (preset.cards, preset.env, preset.script_args[:2]) == (2, {"GLOG_v": "2"}, ["--config", "ft.yaml"])
    bad = run_cli("preset", "new", "--script", "a.py", "--env", "NOEQUALS")
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("preset", "new", "--script", "a.py", "--nodes", "0")
    assert bad.returncode == 2 and "--nodes" in bad.stderr
    derived = tmp_path / "mine.preset.yaml"
    done = run_cli("preset", "new", "--from", "qwen2.5-0.5b-ft-1card", "--name", "mine", "--env", "GLOG_v=1",
                   "-o", str(derived))
    assert done.returncode == 0, done.stderr
    mine, base = load_preset(derived), find_preset("qwen2.5-0.5b-ft-1card")
    assert mine.model_copy(update={"name": base.name, "env": base.env}) == base
    assert (mine.name, mine.env) == ("mine", {"GLOG_v": "1"})
    assert run_cli("preset", "new", "--cards", "2").returncode == 2
    schema = json.loads(run_cli("preset", "schema").stdout)
    assert schema["additionalProperties"] is False and "related_files" in schema["properties"]


@pytest.mark.mindspore  # launch --dry-run finds msrun (its absence is a preflight error)
def test_round_trip_of_the_demo_preset(tmp_path):
    result = round_trip(find_preset("demo"), tmp_path)
    argv = result["commands"][0]["argv"]
    assert argv[1:3] == ["--worker_num=2", "--local_worker_num=2"] and argv[-2:] == ["--steps", "30"]


def test_round_trip_of_a_session_built_preset(tmp_path):
    """What the TUI saves: a Preset built in code, with a config that names its files relative to the workdir."""
    template = find_preset("qwen2.5-0.5b-ft-1card")
    config = tmp_path / "finetune.yaml"
    config.write_text(Path(template.resolve(template.config)).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "train.py").write_text("print('step 1, loss 1.0')\n", encoding="utf-8")
    session = Preset(name="session-job", script="train.py", script_args=["--config", "finetune.yaml"],
                     config="finetune.yaml", cards=1, workdir=str(tmp_path), model="qwen2.5-0.5b",
                     parallel={"data_parallel": 1, "model_parallel": 1, "pipeline_stage": 1})
    result = round_trip(session, tmp_path, launch_must_pass=False)
    argv = result["commands"][0]["argv"]
    assert argv[argv.index("--config") + 1] == str(tmp_path / "rendered" / "finetune.yaml")
    assert "--worker_num=1" in argv


def test_render_writes_no_secret_value(tmp_path):
    preset = find_preset("demo").model_copy(update={"env": {"GLOG_v": "2", "HF_TOKEN": "hf_abcdefghijklmnop"}})
    render_preset(preset, tmp_path)
    for path in tmp_path.iterdir():
        assert "hf_abcdefghijklmnop" not in path.read_text(encoding="utf-8"), path.name
    assert 'export HF_TOKEN="${HF_TOKEN:?set HF_TOKEN}"' in (tmp_path / "env.sh").read_text(encoding="utf-8")
    assert load_preset(tmp_path / "preset.yaml").env["HF_TOKEN"] == "***"
