"""MindSpeed-RL configs (hydra YAML, ``configs/grpo_*.yaml``): the checks its trainer runs only after Ray is up.

MindSpeed-RL starts a Ray cluster, loads the model on every card, and only then runs
``mindspeed_rl/config_cls/validate_config.py``; a model name that is not among the hydra ``defaults`` fails
even later, with a bare ``KeyError`` from ``BaseConfig.update`` (``model_config_dict[config_dict['model']]``).
This module runs the same checks on the file: model names against the defaults (the top-level keys of
``model/<name>.yaml`` beside the config when it is there), actor / reference / reward /
critic resources against their TP x PP x CP and against the cards, the inference TP against the actor's
cards, colocation (``use_integrated_worker``), ``max_model_len`` against ``seq_length``, bf16, and batch
divisibility. Sources: MindSpeed-RL ``validate_config.py``, ``rl_config.py``, ``cli/train_grpo.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc

ROLES = (("actor_config", "actor_resource", "actor"), ("ref_config", "reference_resource", "reference"),
         ("reward_config", "reward_resource", "reward"), ("critic_config", "critic_resource", "critic"))
"""Model section, its resource key in ``rl_config``, and the role's name."""
TRAINING = "megatron_training"
"""Shared training settings every role section is merged over (``{**megatron_training, **actor_config}``)."""


def is_mindspeed_rl(data: Any) -> bool:
    """A MindSpeed-RL hydra config: ``megatron_training`` plus a role or ``rl_config`` section."""
    return isinstance(data, dict) and TRAINING in data and any(
        key in data for key in ("actor_config", "rl_config", "generate_config"))


def default_models(data: dict) -> Optional[list[str]]:
    """Model names the hydra ``defaults`` load (``- model: [qwen25_7b]`` or ``- model: qwen25_7b``)."""
    defaults = data.get("defaults")
    if not isinstance(defaults, list):
        return None
    names: list[str] = []
    for entry in defaults:
        if isinstance(entry, dict) and "model" in entry:
            value = entry["model"]
            names += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return names


