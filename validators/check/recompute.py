"""``recompute_config`` and pipeline layer placement (``offset``, layers vs stages)."""

from __future__ import annotations

from typing import Any, Optional

from mindpilot.presets.config_facts import interleave
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import MC, Numbers
from mindpilot.validators.check.parallel import PC, Plan, _suggest

RC = "recompute_config"

RECOMPUTE_TEMPLATE = {
    "recompute": False, "select_recompute": False, "parallel_optimizer_comm_recompute": False,
    "select_comm_recompute": False, "mp_comm_recompute": True, "recompute_slice_activation": False,
    "select_recompute_exclude": False, "select_comm_recompute_exclude": False,
}
"""``RecomputeConfig`` template (mindformers/tools/register/template.py:320, MF 1.7)."""

BOOL_ONLY = ("parallel_optimizer_comm_recompute", "mp_comm_recompute", "recompute_slice_activation")
"""Checked with ``check_bool`` in ``TransformerRecomputeConfig.__init__`` (transformer.py:389-403)."""

LIST_KEYS = ("recompute", "select_recompute", "select_comm_recompute")
"""The lists ``check_rules`` measures against pipeline_stage (check_rules.py:269-273)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _interleave(doc: ConfigDoc) -> int:
    """The run's pipeline interleave (:func:`~mindpilot.presets.config_facts.interleave`)."""
    return interleave(doc.data)


def check_recompute(doc: ConfigDoc, ctx: CheckContext, plan: Plan, mcore: bool, predict: bool) -> None:
    """``recompute_config``: a mapping, unused when predicting, known keys, per-stage lists of the right shape."""
    path = doc.path
    section = doc.value(RC)
    if section is None:
        return
    if not isinstance(section, dict):
        ctx.add("recompute.not_mapping", path, doc.line(RC), type_name=type(section).__name__)
        return
    if predict:
        ctx.add("recompute.ignored_in_predict", path, doc.line(RC))
        return
    _check_keys(doc, ctx, section, mcore)
    pp, ppi = plan.pp, _interleave(doc)
    swap = doc.value("swap_config", "swap") is True
    for key in LIST_KEYS:
        value = section.get(key)
        _check_list(doc, ctx, (RC, key), key, value, pp, ppi, swap)
        if isinstance(value, dict):
            for pattern, per_stage in value.items():
                _check_list(doc, ctx, (RC, key, pattern), f"{key}['{pattern}']", per_stage, pp, ppi, swap)


def _check_keys(doc: ConfigDoc, ctx: CheckContext, section: dict, mcore: bool) -> None:
    """Keys the template does not have, switches that are not booleans, and what mcore does not support."""
    path = doc.path
    for key in section:
        if key not in RECOMPUTE_TEMPLATE:
            ctx.add("recompute.unknown_key", path, doc.line(RC, key), key=key, allowed=", ".join(RECOMPUTE_TEMPLATE))
    for key in BOOL_ONLY:
        if key in section and not isinstance(section[key], bool):
            ctx.add("recompute.not_bool", path, doc.line(RC, key), key=key, value=repr(section[key]),
                    type_name=type(section[key]).__name__)
    if mcore and section.get("recompute_slice_activation") is True:
        ctx.add("recompute.slice_activation_mcore", path, doc.line(RC, "recompute_slice_activation"))


def _check_list(doc: ConfigDoc, ctx: CheckContext, keys: tuple, label: str, value: Any, pp: int, ppi: int,
                swap: bool) -> None:
    if not isinstance(value, list) or swap:
        return
    path = doc.path
    if value and all(isinstance(item, list) for item in value):
        shape_ok = len(value) == ppi and all(len(row) <= pp for row in value)
        if not shape_ok:
            ctx.add("recompute.nested_shape", path, doc.line(*keys), key=label, value=value, ppi=ppi, pp=pp)
        return
    if any(isinstance(item, list) for item in value) or not all(_is_int(i) or isinstance(i, bool) for i in value):
        if not all(isinstance(item, str) for item in value):
            ctx.add("recompute.bad_elements", path, doc.line(*keys), key=label, value=value)
        return
    if len(value) > pp:
        fixed = value[:pp] if pp > 1 else [sum(v for v in value if _is_int(v)) if not any(
            isinstance(v, bool) for v in value) else True]
        rule = "recompute.pattern_list_too_long" if len(keys) > 2 else "recompute.list_too_long"
        ctx.add(rule, path, doc.line(*keys), key=label, value=value, length=len(value), pp=pp,
                suggest=_suggest(doc, keys, _flow(fixed)) if doc.raw(*keys) else f"{keys[-1]}: {_flow(fixed)}")


