"""Find a model's architecture numbers: by catalogue name, from a model directory, or from a YAML.

Users name models in many spellings (``qwen2.5-7b``, ``Qwen/Qwen2.5-7B-Instruct``, ``qwen2_5_7b``),
point at a directory that modelscope downloaded (with a Hugging Face ``config.json``), or already
have a MindFormers YAML whose ``model.model_config`` uses legacy (``num_layers/num_heads/n_kv_heads``)
or mcore (``num_hidden_layers/num_attention_heads/num_key_value_heads``) names. All of them become
one :class:`~mindpilot.presets.arch.ModelArch`. The catalogue itself is data: ``data/models.yaml``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from mindpilot import compiled
from mindpilot.presets.arch import ModelArch, out_of_bounds
from mindpilot.datafiles import (DataFileError, InputBoundError, line_of, package_path, parse_bounded, read_text,
                                            read_yaml, validate)

CATALOGUE_FILE = package_path("presets", "data", "models.yaml")

_SUFFIXES = ("instruct", "chat", "base", "hf")


@dataclass(frozen=True)
class CatalogueEntry(ModelArch):
    """One ``models.yaml`` entry: the architecture plus the other names it answers to."""

    aliases: list[str] = field(default_factory=list)
    """Other spellings (Hugging Face repo names, MindFormers ``model_name``)."""


@dataclass(frozen=True)
class CatalogueFile:
    """The whole ``models.yaml`` document."""

    __pydantic_config__ = {"extra": "forbid"}

    models: list[CatalogueEntry]
    """Every model the catalogue knows."""


def normalise(name: str) -> str:
    """The lookup key of a model name: lower case, organisation, separators and chat suffixes dropped."""
    key = name.strip().rstrip("/").split("/")[-1].lower()
    key = re.sub(r"^meta-", "", key)
    key = re.sub(r"[^a-z0-9]", "", key)
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                changed = True
    return key


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[dict[str, ModelArch], dict[str, str]]:
    """Read a catalogue file: models by id, and every normalised name/alias to its id.

    Raises:
        DataFileError: the file does not parse, an entry does not fit the schema, or two entries
            claim the same name (file, line and key named).
    """
    return compiled.built(path, "catalogue", lambda: _read_catalogue(path))


def _read_catalogue(path: Path) -> tuple[dict[str, ModelArch], dict[str, str]]:
    document = read_yaml(path)
    parsed = validate(CatalogueFile, document, str(path), document)
    models: dict[str, ModelArch] = {}
    index: dict[str, str] = {}
    arch_fields = [spec.name for spec in fields(ModelArch)]
    for position, entry in enumerate(parsed.models):
        arch = ModelArch(**{name: getattr(entry, name) for name in arch_fields})
        for spelling in [entry.name, *entry.aliases]:
            key = normalise(spelling)
            owner = index.get(key)
            if owner is not None and owner != entry.name:
                raise DataFileError(str(path), line_of(document, ["models", position, "aliases"]),
                                    f"models.{position}.aliases",
                                    f"{spelling!r} already names {owner!r}")
            index[key] = entry.name
        models[entry.name] = arch
    return models, index


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, ModelArch], dict[str, str]]:
    return load_catalogue()


def catalogue() -> dict[str, ModelArch]:
    """Every catalogue model by id (a copy; callers may change it)."""
    return dict(_shipped()[0])


def find_model(name: str) -> Optional[ModelArch]:
    """The catalogue model ``name`` (any spelling), or None."""
    models, index = _shipped()
    model_id = index.get(normalise(name))
    return models[model_id] if model_id else None


def get_model(name_or_dir: str) -> ModelArch:
    """A model by catalogue name or alias, by model directory (``config.json``), or by config file.

    Raises:
        KeyError: not a catalogue name and not an existing path.
        DataFileError: the directory's ``config.json`` (or the YAML) is unreadable or incomplete.
    """
    path = Path(name_or_dir).expanduser()
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise DataFileError(str(path), None, None, "no config.json in this model directory")
        return arch_from_hf_config(read_json(config), path.name, str(config))
    if path.is_file():
        if path.suffix == ".json":
            return arch_from_hf_config(read_json(path), path.parent.name or path.stem, str(path))
        if path.suffix in (".yaml", ".yml"):
            return arch_from_yaml(path)
    if name_or_dir.startswith(("/", "./", "../", "~")):
        raise KeyError(f"{name_or_dir}: no such model directory or file")
    found = find_model(name_or_dir)
    if found is None:
        known = ", ".join(sorted(catalogue()))
        raise KeyError(f"unknown model {name_or_dir!r}: not a directory with config.json and not one of: {known}")
    return found


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; errors name the file and line."""
    text = read_text(path)  # a binary or GBK config.json is a DataFileError, not a traceback
    try:
        data = parse_bounded(str(path), lambda: json.loads(text), text)
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), exc.lineno, None, f"invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise DataFileError(str(path), 1, None, "expected a JSON object")
    return data