def _int(value: Any, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def _merged(data: dict, section: str) -> Optional[dict]:
    part = data.get(section)
    if not isinstance(part, dict):
        return None
    base = data.get(TRAINING) if isinstance(data.get(TRAINING), dict) else {}
    return {**base, **part}


def _product(config: dict) -> tuple[int, int, int]:
    return (_int(config.get("tensor_model_parallel_size")), _int(config.get("pipeline_model_parallel_size")),
            _int(config.get("context_parallel_size")))


def _npus(rl: dict, key: str) -> Optional[int]:
    resource = rl.get(key)
    if isinstance(resource, dict):
        value = resource.get("num_npus")
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def check_mindspeed_rl_doc(doc: ConfigDoc, ctx: CheckContext) -> None:
    """Every check of this module on one MindSpeed-RL config."""
    data = doc.data if isinstance(doc.data, dict) else {}
    path = doc.path
    _check_models(doc, data, ctx)
    rl = data.get("rl_config") if isinstance(data.get("rl_config"), dict) else {}
    integrated = bool(rl.get("use_integrated_worker"))
    if integrated:
        for section, resource, role in ROLES[1:3]:
            if section in data or rl.get(resource) is not None:
                where = section if section in data else resource
                line = doc.line(section) if section in data else doc.line("rl_config", resource)
                ctx.add("mindspeed_rl.integrated_extra", path, line, key=where, role=role)
    needed = 0
    for section, resource, role in ROLES:
        config = _merged(data, section)
        npus = _npus(rl, resource)
        if role == "reference" and integrated:
            npus = _npus(rl, "actor_resource")
        if config is None or npus is None:
            continue
        tp, pp, cp = _product(config)
        if npus % (tp * pp * cp):
            ctx.add("mindspeed_rl.resource_not_divisible", path, doc.line("rl_config", resource) or doc.line(section),
                    key=f"rl_config.{resource}.num_npus", role=role, npus=npus, tp=tp, pp=pp, cp=cp,
                    product=tp * pp * cp)
        if not (integrated and role != "actor"):
            needed += npus
    if ctx.cards is not None and needed > ctx.cards:
        ctx.add("mindspeed_rl.cards_short", path, doc.line("rl_config"), needed=needed, cards=ctx.cards,
                mode="use_integrated_worker: true" if integrated else "separate roles")
    _check_generation(doc, data, rl, ctx)


def model_keys(config_path: str, names: list[str]) -> Optional[list[str]]:
    """The model names the defaults really provide: the top-level keys of ``<config dir>/model/<name>.yaml``
    (hydra loads those files; a role's ``model`` must be one of their keys). None when a file is not there."""
    from mindpilot.validators.datafiles import DataFileError, read_yaml

    keys: list[str] = []
    folder = Path(config_path).parent / "model"
    for name in names:
        try:
            loaded = read_yaml(folder / f"{name}.yaml")
        except DataFileError:
            return None
        if isinstance(loaded, dict):
            keys += [str(key) for key in loaded]
    return keys


def _check_models(doc: ConfigDoc, data: dict, ctx: CheckContext) -> None:
    names = default_models(data)
    if names is None:
        return
    names = model_keys(doc.path, names) or names
    for section in (TRAINING,) + tuple(role[0] for role in ROLES):
        part = data.get(section)
        if isinstance(part, dict) and "model" in part and str(part["model"]) not in names:
            ctx.add("mindspeed_rl.model_not_in_defaults", doc.path, doc.line(section, "model"),
                    key=f"{section}.model", model=part["model"], known=", ".join(names) or "none")


def _check_generation(doc: ConfigDoc, data: dict, rl: dict, ctx: CheckContext) -> None:
    generate = data.get("generate_config") if isinstance(data.get("generate_config"), dict) else {}
    actor = _merged(data, "actor_config") or {}
    npus = _npus(rl, "actor_resource")
    path = doc.path
    infer_tp, infer_pp = _int(generate.get("infer_tensor_parallel_size")), _int(generate.get(
        "infer_pipeline_parallel_size"))
    if infer_pp > 1:
        ctx.add("mindspeed_rl.infer_pp", path, doc.line("generate_config", "infer_pipeline_parallel_size"),
                key="generate_config.infer_pipeline_parallel_size", pp=infer_pp)
    if npus is not None and npus % (infer_tp * infer_pp):
        ctx.add("mindspeed_rl.infer_tp", path, doc.line("generate_config", "infer_tensor_parallel_size"),
                key="generate_config.infer_tensor_parallel_size", tp=infer_tp, npus=npus)
    max_len, seq = generate.get("max_model_len"), actor.get("seq_length")
    if isinstance(max_len, int) and isinstance(seq, int) and max_len < seq:
        ctx.add("mindspeed_rl.max_model_len", path, doc.line("generate_config", "max_model_len"),
                key="generate_config.max_model_len", max_len=max_len, seq=seq)
    if actor.get("bf16") is False or generate.get("dtype", "bfloat16") != "bfloat16":
        ctx.add("mindspeed_rl.bf16", path, doc.line("generate_config", "dtype") or doc.line(TRAINING, "bf16"),
                dtype=generate.get("dtype"), bf16=actor.get("bf16"))
    gbs, mbs, samples = actor.get("global_batch_size"), actor.get("micro_batch_size"), rl.get(
        "n_samples_per_prompt", 1)
    if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (gbs, mbs, samples)) and npus:
        tp, pp, cp = _product(actor)
        dp = max(npus // (tp * pp * cp), 1)
        if gbs % dp or (gbs // dp * samples) % mbs:
            ctx.add("mindspeed_rl.batch", path, doc.line("actor_config", "micro_batch_size"),
                    key="actor_config.micro_batch_size", gbs=gbs, dp=dp, samples=samples, mbs=mbs)
