"""MindRLHF ``grpo_config.yaml``: the per-role schema (master/dev) and the flat 0.4 schema.

GRPO trains, scores and generates with the same cards: weights are resharded from the actor's layout
to the reference and generation layouts, which requires every role to use all the cards
(``src network device number must equal to dest network device number``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional


from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.resources import PLACEHOLDER, check_memory
from mindpilot.validators.check.yamltypes import check_types, is_number, yaml11_float
from mindpilot import compiled
from mindpilot.datafiles import DataFileError, load_model, package_path

ROLES = ("actor_config", "ref_config", "generate_config")
VLLM_MODES = (0, 1, 2, "MINDFORMERS", "VLLM", "DEBUG")


@dataclass(frozen=True)
class GrpoSchema:
    """``data/grpo_schema.yaml``."""

    source: str
    """Where the field lists come from."""
    sections: dict[str, Optional[list[str]]]
    """Top-level sections and their keys (None: not checked)."""
    nested: dict[str, list[str]]
    """Keys of sub-sections that appear inside several sections."""
    verifiers: list[str]
    """Reward function names MindRLHF knows."""


@lru_cache(maxsize=1)
def grpo_schema() -> GrpoSchema:
    path = package_path("validators", "check", "data", "grpo_schema.yaml")
    return compiled.built(path, "grpo_schema", lambda: load_model(GrpoSchema, path))


def is_flat_schema(doc: ConfigDoc) -> bool:
    data = doc.data if isinstance(doc.data, dict) else {}
    return "rl_config" not in data and ("start_lr" in data or "sft_model_path" in data)


def role_product(doc: ConfigDoc, role: str) -> Optional[int]:
    section = doc.value(role, "parallel_config")
    if not isinstance(section, dict):
        return None
    product = 1
    for key in ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel"):
        value = section.get(key, 1)
        product *= value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1
    return product


def world_size(doc: ConfigDoc) -> Optional[int]:
    """The card count a GRPO config is written for (the actor's dp*mp*pp*cp)."""
    return role_product(doc, "actor_config")


def check_grpo_doc(doc: ConfigDoc, ctx: CheckContext, check_model_yaml: Any = None) -> None:
    check_types(doc, ctx)
    check_memory(doc, ctx)
    if is_flat_schema(doc):
        _check_lr(doc, ctx, ("start_lr",), ("end_lr",))
        _check_model_refs(doc, ctx, [("sft_model_path",)], check_model_yaml)
        return
    _check_keys(doc, ctx)
    _check_world(doc, ctx)
    _check_lr(doc, ctx, ("actor_config", "lr_schedule", "lr"), ("actor_config", "lr_schedule", "min_lr"))
    _check_rl_values(doc, ctx)
    _check_rewards(doc, ctx)
    _check_model_refs(doc, ctx, [(role, "model_config") for role in ROLES], check_model_yaml)


def _check_keys(doc: ConfigDoc, ctx: CheckContext) -> None:
    """Sections MindRLHF does not read, sections that are not mappings, and unknown keys inside each."""
    schema = grpo_schema()
    data = doc.data if isinstance(doc.data, dict) else {}
    for section, value in data.items():
        if section not in schema.sections:
            ctx.add("grpo.unknown_section", doc.path, doc.line(section), key=section,
                    allowed=", ".join(schema.sections))
        elif value is not None and not isinstance(value, dict):
            ctx.add("yaml.section_not_mapping", doc.path, doc.line(section), section=section, framework="MindRLHF",
                    type_name=type(value).__name__,
                    error="TypeError: ... argument after ** must be a mapping")
        elif isinstance(value, dict) and schema.sections[section] is not None:  # an empty section has no keys
            _check_section_keys(doc, ctx, schema, section, value)


def _check_section_keys(doc: ConfigDoc, ctx: CheckContext, schema: Any, section: str, value: dict) -> None:
    """Keys of one section (and of its nested mappings) against the dataclass fields MindRLHF reads."""
    allowed = schema.sections[section]
    for key, inner in value.items():
        if key not in allowed:
            ctx.add("grpo.unknown_key", doc.path, doc.line(section, key), key=key, section=section)
        elif key in schema.nested and inner is not None and not isinstance(inner, dict):
            ctx.add("yaml.section_not_mapping", doc.path, doc.line(section, key), section=f"{section}.{key}",
                    framework="MindRLHF", type_name=type(inner).__name__,
                    error="TypeError: ... argument after ** must be a mapping")
        elif key in schema.nested and isinstance(inner, dict):
            for sub in inner:
                if sub not in schema.nested[key]:
                    ctx.add("grpo.unknown_key", doc.path, doc.line(section, key, sub), key=sub,
                            section=f"{section}.{key}")


def _check_world(doc: ConfigDoc, ctx: CheckContext) -> None:
    products = {role: role_product(doc, role) for role in ROLES}
    actor = products.get("actor_config")
    for role in ("ref_config", "generate_config"):
        other = products.get(role)
        if actor and other and other != actor:
            ctx.add("grpo.world_size_mismatch", doc.path, doc.line(role, "parallel_config", "data_parallel"), role=role,
                    role_product=other, actor_product=actor, actor_line=doc.line("actor_config", "parallel_config"))
    if ctx.cards:
        for role, product in products.items():
            if product and product != ctx.cards:
                ctx.add("grpo.world_size_vs_cards", doc.path, doc.line(role, "parallel_config", "data_parallel"), role=role,
                        product=product, cards=ctx.cards)
    gen_pp = doc.value("generate_config", "parallel_config", "pipeline_stage", default=1)
    if isinstance(gen_pp, int) and gen_pp > 1:
        ctx.add("grpo.generate_pp", doc.path, doc.line("generate_config", "parallel_config", "pipeline_stage"),
                pp=gen_pp)
    actor_mp = doc.value("actor_config", "parallel_config", "model_parallel", default=1)
    gen_mp = doc.value("generate_config", "parallel_config", "model_parallel", default=1)
    if isinstance(actor_mp, int) and isinstance(gen_mp, int) and gen_mp > 0 and actor_mp % gen_mp:
        reshard = doc.value("rl_config", "enable_reshard_optimizer") is True
        ctx.add("grpo.actor_mp_gen_mp", doc.path, doc.line("generate_config", "parallel_config", "model_parallel"),
                severity=None if reshard else "warning", actor_mp=actor_mp, gen_mp=gen_mp)


def _check_lr(doc: ConfigDoc, ctx: CheckContext, lr_keys: tuple, min_keys: tuple) -> None:
    lr, min_lr = doc.value(*lr_keys), doc.value(*min_keys)
    for keys, value in ((lr_keys, lr), (min_keys, min_lr)):
        if isinstance(value, str):
            return  # yaml.float_as_string (or a plain typo) already names this line
        if value is not None and not isinstance(value, float):
            ctx.add("grpo.lr_not_float", doc.path, doc.line(*keys), key=keys[-1], value=repr(value),
                    type_name=type(value).__name__, fixed=yaml11_float(f"{float(value):e}")
                    if is_number(value) else "")
    if is_number(lr) and is_number(min_lr) and min_lr >= lr:
        ctx.add("grpo.min_lr_not_below_lr", doc.path, doc.line(*min_keys), lr=lr, min_lr=min_lr,
                lr_key=lr_keys[-1], min_key=min_keys[-1], lr_line=doc.line(*lr_keys))


def _check_rl_values(doc: ConfigDoc, ctx: CheckContext) -> None:
    rl = doc.value("rl_config")
    if not isinstance(rl, dict):
        return
    line = lambda key: doc.line("rl_config", key)  # noqa: E731
    if rl.get("packing", True) is True and isinstance(rl.get("pack_num"), int) and rl["pack_num"] < 1:
        ctx.add("grpo.pack_num", doc.path, line("pack_num"), value=rl["pack_num"])
    if "reshard_mem_opt_level" in rl and rl["reshard_mem_opt_level"] not in (0, 1):
        ctx.add("grpo.reshard_mem_opt_level", doc.path, line("reshard_mem_opt_level"), value=rl["reshard_mem_opt_level"])
    if isinstance(rl.get("save_ckpt_interval"), int) and rl["save_ckpt_interval"] <= 0:
        ctx.add("grpo.save_ckpt_interval", doc.path, line("save_ckpt_interval"), value=rl["save_ckpt_interval"])
    if isinstance(rl.get("save_max_ckpt_num"), int) and rl["save_max_ckpt_num"] < 1:
        ctx.add("grpo.save_max_ckpt_num", doc.path, line("save_max_ckpt_num"), value=rl["save_max_ckpt_num"])
    use_vllm = doc.value("generate_config", "use_vllm")
    if use_vllm is not None and use_vllm not in VLLM_MODES:
        ctx.add("grpo.use_vllm", doc.path, doc.line("generate_config", "use_vllm"), value=repr(use_vllm))


def _check_rewards(doc: ConfigDoc, ctx: CheckContext) -> None:
    functions = doc.value("reward_config", "verifier_function")
    weights = doc.value("reward_config", "verifier_weight")
    if isinstance(functions, str):
        functions = [part.strip() for part in functions.split(",") if part.strip()]
    if isinstance(weights, str):
        weights = [part.strip() for part in weights.split(",") if part.strip()]
    if isinstance(functions, list):
        known = grpo_schema().verifiers
        for name in functions:
            if name not in known:
                ctx.add("grpo.verifier_unknown", doc.path, doc.line("reward_config", "verifier_function"),
                        name=name, known=", ".join(known))
    if isinstance(functions, list) and isinstance(weights, list) and len(functions) != len(weights):
        ctx.add("grpo.verifier_lengths", doc.path, doc.line("reward_config", "verifier_weight"),
                weights=len(weights), functions=len(functions))


def resolve_model_yaml(grpo_path: str, value: str) -> Optional[Path]:
    """A model YAML named in a GRPO config: relative to the cwd, the config's folder or its parents
    (MindRLHF is run from its repository root, so ``./model_configs/...`` is relative to that)."""
    candidate = Path(value).expanduser()
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    bases = [Path.cwd(), *list(Path(grpo_path).resolve().parents)[:4]]
    for base in bases:
        if (base / candidate).is_file():
            return base / candidate
    return None


def _check_model_refs(doc: ConfigDoc, ctx: CheckContext, refs: list[tuple], check_model_yaml: Any) -> None:
    seen: set[Path] = set()
    for keys in refs:
        value = doc.value(*keys)
        if not isinstance(value, str) or not value:
            continue
        line = doc.line(*keys)
        if PLACEHOLDER.search(value) or value.startswith("/path"):
            ctx.add("paths.placeholder", doc.path, line, key=".".join(keys), value=value)
            continue
        if ctx.skip_paths:
            continue
        target = resolve_model_yaml(doc.path, value)
        if target is None:
            ctx.add("grpo.model_config_not_found", doc.path, line, key=".".join(keys), value=value)
            continue
        _check_role_heads(doc, ctx, keys[0], target)
        resolved = target.resolve()
        if resolved in seen or check_model_yaml is None:
            continue
        seen.add(resolved)
        check_model_yaml(str(target), role=keys[0])


def _check_role_heads(doc: ConfigDoc, ctx: CheckContext, role: str, model_yaml: Path) -> None:
    """MindRLHF copies the role's parallel_config into the model YAML: its mp must split the model's heads."""
    from mindpilot.validators.check.model import model_numbers

    mp = doc.value(role, "parallel_config", "model_parallel", default=1)
    if not isinstance(mp, int) or isinstance(mp, bool) or mp <= 1 or role == "generate_config":
        return
    try:
        numbers = model_numbers(ConfigDoc.load(model_yaml), ctx)
    except DataFileError:
        return
    for label, count in (("heads", numbers.heads), ("kv_heads", numbers.kv_heads)):
        if count and count % mp:
            ctx.add("grpo.role_heads_mp", doc.path, doc.line(role, "parallel_config", "model_parallel"), role=role,
                    mp=mp, what=label, count=count, model_yaml=str(model_yaml))
            return
