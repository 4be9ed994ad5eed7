"""``validators/check/model.py:model_numbers``: the architecture numbers as the framework reads the YAML."""

from __future__ import annotations

import pytest

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import model_numbers


def _numbers(text: str):
    return model_numbers(ConfigDoc("model.yaml", text), CheckContext(skip_paths=True))


def test_the_first_spelling_of_a_field_wins_and_kv_heads_default_to_heads():
    numbers = _numbers("model:\n  model_config:\n    num_hidden_layers: 28\n    num_layers: 30\n"
                       "    num_attention_heads: 28\n")
    assert (numbers.layers, numbers.keys["layers"]) == (30, "num_layers")  # the legacy spelling comes first
    assert (numbers.heads, numbers.keys["heads"]) == (28, "num_attention_heads")
    assert numbers.kv_heads == 28 and "kv_heads" not in numbers.keys


def test_a_legacy_llama_config_reads_only_its_own_spellings():
    numbers = _numbers("model:\n  model_config:\n    type: LlamaConfig\n    num_hidden_layers: 28\n"
                       "    num_heads: 8\n")
    assert numbers.layers is None or numbers.source.startswith("catalogue:")
    assert numbers.heads == 8


@pytest.mark.parametrize("model_keys, moe, experts", [
    ("", "moe_config:\n  expert_num: 8\n", 8),
    ("    num_experts: 16\n", "moe_config:\n  expert_num: 8\n", 16),               # the model config's word wins
    ("    num_experts: 16\n    n_routed_experts: 64\n", "", 64),                  # the last key it sets
    ("    num_experts: 0\n", "moe_config:\n  expert_num: 8\n", 8),                 # zero says nothing
    ("", "moe_config: []\n", 0),
])
def test_experts_come_from_the_model_config_else_moe_config(model_keys, moe, experts):
    text = "model:\n  model_config:\n    num_layers: 4\n    num_heads: 8\n" + model_keys + moe
    assert _numbers(text).experts == experts


def test_multi_token_prediction_layers_are_read():
    numbers = _numbers("model:\n  model_config:\n    num_layers: 4\n    num_heads: 8\n    mtp_depth: 1\n"
                       "    num_nextn_predict_layers: 2\n")
    assert numbers.mtp == 2
    assert _numbers("model:\n  model_config:\n    num_layers: 4\n    num_heads: 8\n").mtp == 0
