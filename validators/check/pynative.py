"""Check a MindFormers 2.x PyNative YAML (``parallelism:``, ``training:``, ``recompute:``) before it is launched.

MindFormers 2.x trains in PyNative mode from a new schema, ported from TorchTitan: ``data_parallel_shard: -1``
takes whatever the world size leaves after ``tensor_parallel * pipeline_parallel * context_parallel``, experts
are carved out of ``dp_shard * cp * tp``, and ``training.global_batch_size`` must be a whole number of
``data_parallel * local_batch_size``. None of that fails before the job has started on every card; each rule
here repeats one check of ``mindformers/pynative`` (config.py, trainer.py, parallel_dims.py) with the error it
raises. Layer lists (pipeline stages, recompute) are in :mod:`~mindpilot.validators.check.pynative_layers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional


from mindpilot.presets.config_facts import interleave as pipeline_interleave, seq_length as config_seq_length
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot import compiled
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.findings import Severity

PN = "parallelism"

SECTION_CLASSES = {
    "checkpoint": "CheckpointConfig", "training": "TrainingConfig", "parallelism": "ParallelismConfig",
    "train_dataset": "TrainDatasetConfig", "monitor": "MonitorConfig",
    "monitor.health_checkpoint": "HealthCheckpointConfig", "monitor.train_state": "TrainStateConfig",
    "monitor.tensorboard": "TensorboardConfig", "monitor.moe_monitor": "MoeMonitorConfig",
    "context": "ContextConfig", "profiler": "ProfilerConfig", "recompute": "RecomputeConfig",
    "recompute_comm": "RecomputeCommConfig", "swap": "SwapConfig", "lora_config": "LoraConfig",
    "inference": "InferenceConfig",
}
"""The dataclass MindFormers builds from each section (its name is in the error users see)."""

LEGACY_SECTIONS = {"parallel_config": "parallelism", "recompute_config": "recompute", "runner_config": "training",
                   "lr_schedule": "lr_scheduler"}
"""Graph-mode sections a PyNative run silently ignores (TrainConfig allows extra keys), and their successors."""


@dataclass(frozen=True)
class PynativeSchema:
    """``data/pynative_schema.yaml``."""

    source: str
    """Where the key lists come from."""
    sections: dict[str, list[str]]
    """Dotted section path -> keys its dataclass accepts."""


@lru_cache(maxsize=1)
def pynative_schema() -> PynativeSchema:
    path = package_path("validators", "check", "data", "pynative_schema.yaml")
    return compiled.built(path, "pynative_schema", lambda: load_model(PynativeSchema, path))


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PynativeDims:
    """The degrees a PyNative config asks for and, for a card count, what MindFormers derives from them.

    ``trainer._compute_data_parallel_size`` (trainer.py:566-586, 2.1.0): ``data_parallel = world //
    (tp*pp*cp)``; ``data_parallel_shard`` -1 means ``dp_shard = data_parallel``, otherwise ``dp_replicate =
    max(data_parallel // data_parallel_shard, 1)`` and ``dp_shard = data_parallel // dp_replicate``.
    """

    def __init__(self, doc: ConfigDoc) -> None:
        section = doc.value(PN)
        self.section: dict[str, Any] = section if isinstance(section, dict) else {}
        self.tp = self._degree("tensor_parallel")
        self.cp = self._degree("context_parallel")
        self.pp = self._degree("pipeline_parallel")
        self.ep = self._degree("expert_parallel")
        self.interleave = pipeline_interleave(doc.data)
        shard = _int(self.section.get("data_parallel_shard", -1))
        self.shard_setting = shard if shard is not None and (shard == -1 or shard >= 1) else -1
        self.sequence_parallel = self.section.get("sequence_parallel") is True

    def _degree(self, key: str) -> int:
        value = _int(self.section.get(key, 1))
        return value if value is not None and value >= 1 else 1

    @property
    def non_data(self) -> int:
        return self.tp * self.pp * self.cp

    def derive(self, cards: int) -> Optional[tuple[int, int, int]]:
        """``(data_parallel, dp_replicate, dp_shard)`` on ``cards`` cards, or None when tp*pp*cp > cards."""
        data_parallel = cards // self.non_data
        if data_parallel <= 0:
            return None
        replicate = max(data_parallel // self.shard_setting, 1) if self.shard_setting > 0 else 1
        return data_parallel, replicate, data_parallel // replicate


def check_pynative_doc(doc: ConfigDoc, ctx: CheckContext) -> None:
    """Every PyNative rule on an already parsed document."""
    from mindpilot.validators.check.pynative_layers import check_context_parallel, check_pipeline, check_recompute
    from mindpilot.validators.check.resources import check_paths

    if not _check_sections(doc, ctx):
        return
    dims = PynativeDims(doc)
    _check_degrees(doc, ctx)
    _check_flags(doc, ctx, dims)
    _check_heads(doc, ctx, dims)
    check_context_parallel(doc, ctx, dims)
    check_pipeline(doc, ctx, dims)
    check_recompute(doc, ctx, dims)
    check_world(doc, ctx, dims)
    check_paths(doc, ctx, config_seq_length(doc.data))


def _check_sections(doc: ConfigDoc, ctx: CheckContext) -> bool:
    """Section shapes and keys; False when ``parallelism`` itself is unusable."""
    ok = True
    for dotted, allowed in pynative_schema().sections.items():
        keys = tuple(dotted.split("."))
        value = doc.value(*keys)
        if value is None:
            continue
        if not isinstance(value, dict):
            ctx.add("pynative.not_mapping", doc.path, doc.line(*keys), section=dotted,
                    type_name=type(value).__name__, cls=SECTION_CLASSES[dotted])
            ok = ok and dotted != PN
            continue
        for key in value:
            if key not in allowed and not (isinstance(value[key], dict) and f"{dotted}.{key}" in SECTION_CLASSES):
                _unknown_key(doc, ctx, keys, str(key), allowed)
    for legacy, instead in LEGACY_SECTIONS.items():
        if doc.has(legacy):
            ctx.add("pynative.legacy_section_ignored", doc.path, doc.line(legacy), section=legacy, instead=instead)
    return ok


def _unknown_key(doc: ConfigDoc, ctx: CheckContext, keys: tuple, key: str, allowed: list[str]) -> None:
    """A key 2.0/2.1 reject: an error when it is a misspelling of a known key, else a warning, since a newer
    MindFormers than the ones these lists come from may have added it (never block a working install)."""
    import difflib

    section = ".".join(keys)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.8)
    if close:
        texts = {"did_you_mean_en": f" (did you mean {close[0]}?)", "did_you_mean_zh": f"（是不是 {close[0]}？）",
                 "fix_en": f"rename it to {close[0]}", "fix_zh": f"改成 {close[0]}"}
    else:
        texts = {"did_you_mean_en": "", "did_you_mean_zh": "",
                 "fix_en": f"remove {key}, unless your MindFormers is newer than 2.1 and documents it",
                 "fix_zh": f"删掉 {key}（除非你的 MindFormers 比 2.1 新，并且文档里有这个键）"}
    ctx.add("pynative.unknown_key", doc.path, doc.line(*keys, key), severity=None if close else Severity.WARNING,
            section=section, key=key, cls=SECTION_CLASSES[section], allowed=", ".join(allowed), **texts)


def _check_degrees(doc: ConfigDoc, ctx: CheckContext) -> None:
    section = doc.value(PN)
    if not isinstance(section, dict):
        return
    for key in ("tensor_parallel", "context_parallel", "pipeline_parallel", "expert_parallel"):
        if key in section and not ((_int(section[key]) or 0) >= 1):
            ctx.add("pynative.degree_invalid", doc.path, doc.line(PN, key), key=key, value=repr(section[key]),
                    expect="an integer >= 1" if ctx.lang != "zh" else "必须是 ≥ 1 的整数",
                    error="Parallelism degree should be >= 1, except for dp_shard", suggest=1)
    shard = section.get("data_parallel_shard", -1)
    if _int(shard) is None or not (shard == -1 or shard >= 1):
        expect = "必须是 -1 或 ≥ 1 的整数" if ctx.lang == "zh" else "-1 or an integer >= 1"
        ctx.add("pynative.degree_invalid", doc.path, doc.line(PN, "data_parallel_shard"), key="data_parallel_shard",
                value=repr(shard), expect=expect, error="dp_shard must be -1 or >= 1.", suggest=-1)


def _check_flags(doc: ConfigDoc, ctx: CheckContext, dims: PynativeDims) -> None:
    if dims.tp > 1 and not dims.sequence_parallel:
        ctx.add("pynative.tp_needs_sequence_parallel", doc.path,
                doc.line(PN, "sequence_parallel") or doc.line(PN, "tensor_parallel"), tp=dims.tp)
    npus = _int(dims.section.get("npu_nums_per_device", 8)) or 8
    if dims.section.get("moe_token_dispatcher_type") == "alltoall_deredundancy" and dims.ep < npus:
        ctx.add("pynative.deredundancy_needs_ep", doc.path, doc.line(PN, "moe_token_dispatcher_type"),
                ep=dims.ep, npus=npus)
    for key in ("global_batch_size", "local_batch_size"):
        if doc.has("training", key):
            value = doc.value("training", key)
            if not ((_int(value) or 0) > 0):
                ctx.add("pynative.batch_not_positive", doc.path, doc.line("training", key), key=key, value=repr(value))
    _check_run_mode(doc, ctx)
    swap = doc.value("swap")
    if isinstance(swap, dict) and swap.get("enable") is True and dims.pp > 1:
        ctx.add("pynative.swap_with_pp", doc.path, doc.line("swap", "enable"), pp=dims.pp)


def _check_run_mode(doc: ConfigDoc, ctx: CheckContext) -> None:
    """``Trainer.__init__`` (trainer.py:203-214, 2.1.0): train or predict, and predict needs ``inference:``."""
    run_mode = doc.value("run_mode")
    zh = ctx.lang == "zh"
    if run_mode is not None and run_mode not in ("train", "predict"):
        ctx.add("pynative.run_mode", doc.path, doc.line("run_mode"), value=repr(run_mode),
                problem="只能是 train 或 predict" if zh else "only train or predict",
                error=f"Invalid run mode: {run_mode!r}. Must be 'train' or 'predict'.",
                suggest="改成 run_mode: train 或 predict" if zh else "use run_mode: train (or predict)")
    elif run_mode == "predict" and not isinstance(doc.value("inference"), dict):
        ctx.add("pynative.run_mode", doc.path, doc.line("run_mode"), value=repr(run_mode),
                problem="缺少 inference: 段" if zh else "there is no inference: section",
                error="run_mode='predict' requires an `inference:` section in the config.",
                suggest="加上 inference: 段（max_new_tokens、batch_size、output、input_data）" if zh
                else "add an inference: section (max_new_tokens, batch_size, output, input_data)")


def _check_heads(doc: ConfigDoc, ctx: CheckContext, dims: PynativeDims) -> None:
    """Attention is split by heads over TP (parallelize.py:729-732; GQA groups :999-1004, 2.1.0)."""
    if dims.tp <= 1:
        return
    model = doc.value("model")
    model = model if isinstance(model, dict) else {}
    heads = _int(model.get("num_attention_heads"))
    line = doc.line(PN, "tensor_parallel")
    if heads and heads % dims.tp:
        ctx.add("pynative.heads_tp", doc.path, line, what="num_attention_heads", heads=heads, tp=dims.tp,
                options=_divisors_text(heads),
                error=f"num_attention_heads ({heads}) must be divisible by the TP degree ({dims.tp}) "
                      "for the local FlashAttention flow.")
        return
    groups = _int(model.get("num_key_value_heads")) or _int(model.get("num_query_groups"))
    if groups and groups % dims.tp and model.get("multi_latent_attention") is not True:
        ctx.add("pynative.heads_tp", doc.path, line, what="num_key_value_heads", heads=groups, tp=dims.tp,
                options=_divisors_text(groups),
                error=f"num_query_groups ({groups}) must be divisible by the TP degree ({dims.tp}) "
                      "for the local GQA flow (fused-QKV colwise split).")


def check_world(doc: ConfigDoc, ctx: CheckContext, dims: Optional[PynativeDims] = None) -> None:
    """The rules that need the card count (``ctx.cards``): trainer.py and parallel_dims.py."""
    dims = dims or PynativeDims(doc)
    cards = ctx.cards
    if not cards:
        ctx.add("pynative.cards_unknown", doc.path, doc.line(PN, "data_parallel_shard") or doc.line(PN))
        return
    path, tp, pp, cp = doc.path, dims.tp, dims.pp, dims.cp
    derived = dims.derive(cards)
    if derived is None:
        ctx.add("pynative.degrees_exceed_cards", path, doc.line(PN, "tensor_parallel") or doc.line(PN), tp=tp, pp=pp,
                cp=cp, product=dims.non_data, cards=cards)
        return
    data_parallel, replicate, shard = derived
    if cards % dims.non_data:
        ctx.add("pynative.cards_not_divisible", path, doc.line(PN, "tensor_parallel") or doc.line(PN), tp=tp, pp=pp,
                cp=cp, product=dims.non_data, cards=cards, dp=data_parallel, rep=replicate, shard=shard,
                used=data_parallel * dims.non_data, options=_divisors_text(cards))
        return
    if dims.shard_setting > 0 and shard != dims.shard_setting:
        ctx.add("pynative.dp_shard_adjusted", path, doc.line(PN, "data_parallel_shard"), value=dims.shard_setting,
                dp=data_parallel, shard=shard, rep=replicate, options=_divisors_text(data_parallel))
    region = shard * cp * tp
    if region % dims.ep:
        ctx.add("pynative.expert_parallel_region", path, doc.line(PN, "expert_parallel"), ep=dims.ep, shard=shard,
                cp=cp, tp=tp, region=region, options=_divisors_text(region))
    global_batch = _int(doc.value("training", "global_batch_size", default=1))
    local_batch = _int(doc.value("training", "local_batch_size", default=1))
    if global_batch and local_batch and global_batch > 0 and local_batch > 0:
        unit = data_parallel * local_batch
        if global_batch % unit:
            ctx.add("pynative.global_batch", path, doc.line("training", "global_batch_size") or doc.line("training"),
                    gbs=global_batch, dp=data_parallel, lbs=local_batch, unit=unit, cards=cards,
                    suggest=-(-global_batch // unit) * unit)


def _divisors_text(number: int, limit: int = 8) -> str:
    """The first ``limit`` divisors of ``number`` (searched among 1..4096: degrees beyond that are not real)."""
    values = [d for d in range(1, min(number, 4096) + 1) if number % d == 0][:limit]
    return ", ".join(str(v) for v in values)
