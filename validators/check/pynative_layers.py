"""PyNative (MindFormers 2.x) rules about layers and sequence: pipeline stages, recompute lists, context parallel.

``pipeline_parallel_layers_per_stage`` is ``auto`` or one ``"start-end[,start-end...]"`` string per stage
(``PpLayerSetting``, pipeline_parallel.py); ``recompute.full_recompute_layer`` is a list of layer ids or
``start-end`` ranges over the decoder layers plus the MTP layers (activation_checkpoint.py). Both are parsed
here exactly as MindFormers parses them, so a list it would reject is named with its index.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from mindpilot.presets.config_facts import seq_length as config_seq_length
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.pynative import PN, PynativeDims, _int
from mindpilot.presets.stages import MAX_STAGES, stage_ranges

LAYER_SPEC = re.compile(r"^(\d{1,9})(?:-(\d{1,9}))?$")
"""``_LAYER_ID_SPEC_PATTERN`` (activation_checkpoint.py:53, 2.1.0); ids of ten digits or more are out of range
anyway, and bounding them keeps ``int()`` cheap on hostile input."""


CP_METHODS = ("colossal", "ulysses", "hybrid")
SCHEDULES = ("1f1b", "interleaved_1f1b", "gpipe")
"""``_SCHEDULE_REGISTRY`` (pipeline_parallel.py:312-316, 2.1.0); an empty value means 1f1b."""


def _model(doc: ConfigDoc) -> dict[str, Any]:
    model = doc.value("model")
    return model if isinstance(model, dict) else {}


def decoder_layers(doc: ConfigDoc) -> Optional[int]:
    layers = _int(_model(doc).get("num_hidden_layers"))
    return layers if layers and layers > 0 else None


def mtp_layers(doc: ConfigDoc) -> int:
    model = _model(doc)
    return _int(model.get("mtp_num_layers")) or _int(model.get("num_nextn_predict_layers")) or 0


def _list_text(items: list[str]) -> str:
    return "[" + ", ".join(f"'{item}'" for item in items) + "]"


def check_pipeline(doc: ConfigDoc, ctx: CheckContext, dims: PynativeDims) -> None:
    """``PpLayerSetting`` (pipeline_parallel.py:135-201, 2.1.0): only built when pipeline_parallel > 1."""
    if dims.pp <= 1:
        return
    schedule = dims.section.get("pipeline_parallel_schedule")
    if schedule and str(schedule).lower() not in SCHEDULES:
        ctx.add("pynative.pp_schedule", doc.path, doc.line(PN, "pipeline_parallel_schedule"), value=schedule)
    key = "pipeline_parallel_layers_per_stage"
    value = dims.section.get(key, "auto")
    line = doc.line(PN, key) or doc.line(PN, "pipeline_parallel")
    layers = decoder_layers(doc)
    stages = dims.pp * dims.interleave
    even = layers is not None and layers % stages == 0
    suggest = _list_text(stage_ranges(layers, dims.pp, dims.interleave)) \
        if layers and stages <= MAX_STAGES and layers >= stages else "auto"
    if value is None:
        ctx.add("pynative.layers_per_stage_missing", doc.path, line, pp=dims.pp, suggest="auto" if even else suggest)
        return
    if value == "auto":
        if layers is not None and not even:
            ctx.add("pynative.layers_not_divisible", doc.path, line, layers=layers, stages=stages, suggest=suggest)
        return
    problem, error = _stage_list_problem(value, dims.pp, dims.interleave)
    if problem:
        ctx.add("pynative.layers_per_stage_invalid", doc.path, line, problem=problem, error=error, suggest=suggest)


def _stage_list_problem(value: Any, pp: int, interleave: int) -> tuple[str, str]:
    """(what is wrong, the error MindFormers raises) for an explicit stage list; ('', '') when it is fine."""
    if not isinstance(value, list):
        return (f"{value!r} is neither auto nor a list",
                f"The length of 'pipeline_parallel_layers_per_stage' must equal 'pipeline_parallel' ({pp})")
    if len(value) != pp:
        return (f"{len(value)} entries for {pp} stages",
                f"The length of 'pipeline_parallel_layers_per_stage' ({len(value)}) must equal "
                f"'pipeline_parallel' ({pp}), but got {len(value)} entries for {pp} PP ranks.")
    for rank, entry in enumerate(value):
        if not isinstance(entry, str):
            return (f"entry {rank} ({entry!r}) is not a 'start-end' string",
                    f"Invalid layer range format: {entry!r}. Expected format is 'start-end' or 'single_layer'.")
        ranges = entry.split(",")
        if len(ranges) != interleave:
            return (f"stage {rank} has {len(ranges)} range(s), pipeline_parallel_interleave_num is {interleave}",
                    f"PP rank {rank} has {len(ranges)} chunk(s) in 'pipeline_parallel_layers_per_stage' "
                    f"(got '{entry}'), but 'pipeline_parallel_interleave_num' is {interleave}.")
        for chunk in ranges:
            ids = chunk.strip().split("-")
            if len(ids) > 2 or not all(part.strip().isdigit() and len(part.strip()) <= 9 for part in (ids[0], ids[-1])):
                return (f"'{chunk.strip()}' is not start-end",
                        f"Invalid layer range format: {chunk}. Expected format is 'start-end' or 'single_layer'.")
            if int(ids[0]) > int(ids[-1]):
                return (f"'{chunk.strip()}' starts after it ends",
                        f"Invalid layer range format: {chunk}. layer_start must be less than or equal to layer_end.")
    return "", ""


def check_recompute(doc: ConfigDoc, ctx: CheckContext, dims: PynativeDims) -> None:
    """``RecomputeConfig.__post_init__`` and ``_validate_recompute_config`` (activation_checkpoint.py)."""
    section = doc.value("recompute")
    if not isinstance(section, dict):
        return
    mode = section.get("mode", "None")
    if mode not in ("None", "full", "select"):
        ctx.add("pynative.recompute_mode", doc.path, doc.line("recompute", "mode"), value=repr(mode))
        return
    if mode == "None":
        return
    layers = decoder_layers(doc)
    mtp = mtp_layers(doc)
    total = layers + mtp if layers else None
    whole = f"0-{total - 1}" if total else "0-N"
    key = "full_recompute_layer" if mode == "full" else "select_module"
    if not section.get(key):  # the mode names no layers: nothing is recomputed
        suggest = f"full_recompute_layer: ['{whole}']" if mode == "full" else \
            "select_module: {'self_attention': ['" + whole + "']}"
        ctx.add("pynative.recompute_empty", doc.path, doc.line("recompute", key) or doc.line("recompute", "mode"),
                mode=mode, key=key, suggest=suggest)
        return
    if total is None:
        return
    specs = section.get("full_recompute_layer")
    if specs:
        _check_specs(doc, ctx, ("recompute", "full_recompute_layer"), specs, total, layers, mtp, whole)
    elif mode == "select" and isinstance(section.get("select_module"), dict):
        for module, ranges in section["select_module"].items():
            if isinstance(ranges, (list, tuple)):
                _check_specs(doc, ctx, ("recompute", "select_module", module), ranges, total, layers, mtp, whole)


def _check_specs(doc: ConfigDoc, ctx: CheckContext, keys: tuple, specs: Any, total: int, layers: int, mtp: int,
                 whole: str) -> None:
    """``_validate_layer_specs`` (activation_checkpoint.py:329-350, 2.1.0): valid, in range, ascending."""
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    previous = -1
    label = ".".join(str(k) for k in keys[1:])
    for index, spec in enumerate(specs):
        text = str(spec).strip()
        match = LAYER_SPEC.match(text)
        where = f"TrainConfig.recompute_config.recompute.{label}[{index}]"
        problem, error = "", ""
        if not match:
            problem = "not a layer id or start-end"
            error = (f"{where}: invalid layer spec {spec!r}; expected one non-negative integer or 'start-end' "
                     "(e.g. '5', '0-19')")
        else:
            low = int(match.group(1))
            high = int(match.group(2)) if match.group(2) is not None else low
            if low > high:
                problem, error = "starts after it ends", f"{where}: range start must be <= end, got {spec!r}"
            elif high >= total:
                problem = f"layer {high} does not exist (last is {total - 1})"
                error = f"{where}: layer id {high} out of range [0, {total - 1}], got {spec!r}"
            elif low <= previous:
                problem = f"overlaps or is below the previous item (ends at {previous})"
                error = (f"TrainConfig.recompute_config.recompute.{label}: layer specs must be in strictly ascending "
                         f"order; spec[{index}] '{text}' starts at {low} but previous spec ends at {previous}")
            previous = high
        if problem:
            ctx.add("pynative.recompute_layers", doc.path, doc.line(*keys, index) or doc.line(*keys), key=label,
                    index=index, value=repr(spec), problem=problem, error=error, last=total - 1, layers=total,
                    mtp=f", {mtp} of them MTP" if mtp else "", suggest=f"'{whole}'")
            return


def check_context_parallel(doc: ConfigDoc, ctx: CheckContext, dims: PynativeDims) -> None:
    """context_parallel.py (2.1.0): method, Ulysses degree, mask type and compression, sequence length."""
    if dims.cp <= 1:
        return
    path, cp = doc.path, dims.cp
    raw_method = dims.section.get("context_parallel_method", "colossal")
    method = str(raw_method or "colossal").lower()
    if method not in CP_METHODS:
        ctx.add("pynative.cp_method", path, doc.line(PN, "context_parallel_method"), value=repr(raw_method))
        return
    degree = dims.section.get("ulysses_degree_in_cp")
    line = doc.line(PN, "ulysses_degree_in_cp") or doc.line(PN, "context_parallel_method")
    if method == "ulysses" and degree is not None and degree != cp:
        ctx.add("pynative.cp_ulysses_degree", path, line, method=method, degree=repr(degree), cp=cp,
                error="Ulysses CP requires ulysses_degree_in_cp == context_parallel.",
                suggest=f"ulysses_degree_in_cp: {cp}  (or null)")
    if method == "hybrid":
        value = _int(degree)
        if value is None or value <= 1 or value >= cp or cp % value:
            options = [d for d in range(2, min(cp, 4096)) if cp % d == 0]
            ctx.add("pynative.cp_ulysses_degree", path, line, method=method, degree=repr(degree), cp=cp,
                    error="Hybrid CP requires ulysses_degree_in_cp to be set." if degree is None else
                    "Hybrid CP requires 1 < ulysses_degree_in_cp < context_parallel and divisibility.",
                    suggest=(f"ulysses_degree_in_cp: {options[0]}" if options else
                             "context_parallel_method: ulysses (no degree between 1 and context_parallel divides it)"))
    mask = dims.section.get("context_parallel_mask_type", "causal")
    if str(mask or "causal").lower() != "causal":
        ctx.add("pynative.cp_mask_type", path, doc.line(PN, "context_parallel_mask_type"), value=repr(mask))
    model = _model(doc)
    compressed = model.get("use_attn_mask_compression") is True or model.get("use_eod_attn_mask_compression") is True
    if not compressed and not model.get("experimental_attention_variant"):  # DSA kernels build their own mask
        ctx.add("pynative.cp_needs_mask_compression", path, doc.line("model", "use_attn_mask_compression")
                or doc.line(PN, "context_parallel"), cp=cp)
    seq = config_seq_length(doc.data) or _int(doc.value("train_dataset", "dataloader", "config", "seq_length"))
    if seq and seq % cp:
        ctx.add("pynative.cp_seq_length", path, doc.line("model", "seq_length") or doc.line(PN, "context_parallel"),
                seq=seq, cp=cp)
