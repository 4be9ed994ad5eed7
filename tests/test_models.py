"""The model catalogue and the three ways to get a model: names, model directories, MindFormers YAML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mindpilot.presets.memory import estimate_params
from mindpilot.presets.models import (arch_from_model_config, catalogue, derive_llama_ffn, get_model,
                                      load_catalogue, normalise)
from mindpilot.datafiles import DataFileError, read_yaml

DATA = Path(__file__).parent / "data" / "plan"

REQUIRED = ["qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b", "qwen2.5-7b", "qwen2.5-14b", "qwen2.5-32b",
            "qwen2.5-72b", "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b",
            "qwen3-30b-a3b", "qwen3-235b-a22b", "llama3-8b", "llama3-70b", "llama3.1-8b", "llama3.1-70b",
            "deepseek-v3"]


def test_catalogue_has_every_model_of_the_issue_with_a_source():
    models = catalogue()
    assert set(REQUIRED) <= set(models)
    for name, arch in models.items():
        assert arch.source and "§8" in arch.source, name
        assert arch.hidden_size % arch.num_heads == 0 or arch.family == "qwen3", name
        assert arch.num_heads % arch.num_kv_heads == 0, name


def test_spot_check_against_the_reference_numbers():
    m = catalogue()
    q7 = m["qwen2.5-7b"]
    assert (q7.num_layers, q7.hidden_size, q7.num_heads, q7.num_kv_heads, q7.intermediate_size, q7.vocab_size) \
        == (28, 3584, 28, 4, 18944, 152064)
    moe = m["qwen3-30b-a3b"]
    assert (moe.num_experts, moe.experts_top_k, moe.moe_intermediate_size, moe.num_kv_heads) == (128, 8, 768, 4)
    ds = m["deepseek-v3"]
    assert (ds.num_layers, ds.mtp_layers, ds.first_k_dense_layers, ds.num_experts, ds.vocab_size) \
        == (61, 1, 3, 256, 129280)
    assert m["llama3.1-70b"].max_position_embeddings == 131072
    assert m["llama3-70b"].max_position_embeddings == 8192


def _first_int(cell: str):
    found = re.search(r"\d+", cell.replace(",", ""))
    return int(found.group()) if found else None


def test_catalogue_agrees_with_every_row_of_reference_section_8(shared_dir):
    text = (shared_dir / "reference" / "mindformers-rules.md").read_text(encoding="utf-8")
    section = text.split("## 8.")[1].split("\n## ")[0]
    checked = 0
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or not re.match(r"(Qwen|Llama|DeepSeek)", cells[0]) or "/" in cells[0]:
            continue
        arch = get_model(cells[0].split(" ")[0])
        numbers = [_first_int(c) for c in cells[1:7]]
        expected = [arch.num_layers, arch.hidden_size, arch.num_heads, arch.num_kv_heads,
                    arch.intermediate_size, arch.vocab_size]
        assert numbers == expected, cells[0]
        checked += 1
    assert checked >= 17


@pytest.mark.parametrize("spelling", ["qwen2.5-7b", "Qwen2.5-7B-Instruct", "qwen2_5_7b", "Qwen/Qwen2.5-7B",
                                      "QWEN2.5-7B-instruct"])
def test_aliases_resolve(spelling):
    assert get_model(spelling).name == "qwen2.5-7b"


def test_other_aliases_do_not_collide():
    assert get_model("Qwen2.5-1.5B-Instruct").name == "qwen2.5-1.5b"
    assert get_model("Meta-Llama-3.1-8B-Instruct").name == "llama3.1-8b"
    assert get_model("Llama-3-8B").name == "llama3-8b"
    assert get_model("deepseek3").name == "deepseek-v3"
    assert normalise("Qwen3-235B-A22B") != normalise("Qwen3-30B-A3B")


def test_unknown_name_is_a_key_error_listing_the_catalogue():
    with pytest.raises(KeyError, match="qwen2.5-7b"):
        get_model("gpt-17")


def test_a_missing_path_is_not_silently_read_as_a_catalogue_name(tmp_path):
    with pytest.raises(KeyError, match="no such model directory"):
        get_model(str(tmp_path / "Qwen2.5-7B-Instruct"))
    assert get_model("Qwen/Qwen2.5-7B-Instruct").name == "qwen2.5-7b"  # a hub id still resolves


def test_catalogue_params_match_the_published_sizes():
    for name, arch in catalogue().items():
        if arch.family in ("qwen2", "llama"):  # head size = hidden / heads, so the count is exact
            assert estimate_params(arch) / 1e9 == pytest.approx(arch.params_b, rel=0.02), name


def test_hugging_face_model_dir_as_modelscope_downloads_it():
    arch = get_model(str(DATA / "Qwen2.5-7B-Instruct"))
    assert arch.name == "Qwen2.5-7B-Instruct"
    assert arch.family == "qwen2"
    assert (arch.num_layers, arch.num_kv_heads, arch.intermediate_size, arch.max_position_embeddings) \
        == (28, 4, 18944, 32768)
    assert arch.params_b == pytest.approx(7.61, rel=0.01)
    assert arch.source.endswith("config.json")


def test_hf_config_head_dim_and_moe_fields_are_used():
    small = get_model(str(DATA / "Qwen3-0.6B"))
    assert small.tie_word_embeddings and small.params_b == pytest.approx(0.6, abs=0.02)
    moe = get_model(str(DATA / "Qwen3-30B-A3B" / "config.json"))
    assert (moe.num_experts, moe.experts_top_k, moe.moe_intermediate_size) == (128, 8, 768)
    assert moe.params_b == pytest.approx(30.5, rel=0.02)


def test_legacy_mindformers_yaml_names():
    document = read_yaml(DATA / "finetune_qwen2_5_7b_8k.yaml")
    arch = arch_from_model_config(document["model"]["model_config"], "qwen7b")
    assert (arch.num_layers, arch.num_heads, arch.num_kv_heads, arch.hidden_size, arch.intermediate_size) \
        == (28, 28, 4, 3584, 18944)
    assert arch.max_position_embeddings == 131072
    assert arch.family == "llama"  # type: LlamaConfig


def test_mcore_mindformers_yaml_names_through_get_model():
    arch = get_model(str(DATA / "mcore_qwen3_8b.yaml"))
    assert (arch.num_layers, arch.num_heads, arch.num_kv_heads, arch.intermediate_size) == (36, 32, 8, 12288)
    assert arch.family == "qwen3"


def test_ffn_hidden_size_alias():
    arch = arch_from_model_config({"num_layers": 2, "num_heads": 4, "hidden_size": 64, "ffn_hidden_size": 256,
                                   "vocab_size": 100}, "tiny")
    assert arch.intermediate_size == 256 and arch.num_kv_heads == 4


def test_missing_intermediate_size_is_derived_the_mindformers_way():
    arch = get_model(str(DATA / "legacy_llama3_70b.yaml"))
    assert arch.intermediate_size == 28672  # the published Llama-3-70B FFN width
    assert derive_llama_ffn(4096, 1.3, 1024) == 14336  # Llama-3-8B (Meta: multiplier 1.3, multiple_of 1024)
    assert derive_llama_ffn(4096, None, 256) == 11008  # Llama-2-7B default


def test_bad_yaml_value_names_file_line_and_key():
    with pytest.raises(DataFileError) as info:
        get_model(str(DATA / "bad_num_layers.yaml"))
    assert info.value.file.endswith("bad_num_layers.yaml")
    assert info.value.key == "model.model_config.num_layers"
    assert info.value.line == 5


def test_missing_key_in_model_config_is_named():
    with pytest.raises(DataFileError) as info:
        arch_from_model_config({"num_layers": 2, "hidden_size": 64, "vocab_size": 10}, "x", file="m.yaml")
    assert info.value.key == "model.model_config.num_heads" and info.value.file == "m.yaml"


def test_bad_config_json_and_empty_dir(tmp_path):
    (tmp_path / "config.json").write_text('{"hidden_size": 64,\n "num_hidden_layers": }', encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        get_model(str(tmp_path))
    assert info.value.line == 2 and "invalid JSON" in str(info.value)
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 64}), encoding="utf-8")
    with pytest.raises(DataFileError, match="num_attention_heads: missing"):
        get_model(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFileError, match="no config.json"):
        get_model(str(empty))


def test_bad_catalogue_entry_names_file_line_and_key(tmp_path):
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n  - name: a\n    num_layers: 2\n    hidden_size: 8\n    num_heads: 2\n"
                   "    num_kv_heads: 2\n    intermediate_size: lots\n    vocab_size: 10\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_catalogue(bad)
    assert info.value.key == "models.0.intermediate_size" and info.value.line == 7


def test_two_entries_claiming_one_alias_are_refused(tmp_path):
    entry = "  - name: {name}\n    aliases: [{alias}]\n    num_layers: 2\n    hidden_size: 8\n    num_heads: 2\n" \
            "    num_kv_heads: 2\n    intermediate_size: 16\n    vocab_size: 10\n"
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n" + entry.format(name="a-1b", alias="x") + entry.format(name="b-1b", alias="A_1B"),
                   encoding="utf-8")
    with pytest.raises(DataFileError, match="already names 'a-1b'") as info:
        load_catalogue(bad)
    assert info.value.line == 11
