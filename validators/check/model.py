"""The model a MindFormers YAML builds: its numbers (layers, heads, ...) and its config/arch classes.

Numbers come from ``model.model_config`` as the framework reads them (legacy ``LlamaConfig`` reads
``num_layers/num_heads/n_kv_heads``; mcore reads ``num_hidden_layers/num_attention_heads/
num_key_value_heads``). What the YAML leaves out (mcore configs take it from ``pretrained_model_dir``)
comes from the planner's model catalogue (``presets/data/models.yaml``) when it is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from mindpilot import compiled
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.datafiles import load_model, package_path
from mindpilot.presets import models

MC = ("model", "model_config")

LEGACY_NAMES = {
    "layers": ("num_layers",), "heads": ("num_heads",), "kv_heads": ("n_kv_heads",),
    "hidden": ("hidden_size",), "ffn": ("intermediate_size",), "vocab": ("vocab_size",),
    "max_pos": ("max_position_embedding",),
}
"""What ``LlamaConfig.__init__`` reads (mindformers/models/llama/llama_config.py:130-140, MF 1.7)."""

ANY_NAMES = {
    "layers": ("num_layers", "num_hidden_layers"),
    "heads": ("num_heads", "num_attention_heads"),
    "kv_heads": ("n_kv_heads", "num_key_value_heads", "multi_query_group_num", "num_query_groups"),
    "hidden": ("hidden_size",),
    "ffn": ("intermediate_size", "ffn_hidden_size"),
    "vocab": ("vocab_size", "padded_vocab_size"),
    "max_pos": ("max_position_embedding", "max_position_embeddings", "seq_length_max"),
}
"""Every spelling used by the configs in the corpus, legacy first."""

HF_FOR_LEGACY = {"num_hidden_layers": "num_layers", "num_attention_heads": "num_heads",
                 "num_key_value_heads": "n_kv_heads", "max_position_embeddings": "max_position_embedding"}


@dataclass(frozen=True)
class ModelClass:
    """One entry of ``data/model_classes.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    config: str
    """Config class name as written in ``model_config.type``."""
    archs: list[str]
    """Model classes (``arch.type``) that take this config."""
    legacy: bool
    """Registered for the legacy path (True) or only for mcore (False)."""
    train: bool = True
    """Whether the class supports training in MindFormers 1.7."""
    families: list[str] = dataclass_field(default_factory=list)
    """Model families (catalogue ``family``) the class is meant for."""
    source: Optional[str] = None
    """Where this comes from."""


MODEL_CLASSES_FILE = package_path("validators", "check", "data", "model_classes.yaml")


@lru_cache(maxsize=1)
def model_classes() -> dict[str, ModelClass]:
    """The table by config class name (validated once, then kept by :func:`compiled.built`)."""
    return compiled.built(MODEL_CLASSES_FILE, "model_classes", lambda: {
        entry.config: entry for entry in load_model(list[ModelClass], MODEL_CLASSES_FILE)})


class Numbers:
    """Architecture numbers the parallel rules need, with where each came from."""

    def __init__(self) -> None:
        self.values: dict[str, Optional[int]] = {k: None for k in ANY_NAMES}
        self.keys: dict[str, str] = {}
        self.experts = 0
        self.mtp = 0
        self.source = "yaml"

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _catalogue_arch(doc: ConfigDoc, ctx: CheckContext) -> Any:
    """The catalogue's ModelArch for this YAML, when the catalogue knows the model (else None)."""
    names = []
    pretrained = doc.value("pretrained_model_dir")
    if isinstance(pretrained, str) and pretrained:
        if not ctx.skip_paths and Path(pretrained).is_dir():
            names.append(pretrained)
        names.append(Path(pretrained).name)
    model_name = doc.value("trainer", "model_name")
    if isinstance(model_name, str):
        names.append(model_name)
    for name in names:
        for candidate in (name, name.lower(), re.sub(r"(\d)_(\d)", r"\1.\2", name.lower()).replace("_", "-")):
            try:
                return models.get_model(candidate)
            except Exception:
                continue
    return None


def model_numbers(doc: ConfigDoc, ctx: CheckContext) -> Numbers:
    """Numbers as the framework will see them; catalogue values fill what the YAML does not say."""
    numbers = Numbers()
    config = doc.value(*MC) or {}
    if not isinstance(config, dict):
        return numbers
    names = LEGACY_NAMES if config.get("type") == "LlamaConfig" else ANY_NAMES
    for field, keys in names.items():
        key = next((key for key in keys if _int(config.get(key)) is not None), None)
        if key is not None:
            numbers.values[field], numbers.keys[field] = config[key], key
    if numbers.kv_heads is None and numbers.heads is not None:
        numbers.values["kv_heads"] = numbers.heads
    moe = doc.value("moe_config")
    numbers.experts = _last_count(config, EXPERT_KEYS) or _last_count(moe if isinstance(moe, dict) else {},
                                                                       ("expert_num",)) or numbers.experts
    numbers.mtp = _last_count(config, MTP_KEYS) or numbers.mtp
    if numbers.layers is None or numbers.heads is None:
        _fill_from_catalogue(numbers, doc, ctx)
    return numbers


EXPERT_KEYS = ("num_experts", "num_moe_experts", "n_routed_experts")
"""Keys of the model config that give the routed experts (``moe_config.expert_num`` otherwise)."""
MTP_KEYS = ("mtp_depth", "num_nextn_predict_layers", "mtp_num_layers")
"""Keys that give the multi-token-prediction layers."""


