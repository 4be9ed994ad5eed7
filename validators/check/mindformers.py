"""Check one MindFormers YAML (finetune / pretrain / predict; legacy and mcore) before it is launched."""

from __future__ import annotations

from typing import Optional

from mindpilot.presets.config_facts import seq_length as config_seq_length
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import MC, check_model_classes, model_numbers
from mindpilot.validators.check.parallel import Plan, _run_mode, check_parallel, parallel_mode
from mindpilot.validators.check.recompute import check_layers, check_recompute
from mindpilot.validators.check.resources import check_dataset_seq_length, check_memory, check_paths
from mindpilot.validators.check.yamltypes import check_types

SWAP_KEYS = ("swap", "layer_swap", "op_swap", "default_prefetch")
"""``SwapConfig`` template (template.py:333, MF 1.7)."""


def is_mcore(doc: ConfigDoc) -> bool:
    """``use_legacy: False`` selects the mcore code path (MindFormers >= 1.6)."""
    return doc.value("use_legacy") is False


SECTIONS = ("parallel", "runner_config", "runner_wrapper", "optimizer", "lr_schedule", "model", "context",
            "moe_config", "swap_config", "train_dataset", "train_dataset_task", "eval_dataset", "trainer", "processor")
"""Sections the MindFormers template reads as dicts (parallel_config / recompute_config have their own rules)."""


def check_mindformers_doc(doc: ConfigDoc, ctx: CheckContext) -> None:
    """Every MindFormers rule on an already parsed document."""
    check_types(doc, ctx)
    for section in SECTIONS:
        value = doc.value(section)
        if value is not None and not isinstance(value, dict):
            ctx.add("yaml.section_not_mapping", doc.path, doc.line(section), section=section, framework="MindFormers",
                    type_name=type(value).__name__,
                    error=f"TypeError: The input config should be a dict, but get {type(value)}")
    model = doc.value("model")
    for sub in ("model_config", "arch"):
        value = model.get(sub) if isinstance(model, dict) else None
        if value is not None and not isinstance(value, dict):
            ctx.add("yaml.section_not_mapping", doc.path, doc.line("model", sub), section=f"model.{sub}",
                    framework="MindFormers", type_name=type(value).__name__,
                    error=f"TypeError: The input config should be a dict, but get {type(value)}")
    mcore = is_mcore(doc)
    run_mode = _run_mode(doc)
    training = run_mode in (None, "train", "finetune")
    plan = Plan(doc)
    numbers = model_numbers(doc, ctx)
    check_parallel(doc, ctx, plan, numbers, parallel_mode(doc), mcore)
    check_recompute(doc, ctx, plan, mcore, predict=run_mode == "predict")
    check_layers(doc, ctx, plan, numbers, mcore)
    check_model_classes(doc, ctx, mcore, training)
    swap = doc.value("swap_config")
    if isinstance(swap, dict):
        for key in swap:
            if key not in SWAP_KEYS:
                ctx.add("parallel.unknown_key", doc.path, doc.line("swap_config", key), key=key,
                        allowed=", ".join(SWAP_KEYS), section="swap_config")
    seq_length = config_seq_length(doc.data)
    if seq_length and numbers.max_pos and seq_length > numbers.max_pos:
        ctx.add("model.seq_exceeds_positions", doc.path, doc.line(*MC, "seq_length"), seq_length=seq_length,
                max_pos=numbers.max_pos)
    check_memory(doc, ctx)
    check_dataset_seq_length(doc, ctx, seq_length)
    check_paths(doc, ctx, seq_length)


def check_mindformers_yaml(path: str, cards: Optional[int] = None, hbm_gb: Optional[float] = None,
                           skip_paths: bool = False, lang: str = "en") -> list:
    """Findings for one MindFormers YAML (a file that does not parse is one ``yaml.parse_error`` finding)."""
    from mindpilot.validators.check import check_files

    return check_files([path], cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang, kinds={path: "mindformers"})
