"""The guided setup's job, end to end in CI terms: the Preset the TUI session builds (launch.journey, the
same function the Launch step calls) -> saved -> ``preset render`` -> ``check`` -> ``launch --dry-run``.
The keystrokes that fill the session are the TUI's own tests; from the session on, this is the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.journey import JourneyChoices, journey_preset
from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan
from mindpilot.presets.preset import find_preset, load_preset
from preset_round_trip import round_trip

TEMPLATE = find_preset("qwen2.5-7b-ft-2cards")


@pytest.mark.mindspore  # launch --dry-run finds msrun (its absence is a preflight error)
def test_demo_journey_round_trip_launches(tmp_path):
    # The demo job carries the YAML as its config (as `launch --demo --config`), so launch's preflight checks
    # the YAML's paths: here they are the weights and data this machine has.
    (tmp_path / "Qwen2.5-7B-Instruct").mkdir()
    (tmp_path / "alpaca-fastchat4096.mindrecord").write_bytes(b"")
    text = Path(TEMPLATE.resolve(TEMPLATE.config)).read_text(encoding="utf-8")
    for name in ("models/Qwen2.5-7B-Instruct", "data/alpaca-fastchat4096.mindrecord"):
        text = text.replace(f"/home/ma-user/work/{name}", str(tmp_path / name.split("/")[1]))
    config = tmp_path / "finetune.yaml"
    config.write_text(text, encoding="utf-8")
    preset = journey_preset(JourneyChoices(config=str(config), cards=2, demo=True, model="qwen2.5-7b"))
    assert preset.config == str(config)  # saved with the job: `check PRESET` reads it
    result = round_trip(preset, tmp_path)
    rendered = load_preset(result["out"] / "preset.yaml")
    argv = result["commands"][0]["argv"]
    assert argv[argv.index("--config") + 1] == rendered.config and "--worker_num=2" in argv


def test_mindformers_journey_round_trip_carries_the_chosen_plan(tmp_path):
    config = tmp_path / "finetune.yaml"
    text = Path(TEMPLATE.resolve(TEMPLATE.config)).read_text(encoding="utf-8")
    config.write_text(text.replace("  model_parallel: 2\n", "  model_parallel: 1\n")
                      .replace("  data_parallel: 1\n", "  data_parallel: 2\n"), encoding="utf-8")
    chosen = plan(get_model("qwen2.5-7b"), 2)[0].parallel_config  # what the Plan step hands on
    preset = journey_preset(JourneyChoices(config=str(config), cards=2, parallel=chosen, workdir=str(tmp_path),
                                           model="qwen2.5-7b"))
    result = round_trip(preset, tmp_path, launch_must_pass=False)  # no weights or data on this machine
    rendered = load_preset(result["out"] / "preset.yaml")
    written = Path(rendered.config).read_text(encoding="utf-8")
    for key in ("data_parallel", "model_parallel", "pipeline_stage"):
        assert f"  {key}: {chosen[key]}\n" in written
    argv = result["commands"][0]["argv"]
    assert argv[argv.index("--config") + 1] == rendered.config