def _last_count(mapping: dict, keys: tuple[str, ...]) -> Optional[int]:
    """The value of the last of ``keys`` that ``mapping`` sets to a non-zero integer."""
    return next((mapping[key] for key in reversed(keys) if _int(mapping.get(key))), None)


def _fill_from_catalogue(numbers: Numbers, doc: ConfigDoc, ctx: CheckContext) -> None:
    """The catalogue's numbers for what the YAML leaves out, when the catalogue knows the model."""
    arch = _catalogue_arch(doc, ctx)
    if arch is None:
        return
    numbers.source = f"catalogue:{arch.name}"
    fill = {"layers": arch.num_layers, "heads": arch.num_heads, "kv_heads": arch.num_kv_heads,
            "hidden": arch.hidden_size, "ffn": arch.intermediate_size, "vocab": arch.vocab_size,
            "max_pos": arch.max_position_embeddings}
    for field, value in fill.items():
        if numbers.values.get(field) is None:
            numbers.values[field] = value
    numbers.experts = numbers.experts or arch.num_experts


def check_model_classes(doc: ConfigDoc, ctx: CheckContext, mcore: bool, training: bool) -> None:
    """Config type vs arch type, classes missing on this code path, and keys LlamaConfig ignores."""
    config = doc.value(*MC)
    if not isinstance(config, dict):
        return
    config_type = config.get("type")
    arch_type = doc.value("model", "arch", "type")
    table = model_classes()
    entry = table.get(config_type) if isinstance(config_type, str) else None
    if entry and isinstance(arch_type, str) and arch_type not in entry.archs:
        owner = next((e.config for e in table.values() if arch_type in e.archs), None)
        if owner:
            ctx.add("model.config_arch_mismatch", doc.path, doc.line(*MC, "type"), config_type=config_type,
                    arch_type=arch_type, expected=owner, arch_line=doc.line("model", "arch", "type"),
                    current=doc.text_of_line(doc.line(*MC, "type")).strip(),
                    suggest=doc.text_of_line(doc.line(*MC, "type")).strip().replace(config_type, owner, 1))
    if entry and entry.legacy == mcore:
        ctx.add("model.class_wrong_path", doc.path, doc.line(*MC, "type"), config_type=config_type,
                use_legacy=str(not mcore), needed=str(entry.legacy), source_ref=entry.source or "")
    elif entry and training and not entry.train:
        ctx.add("model.class_no_training", doc.path, doc.line("model", "arch", "type") or doc.line(*MC, "type"),
                arch_type=arch_type or entry.archs[0])
    named = _catalogue_arch(doc, ctx)
    if named is not None:
        _check_named_model(doc, ctx, config, entry, named)
    if config_type == "LlamaConfig" and arch_type in (None, "LlamaForCausalLM"):
        _check_qwen2_bias(doc, ctx, config, named)
    if config_type == "LlamaConfig":
        _check_ignored_keys(doc, ctx, config)


def _check_ignored_keys(doc: ConfigDoc, ctx: CheckContext, config: dict) -> None:
    """Hugging Face key names that the legacy ``LlamaConfig`` does not read (it wants its own name)."""
    for hf_key, legacy_key in HF_FOR_LEGACY.items():
        if hf_key in config and legacy_key not in config:
            line = doc.line(*MC, hf_key)
            severity = None if legacy_key != "max_position_embedding" else "warning"
            ctx.add("model.key_ignored", doc.path, line, severity=severity, key=hf_key, legacy_key=legacy_key,
                    value=config[hf_key], suggest=doc.text_of_line(line).strip().replace(hf_key, legacy_key, 1))


QWEN2_VOCABS = frozenset({151646, 151936, 152064})
"""Vocabulary sizes only Qwen2/Qwen2.5 checkpoints have (their config.json files)."""


def _check_qwen2_bias(doc: ConfigDoc, ctx: CheckContext, config: dict, named: Any) -> None:
    """A Qwen2 model under LlamaConfig loads its q/k/v biases only with ``qkv_has_bias: True``."""
    if config.get("qkv_has_bias") is True:
        return
    vocab = _int(config.get("vocab_size"))
    evidence = []
    if named is not None and getattr(named, "family", None) == "qwen2":
        evidence.append(f"model name {named.name}")
    if vocab in QWEN2_VOCABS:
        evidence.append(f"vocab_size {vocab}")
    if not evidence:
        return
    line = doc.line(*MC, "qkv_has_bias" if "qkv_has_bias" in config else "type")
    ctx.add("model.qwen2_needs_qkv_bias", doc.path, line, evidence=", ".join(evidence),
            current=str(config.get("qkv_has_bias", "not set")))


def _check_named_model(doc: ConfigDoc, ctx: CheckContext, config: dict, entry: Optional[ModelClass],
                       named: Any) -> None:
    """The model the YAML names (trainer.model_name / pretrained_model_dir) vs its class and numbers."""
    if entry is not None and entry.families and named.family and named.family not in entry.families:
        ctx.add("model.family_mismatch", doc.path, doc.line(*MC, "type"), config_type=entry.config,
                model=named.name, family=named.family, families=", ".join(entry.families))
    legacy_llama = config.get("type") == "LlamaConfig"
    names = LEGACY_NAMES if legacy_llama else ANY_NAMES
    expected = {"layers": named.num_layers, "heads": named.num_heads, "kv_heads": named.num_kv_heads,
                "hidden": named.hidden_size, "ffn": named.intermediate_size}
    for field, want in expected.items():
        for key in names[field]:
            value = config.get(key)
            if _int(value) is not None and want and value != want:
                ctx.add("model.numbers_differ", doc.path, doc.line(*MC, key), key=key, value=value, model=named.name,
                        expected=want)
                break