def arch_from_hf_config(config: dict[str, Any], name: str, file: str = "config.json") -> ModelArch:
    """A Hugging Face ``config.json`` (as modelscope downloads it) as a :class:`ModelArch`.

    The parameter count is estimated with the real head size (``head_dim``, MLA ranks) that
    ``ModelArch`` does not keep, so memory estimates stay right for Qwen3 and DeepSeek-V3.
    """
    from mindpilot.presets.memory import estimate_params

    def need(*keys: str) -> int:
        for key in keys:
            if config.get(key) is not None:
                return _int(config[key], file, None, key)
        raise DataFileError(file, None, keys[0], "missing from config.json")

    def maybe(key: str) -> Optional[int]:
        return None if config.get(key) is None else _int(config[key], file, None, key)

    heads = need("num_attention_heads", "n_head", "num_heads")
    experts = config.get("num_experts") or config.get("n_routed_experts") or config.get("num_local_experts") or 0
    arch = bounded(ModelArch(
        name=name,
        family=str(config.get("model_type") or ""),
        num_layers=need("num_hidden_layers", "n_layer", "num_layers"),
        hidden_size=need("hidden_size", "n_embd"),
        num_heads=heads,
        num_kv_heads=_int(config.get("num_key_value_heads") or heads, file, None, "num_key_value_heads"),
        intermediate_size=need("intermediate_size", "ffn_hidden_size"),
        vocab_size=need("vocab_size"),
        max_position_embeddings=maybe("max_position_embeddings"),
        num_experts=_int(experts, file, None, "num_experts"),
        experts_top_k=_int(config.get("num_experts_per_tok") or 0, file, None, "num_experts_per_tok"),
        moe_intermediate_size=maybe("moe_intermediate_size"),
        first_k_dense_layers=_int(config.get("first_k_dense_replace") or 0, file, None, "first_k_dense_replace"),
        mtp_layers=_int(config.get("num_nextn_predict_layers") or 0, file, None, "num_nextn_predict_layers"),
        tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
        source=file,
    ), file)
    mla = {key: _int(config[key], file, None, key) for key in MLA_KEYS if config.get(key) is not None}
    for key, value in mla.items():
        if not 0 <= value <= 1 << 22:
            raise InputBoundError(file, None, key, f"must be between 0 and {1 << 22}, got {value}")
    params = estimate_params(arch, head_dim=mla.get("head_dim"), mla=mla)
    return replace(arch, params_b=round(params / 1e9, 2))


def arch_from_yaml(path: Path) -> ModelArch:
    """``model.model_config`` of a MindFormers YAML (``model`` of a 2.x PyNative one) as a :class:`ModelArch`."""
    from mindpilot.presets.config_facts import model_config_of

    document = read_yaml(path)
    model_config = model_config_of(document)
    if model_config is None:
        raise DataFileError(str(path), line_of(document, ["model"]), "model.model_config", "missing")
    return arch_from_model_config(model_config, path.stem, file=str(path))


