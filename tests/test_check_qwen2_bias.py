"""A Qwen2.5 YAML that declares LlamaConfig + LlamaForCausalLM without qkv_has_bias loads no q/k/v biases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import REPO, SHARED, run_cli

SEED_YAML = REPO / "tests" / "data" / "seeds" / "000_finetune_qwen2_5_7b_2cards_before.yaml"


def _llama_declared(tmp_path: Path, extra: str = "") -> Path:
    text = SEED_YAML.read_text(encoding="utf-8").replace("type: Qwen2ForCausalLM", "type: LlamaForCausalLM")
    text = text.replace("    vocab_size: 152064\n", "    vocab_size: 152064\n" + extra)
    target = tmp_path / "finetune_qwen2_5_7b.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def _rules(path: Path, lang: str = "en") -> list:
    done = run_cli("check", str(path), "--cards", "2", "--skip-paths", "--json", "--lang", lang)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]


def test_qwen2_under_llamaconfig_without_bias_is_an_error(tmp_path):
    target = _llama_declared(tmp_path)
    found = [f for f in _rules(target) if f["rule"] == "model.qwen2_needs_qkv_bias"]
    assert len(found) == 1
    assert found[0]["severity"] == "error"
    assert "qwen2.5-7b" in found[0]["detail"] and "152064" in found[0]["detail"]
    assert "qkv_has_bias: True" in found[0]["fix"]
    assert found[0]["line"] == target.read_text().splitlines().index("    type: LlamaConfig") + 1


def test_said_in_chinese_too(tmp_path):
    found = [f for f in _rules(_llama_declared(tmp_path), "zh") if f["rule"] == "model.qwen2_needs_qkv_bias"]
    assert found and "偏置" in found[0]["detail"]


def test_qkv_has_bias_true_silences_it(tmp_path):
    target = _llama_declared(tmp_path, "    qkv_has_bias: True\n")
    assert not [f for f in _rules(target) if f["rule"] == "model.qwen2_needs_qkv_bias"]


def test_qkv_has_bias_false_is_pointed_at(tmp_path):
    target = _llama_declared(tmp_path, "    qkv_has_bias: False\n")
    found = [f for f in _rules(target) if f["rule"] == "model.qwen2_needs_qkv_bias"]
    assert found and found[0]["line"] == target.read_text().splitlines().index("    qkv_has_bias: False") + 1


def test_shipped_qwen2_5_configs_are_not_flagged():
    corpus = SHARED / "corpus" / "configs"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is not present beside this checkout")
    shipped = sorted(corpus.glob("*qwen2_5*.yaml"))
    assert shipped
    for path in shipped:
        assert not [f for f in _rules(path) if f["rule"] == "model.qwen2_needs_qkv_bias"], path.name