def _flow(value: list) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]"


MAX_CHUNKS = 4096
"""Pipeline stages x interleave beyond which offsets are not checked: their lists would be as long (a hostile
``pipeline_stage: 1000000000`` must not take the memory); real layouts have a few dozen."""


def check_layers(doc: ConfigDoc, ctx: CheckContext, plan: Plan, numbers: Numbers, mcore: bool) -> None:
    """``num_layers >= pp`` (and ``pp*ppi``) and the offset shape and sum (LayerSetting._check_inputs)."""
    path, pp = doc.path, plan.pp
    ppi = _interleave(doc)
    layers = numbers.layers
    if layers is not None and pp > 1:
        _check_layer_count(doc, ctx, numbers, pp, ppi)
    offset = doc.value(*MC, "offset")
    if offset is None or layers is None:  # MF 1.7 checks the offset even with one stage (1.8 ignores it)
        return
    if layers < pp * ppi or pp * ppi > MAX_CHUNKS:  # no offset can fix too few layers (said above)
        return
    line = doc.line(*MC, "offset")
    total_layers = layers + (numbers.mtp if not mcore and numbers.mtp else 0)
    remainder = total_layers % (pp * ppi)
    shape = _shape(offset)
    if shape is None:
        ctx.add("model.offset_shape", path, line, value=offset, pp=pp, ppi=ppi, got="?",
                suggest=_offset_suggestion(total_layers, pp, ppi))
        return
    if shape and shape[-1] != pp:
        ctx.add("model.offset_shape", path, line, value=offset, pp=pp, ppi=ppi, got=shape[-1],
                suggest=_offset_suggestion(total_layers, pp, ppi))
        return
    if len(shape) >= 2 and shape[-2] != ppi:
        ctx.add("model.offset_interleave_shape", path, line, value=offset, ppi=ppi, got=shape[-2])
        return
    flat = _flatten(offset)
    total = sum(flat) * (pp * ppi if not shape else 1) if _is_int(offset) else sum(flat)
    if total != remainder:
        ctx.add("model.offset_sum", path, line, value=offset, total=total, layers=total_layers, pp=pp, ppi=ppi,
                remainder=remainder, suggest=_offset_suggestion(total_layers, pp, ppi))
        return
    base = total_layers // (pp * ppi)
    stages = [base + o for o in (flat if shape else [offset] * pp)]
    if any(s < 0 for s in stages) or any(s < 1 for s in stages[1:-1]):
        ctx.add("model.offset_empty_stage", path, line, value=offset, stages=stages)


def _shape(value: Any) -> Optional[tuple]:
    if _is_int(value):
        return ()
    if isinstance(value, list) and value and all(_is_int(v) for v in value):
        return (len(value),)
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        inner = {_shape(v) for v in value}
        if len(inner) == 1:
            (one,) = inner
            if one is not None and len(one) == 1:
                return (len(value), one[0])
    return None


def _flatten(value: Any) -> list[int]:
    if _is_int(value):
        return [value]
    out: list[int] = []
    for item in value:
        out.extend(_flatten(item))
    return out


def _check_layer_count(doc: ConfigDoc, ctx: CheckContext, numbers: Numbers, pp: int, ppi: int) -> None:
    """At least one layer per pipeline stage (per chunk with interleave)."""
    layers = numbers.layers
    if layers < pp:
        ctx.add("model.layers_lt_pp", doc.path, doc.line(PC, "pipeline_stage"), layers=layers, pp=pp)
    elif ppi > 1 and layers < pp * ppi:
        layers_line = doc.line(*MC, numbers.keys.get("layers", "num_layers")) or doc.line(PC, "pipeline_stage")
        ctx.add("model.layers_lt_pp_interleave", doc.path, layers_line, layers=layers, pp=pp, ppi=ppi)


def _offset_suggestion(layers: int, pp: int, ppi: int) -> str:
    """An offset that sums to the remainder, extra layers on the middle stages first (as shipped configs do)."""
    remainder = layers % (pp * ppi)
    offsets = [0] * pp
    order = list(range(1, pp - 1)) + [0, pp - 1] if pp > 2 else list(range(pp))
    per_chunk = [0] * pp
    for index in range(remainder if ppi == 1 else 0):
        per_chunk[order[index % len(order)]] += 1
    offsets = per_chunk
    if ppi > 1:
        rows = [[0] * pp for _ in range(ppi)]
        for index in range(remainder):
            rows[index // pp % ppi][order[index % pp]] += 1
        return f"offset: {rows}"
    return f"offset: {offsets}" if pp > 1 else "offset: 0"
