"""Saving presets (the writer the CLI and the TUI share), strict loading with a suggestion, the JSON Schema."""

from __future__ import annotations

import json

import pytest

from mindpilot.presets.preset import Preset, builtin_presets, builtins_path, find_preset, load_preset
from mindpilot.presets.store import preset_schema, preset_to_yaml, save_preset
from mindpilot.validators.datafiles import DataFileError


def _session_preset() -> Preset:
    return Preset(name="qwen7b-ft", script="run_mindformer.py", config="ft.yaml",
                  script_args=["--config", "ft.yaml", "--run_mode", "finetune"], cards=2,
                  parallel={"data_parallel": 1, "model_parallel": 2, "pipeline_stage": 1},
                  env={"GLOG_v": "2"}, model="qwen2.5-7b")


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_save_reads_back_equal_and_is_byte_stable(tmp_path, suffix):
    preset = _session_preset()
    path = save_preset(preset, tmp_path / f"job.{suffix}")
    first = path.read_bytes()
    assert load_preset(path) == preset
    save_preset(load_preset(path), path)
    assert path.read_bytes() == first and not (tmp_path / f"job.{suffix}.bak").exists()  # nothing to change
    save_preset(preset.model_copy(update={"cards": 4}), path)
    assert (tmp_path / f"job.{suffix}.bak").read_bytes() == first  # the previous file is kept


def test_a_secret_is_stored_as_a_mask(tmp_path):
    preset = _session_preset().model_copy(update={"env": {"GLOG_v": "2", "HF_TOKEN": "hf_abcdefghijklmnop"}})
    for suffix in ("yaml", "json"):
        text = save_preset(preset, tmp_path / f"job.{suffix}").read_text(encoding="utf-8")
        assert "hf_abcdefghijklmnop" not in text
        assert load_preset(tmp_path / f"job.{suffix}").env == {"GLOG_v": "2", "HF_TOKEN": "***"}


def test_yaml_keeps_only_what_differs_from_defaults_in_field_order():
    text = preset_to_yaml(_session_preset())
    assert text.startswith("# mindpilot preset")
    keys = [line.split(":")[0] for line in text.splitlines()[1:] if line and not line.startswith((" ", "-", "#"))]
    assert keys == ["name", "model", "script", "script_args", "config", "cards", "parallel", "env"]


def test_unknown_key_names_file_line_and_closest_key(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nscript: a.py\nnodez: 2\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_preset(path)
    assert (info.value.line, info.value.key) == (3, "nodez")
    assert "did you mean 'nodes'" in str(info.value) and str(path) in str(info.value)
    path = tmp_path / "p.json"
    path.write_text('{\n "script": "a.py",\n "master_adr": "10.0.0.1"\n}\n', encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_preset(path)
    assert info.value.line == 3 and "did you mean 'master_addr'" in str(info.value)
    path.write_text('{\n "script": "a.py",\n "zzzz": 1\n}\n', encoding="utf-8")
    with pytest.raises(DataFileError, match="preset keys are: name, description"):
        load_preset(path)


def test_schema_validates_a_saved_preset_and_rejects_an_unknown_key(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    schema = preset_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(save_preset(_session_preset(), tmp_path / "p.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert "msrun" in schema["properties"]["cards"]["description"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "cardz": 2}, schema)


@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_every_builtin_saves_loads_back_and_fits_the_schema(tmp_path, name):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    from ruamel.yaml import YAML

    preset = find_preset(name)
    for suffix in ("yaml", "json"):
        assert load_preset(save_preset(preset, tmp_path / f"{name}.{suffix}")) == preset
    builtin = YAML(typ="safe").load(builtins_path(name))
    jsonschema.validate(builtin, preset_schema())


def test_a_misspelt_parallel_key_is_refused_with_the_closest_one(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("script: a.py\ncards: 2\nparallel:\n  data_paralel: 2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="did you mean 'data_parallel'") as info:
        load_preset(path)
    assert info.value.line in (3, 4) and str(path) in str(info.value)
    with pytest.raises(ValueError, match="at least 1"):
        Preset(script="a.py", parallel={"model_parallel": 0})