def arch_from_model_config(model_config: dict, name: str, file: Optional[str] = None) -> ModelArch:
    """A MindFormers ``model.model_config`` mapping (legacy or mcore key names) as a :class:`ModelArch`.

    Legacy Llama-style configs may leave out ``intermediate_size``; it is then derived as MindFormers
    does (``LlamaFeedForward``: ``4*hidden``, times ``ffn_dim_multiplier + 0.01``, two thirds, rounded up
    to ``multiple_of``, default 256; mindformers/models/llama/llama_layer.py:302-309, MF 1.7).

    Raises:
        DataFileError: a required number is missing or not an integer (file, line and key named).
    """
    where = file or name

    def pick(*keys: str, required: bool = True, default: Any = None) -> Any:
        for key in keys:
            if model_config.get(key) is not None:
                return _int(model_config[key], where, line_of(model_config, [key]), f"model.model_config.{key}")
        if required:
            raise DataFileError(where, line_of(model_config, []), f"model.model_config.{keys[0]}",
                                f"missing (also looked for {', '.join(keys[1:])})" if keys[1:] else "missing")
        return default

    hidden = pick("hidden_size", "dim")
    heads = pick("num_heads", "num_attention_heads", "n_head")
    kv_heads = pick("n_kv_heads", "num_key_value_heads", "multi_query_group_num", required=False, default=heads)
    ffn = pick("intermediate_size", "ffn_hidden_size", required=False)
    if ffn is None:
        multiplier = model_config.get("ffn_dim_multiplier")
        if multiplier is not None and (isinstance(multiplier, bool) or not isinstance(multiplier, (int, float))
                                       or not 0 < multiplier < 64):
            raise DataFileError(where, line_of(model_config, ["ffn_dim_multiplier"]),
                                "model.model_config.ffn_dim_multiplier", f"expected a number from 0 to 64, got "
                                                                         f"{multiplier!r}")
        multiple_of = pick("multiple_of", required=False, default=256) or 256
        if not 1 <= multiple_of <= 1 << 16:
            raise InputBoundError(where, line_of(model_config, ["multiple_of"]), "model.model_config.multiple_of",
                                  f"must be between 1 and {1 << 16}, got {multiple_of}")
        ffn = derive_llama_ffn(hidden, multiplier, multiple_of)
    moe = model_config.get("moe_config") if isinstance(model_config.get("moe_config"), dict) else {}
    experts = pick("num_experts", "n_routed_experts", "num_moe_experts", required=False, default=0) \
        or int(moe.get("expert_num") or 0)
    arch_type = str(model_config.get("type") or "")
    return bounded(ModelArch(
        name=name,
        family=str(model_config.get("model_type") or _family_of_type(arch_type)),
        num_layers=pick("num_layers", "num_hidden_layers", "n_layer"),
        hidden_size=hidden,
        num_heads=heads,
        num_kv_heads=kv_heads,
        intermediate_size=ffn,
        vocab_size=pick("vocab_size", "padded_vocab_size"),
        max_position_embeddings=pick("max_position_embeddings", "max_position_embedding", required=False),
        num_experts=experts,
        experts_top_k=pick("num_experts_per_tok", required=False, default=0) or int(moe.get("num_experts_chosen") or 0),
        moe_intermediate_size=pick("moe_intermediate_size", "moe_ffn_hidden_size", required=False),
        first_k_dense_layers=pick("first_k_dense_replace", required=False, default=0),
        mtp_layers=pick("mtp_num_layers", "num_nextn_predict_layers", required=False, default=0),
        tie_word_embeddings=bool(model_config.get("tie_word_embeddings", False)),
        source=where,
    ), where, model_config)


MLA_KEYS = ("head_dim", "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
            "n_shared_experts")
"""Optional config.json numbers the parameter estimate reads (head size, DeepSeek MLA ranks)."""


def bounded(arch: ModelArch, file: str, document: Any = None) -> ModelArch:
    """``arch`` when every number is inside :data:`~mindpilot.presets.arch.ARCH_BOUNDS`.

    Raises:
        InputBoundError: the first number outside its range (0 heads, 10^9 layers ...), with the file.
    """
    problem = out_of_bounds(arch)
    if problem is not None:
        field, text = problem
        raise InputBoundError(file, line_of(document, []) if document is not None else None, field, text)
    return arch


def derive_llama_ffn(hidden: int, ffn_dim_multiplier: Optional[float], multiple_of: int) -> int:
    """FFN width of a Llama-style config without ``intermediate_size``, the MindFormers way."""
    width = 4 * hidden
    if ffn_dim_multiplier is not None:
        width = int((float(ffn_dim_multiplier) + 0.01) * width)
    width = int(2 * width / 3)
    return int(multiple_of) * ((width + int(multiple_of) - 1) // int(multiple_of))


def _family_of_type(config_type: str) -> str:
    """``Qwen3MoeConfig`` -> ``qwen3_moe``, ``LlamaConfig`` -> ``llama`` (catalogue family names)."""
    name = re.sub(r"Config$", "", config_type)
    return re.sub(r"(?<=[0-9a-z])(?=[A-Z])", "_", name).lower()


def _int(value: Any, file: str, line: Optional[int], key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or int(value) != value:
        raise DataFileError(file, line, key, f"expected an integer, got {value!r}")
    return int(value)
