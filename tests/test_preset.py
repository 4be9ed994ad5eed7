"""The Preset: built-in demo, YAML/JSON round trip, precise errors, and the `preset` subcommand."""

from __future__ import annotations

import json

import pytest

from mindpilot.presets.preset import Preset, builtin_presets, demo_preset, find_preset, load_preset
from mindpilot.validators.datafiles import DataFileError
from support import run_cli


def test_builtin_demo_preset_is_a_two_worker_cpu_job_whose_script_exists():
    preset = demo_preset()
    assert "demo" in builtin_presets()
    assert preset.cards == 2 and preset.local_worker_num == 2 and preset.device == "cpu"
    from pathlib import Path

    assert Path(preset.resolve(preset.script)).is_file()


def test_yaml_and_json_round_trip(tmp_path):
    preset = Preset(name="qwen", script="run_mindformer.py", script_args=["--config", "a b.yaml"], cards=8,
                    parallel={"data_parallel": 2, "model_parallel": 4}, env={"GLOG_v": "2"}, vllm=True)
    (tmp_path / "p.yaml").write_text(preset.to_yaml(), encoding="utf-8")
    (tmp_path / "p.json").write_text(preset.to_json(), encoding="utf-8")
    assert load_preset(tmp_path / "p.yaml") == preset
    assert load_preset(tmp_path / "p.json") == preset


def test_bad_preset_names_file_line_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nscript: a.py\ncards: 8\nmaster_port: 80\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_preset(path)
    assert info.value.line == 4 and info.value.key == "master_port" and str(path) in str(info.value)
    path.write_text("name: x\nscript: a.py\ncardz: 8\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_preset(path)
    assert info.value.key == "cardz" and info.value.line == 3


def test_bad_json_preset_and_unknown_preset(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"script": "a.py",\n "cards": }', encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_preset(path)
    assert info.value.line == 2
    with pytest.raises(DataFileError, match="built-in presets: demo, "):
        find_preset("no-such-preset")


def test_local_workers_default_to_cards_over_nodes_and_node_rank_is_bounded():
    assert Preset(script="a.py", cards=16, nodes=2).local_worker_num == 8
    with pytest.raises(ValueError):
        Preset(script="a.py", cards=16, nodes=2, node_rank=2)
    with pytest.raises(ValueError):
        Preset(script="a.py", cards=0)


def test_preset_cli_show_json_and_list(tmp_path):
    shown = run_cli("preset", "show", "demo", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["cards"] == 2
    listed = run_cli("preset", "list", "--json")
    names = [p["name"] for p in json.loads(listed.stdout)]
    assert "demo" in names and names == sorted(names)
    missing = run_cli("preset", "show", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr and "Traceback" not in missing.stderr
