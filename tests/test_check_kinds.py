"""Which schema ``check`` reads a file as: one ordered registry (FILE_KINDS), a label per kind, and a note (never
a silent "0 errors") for a YAML it does not recognise."""

from __future__ import annotations

import json

import pytest
from support import run_cli

from mindpilot.validators import check
from mindpilot.validators.check import FILE_KINDS, FileKind, detect_kind, kind_label, kind_named, register_kind, run_check
from mindpilot.validators.check import kinds as kinds_module


@pytest.mark.parametrize("text, kind", [
    ("parallelism:\n  tensor_parallel: 2\nmodel:\n  num_hidden_layers: 4\n", "mindformers_pynative"),
    ("training:\n  global_batch_size: 8\nmodel:\n  model_type: qwen3\n", "mindformers_pynative"),
    ("parallel_config:\n  data_parallel: 2\nparallelism:\n  tensor_parallel: 2\n", "mindformers"),
    ("use_parallel: True\nmodel:\n  model_config:\n    num_layers: 4\n", "mindformers"),
    ("rl_config:\n  seq_length: 1024\n", "grpo"),
    ("defaults:\n  - model: qwen25_7b\nmegatron_training:\n  tensor_model_parallel_size: 4\n", "unknown"),
    ("model: Qwen/Qwen2.5-7B-Instruct\ntensor_parallel_size: 4\nmax_model_len: 8192\n", "unknown"),
    ("- just\n- a list\n", "unknown"),
])
def test_detect_kind(tmp_path, text, kind):
    import yaml

    assert detect_kind("config.yaml", text, yaml.safe_load(text)) == kind


def test_every_kind_has_a_label_naming_its_schema_in_both_languages():
    assert kind_label("mindformers_pynative") == "MindFormers 2.x PyNative YAML (parallelism:)"
    assert kind_label("mindformers") == "MindFormers YAML (parallel_config:)"
    assert kind_label("unknown") == "schema not recognised" and kind_label("no-such-kind", "zh") == "不认识的格式"
    assert kind_label("yaml") == "YAML that could not be read as a config"
    for kind in FILE_KINDS:
        assert kind.label("en") and kind.label("zh") and kind.label("en") != kind.label("zh")


def test_register_kind_is_tried_in_order(monkeypatch):
    monkeypatch.setattr(kinds_module, "FILE_KINDS", list(FILE_KINDS))
    register_kind(FileKind("toy", "Toy YAML", "玩具 YAML", lambda name, text, data: isinstance(data, dict)
                           and "toy" in data), before="mindformers")
    names = [k.name for k in kinds_module.FILE_KINDS]
    assert names.index("toy") == names.index("mindformers") - 1
    assert check.detect_kind("a.yaml", "", {"toy": 1, "model": {}}) == "toy"
    assert check.kind_label("toy", "zh") == "玩具 YAML"
    register_kind(FileKind("last", "Last", "最后", lambda name, text, data: False))
    assert kinds_module.FILE_KINDS[-1].name == "last"
    assert kind_named("mindformers") in FILE_KINDS and kinds_module.FILE_KINDS != FILE_KINDS


def test_a_registered_kind_is_checked_by_its_own_rules(tmp_path, monkeypatch):
    """One registration is the whole extension: run_check dispatches through the registry, no if/elif."""
    monkeypatch.setattr(kinds_module, "FILE_KINDS", list(FILE_KINDS))
    seen = []

    def check_toy(run, path, text, doc):
        seen.append((path, doc.data))
        run.ctx.add("yaml.unknown_kind", path, 1)

    register_kind(FileKind("toy", "Toy YAML", "玩具 YAML", lambda name, text, data: isinstance(data, dict)
                           and "toy" in data, check_toy), before="mindformers")
    path = tmp_path / "toy.yaml"
    path.write_text("toy: 3\nmodel:\n  a: 1\n", encoding="utf-8")
    report = run_check([path], cards=8)
    assert report.files == [{"file": str(path), "kind": "toy"}]
    assert seen == [(str(path), {"toy": 3, "model": {"a": 1}})]
    assert [(f.rule, f.line) for f in report.findings] == [("yaml.unknown_kind", 1)]
    assert report.to_dict()["files"][0]["schema"] == "Toy YAML"


def test_a_kind_without_rules_is_named_not_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(kinds_module, "FILE_KINDS", list(FILE_KINDS))
    register_kind(FileKind("toy", "Toy YAML", "玩具 YAML", lambda name, text, data: isinstance(data, dict)
                           and "toy" in data), before="mindformers")
    path = tmp_path / "toy.yaml"
    path.write_text("toy: 3\n", encoding="utf-8")
    report = run_check([path])
    assert report.files == [{"file": str(path), "kind": "toy"}]
    assert [f.rule for f in report.findings] == ["yaml.unknown_kind"]


@pytest.mark.parametrize("text", [
    "model: Qwen/Qwen2.5-7B-Instruct\ntensor_parallel_size: 4\n",
    "stage: sft\nmodel_name_or_path: /models/qwen\nfinetuning_type: lora\n",
    "{}\n",
])
def test_a_yaml_of_an_unknown_schema_gets_a_note_not_a_silent_zero(tmp_path, text):
    path = tmp_path / "serve.yaml"
    path.write_text(text, encoding="utf-8")
    report = run_check([path], cards=8)
    assert report.files == [{"file": str(path), "kind": "unknown"}]
    assert [f.rule for f in report.findings] == ["yaml.unknown_kind"]
    done = run_cli("check", str(path), "--cards", "8", "--lang", "en")
    text_out = " ".join(done.stderr.split())
    assert "(schema not recognised)" in text_out and "1 note" in text_out
    assert "No rule was checked" in " ".join((done.stdout + done.stderr).split())
    document = json.loads(run_cli("check", str(path), "--cards", "8", "--json").stdout)
    assert document["files"][0]["schema"] == "schema not recognised"
