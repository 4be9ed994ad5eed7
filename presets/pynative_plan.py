"""Write a parallel plan into a MindFormers 2.x PyNative YAML (``parallelism:``, ``recompute:``, ``training:``).

The planner thinks in graph-mode terms (data/model/pipeline parallel, recompute layers per stage). The PyNative
trainer takes the same layout under other names: ``tensor_parallel`` (with ``sequence_parallel: True``, which
2.1 requires for TP), ``pipeline_parallel`` with a layer range per stage, and ``recompute.full_recompute_layer``
as layer ranges. Data parallel is never written: ``data_parallel_shard: -1`` derives it from the card count.
The text is edited through :func:`mindpilot.presets.yaml_apply.splice_sections`, so comments and order stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from mindpilot.fileio import locked, read_for_edit, write_atomic
from mindpilot.presets.config_facts import interleave as pipeline_interleave
from mindpilot.presets.yaml_apply import load_config_mapping, splice_sections, unified_diff
from mindpilot.presets.stages import MAX_STAGES, stage_ranges


def _ranges(ids: list[int]) -> list[str]:
    """``[0, 1, 2, 5]`` -> ``['0-2', '5']`` (ascending, as ``_validate_layer_specs`` requires)."""
    out: list[str] = []
    start = previous = None
    for layer in sorted(ids):
        if start is not None and layer == previous + 1:
            previous = layer
            continue
        if start is not None:
            out.append(f"{start}-{previous}" if previous > start else str(start))
        start = previous = layer
    if start is not None:
        out.append(f"{start}-{previous}" if previous > start else str(start))
    return out


def stage_layer_ids(layers: int, pp: int, interleave: int, per_stage: list[int]) -> list[list[int]]:
    """The layer ids each pipeline stage holds (its chunks in order), from the planner's layers per stage."""
    if interleave == 1 and len(per_stage) == pp and sum(per_stage) == layers and all(n > 0 for n in per_stage):
        starts = [sum(per_stage[:i]) for i in range(pp)]
        return [list(range(start, start + count)) for start, count in zip(starts, per_stage)]
    result = []
    for entry in stage_ranges(layers, pp, interleave):
        ids: list[int] = []
        for chunk in entry.split(","):
            low, _, high = chunk.partition("-")
            ids.extend(range(int(low), int(high or low) + 1))
        result.append(ids)
    return result


def pynative_settings(data: dict[str, Any], candidate: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``{section: values}`` that put ``candidate`` into the PyNative config ``data``, and notes for the user."""
    notes: list[str] = []
    model = data.get("model") if isinstance(data.get("model"), dict) else {}
    section = data.get("parallelism") if isinstance(data.get("parallelism"), dict) else {}
    layers = model.get("num_hidden_layers")
    interleave = pipeline_interleave(data)
    tp, pp, cp, ep = candidate.mp, candidate.pp, candidate.cp, candidate.ep
    parallelism: dict[str, Any] = {"tensor_parallel": tp, "context_parallel": cp, "pipeline_parallel": pp,
                                   "expert_parallel": ep}
    if tp > 1:
        parallelism["sequence_parallel"] = True
    shard = section.get("data_parallel_shard", -1)
    if isinstance(shard, int) and shard > 0 and candidate.dp % shard:
        parallelism["data_parallel_shard"] = -1
        notes.append(f"data_parallel_shard {shard} does not divide the new data parallel {candidate.dp}; set to -1")
    stage_ids: list[list[int]] = []
    if isinstance(layers, int) and 0 < layers <= 100_000 and pp * interleave <= MAX_STAGES:
        stage_ids = stage_layer_ids(layers, pp, interleave, list(candidate.stage_layers))
        if pp > 1:
            even = layers % (pp * interleave) == 0 and interleave == 1 and len(set(map(len, stage_ids))) == 1
            parallelism["pipeline_parallel_layers_per_stage"] = "auto" if even else [
                ",".join(_ranges(ids)) if interleave == 1 else _chunk_text(ids) for ids in stage_ids]
    settings: dict[str, dict[str, Any]] = {"parallelism": parallelism}
    counts = [max(full, select) for full, select in zip(candidate.recompute, candidate.select_recompute)]
    if stage_ids and len(counts) == len(stage_ids):
        chosen = [layer for ids, count in zip(stage_ids, counts) for layer in ids[:count]]
        if any(select > full for full, select in zip(candidate.recompute, candidate.select_recompute)):
            notes.append("selective recompute is written as full recompute of those layers "
                         "(PyNative selects by module path, which the plan does not know)")
        recompute = data.get("recompute") if isinstance(data.get("recompute"), dict) else {}
        if chosen:
            settings["recompute"] = {"mode": "full", "full_recompute_layer": _ranges(chosen)}
        elif recompute.get("mode", "None") != "None":
            settings["recompute"] = {"mode": "None"}
    training = data.get("training") if isinstance(data.get("training"), dict) else {}
    gbs, lbs = training.get("global_batch_size"), training.get("local_batch_size", 1)
    if isinstance(gbs, int) and isinstance(lbs, int) and gbs > 0 and lbs > 0 and gbs % (candidate.dp * lbs):
        unit = candidate.dp * lbs
        settings["training"] = {"global_batch_size": -(-gbs // unit) * unit}
        notes.append(f"global_batch_size {gbs} is not a multiple of data_parallel {candidate.dp} * "
                     f"local_batch_size {lbs}; raised to {settings['training']['global_batch_size']}")
    return settings, notes


def _chunk_text(ids: list[int]) -> str:
    """The ``start-end,start-end`` of one interleaved stage (its chunks are runs of consecutive ids)."""
    return ",".join(_ranges(ids))


def candidate_from_graph(parallel_config: dict[str, Any], recompute_config: dict[str, Any], offset: Any,
                         layers: Any) -> Any:
    """A plan given in graph-mode terms (``parallel_config``, per-stage ``recompute_config``, ``offset``) as the
    attributes :func:`pynative_settings` reads, so every caller of ``apply_plan`` can write a PyNative config."""
    from types import SimpleNamespace

    def degree(key: str) -> int:
        value = parallel_config.get(key, 1)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1

    pp = degree("pipeline_stage")
    per_stage: list[int] = []
    if isinstance(layers, int) and layers > 0:
        extra = offset if isinstance(offset, list) and len(offset) == pp and all(isinstance(o, int) for o in offset) \
            else [0] * pp
        per_stage = [layers // pp + o for o in extra]

    def counts(value: Any) -> list[int]:
        if isinstance(value, list) and len(value) == pp and all(isinstance(v, int) for v in value):
            return [int(v) for v in value]
        whole = value is True
        return [n if whole else 0 for n in (per_stage or [0] * pp)]

    return SimpleNamespace(dp=degree("data_parallel"), mp=degree("model_parallel"), pp=pp,
                           cp=degree("context_parallel"), ep=degree("expert_parallel"), stage_layers=per_stage,
                           recompute=counts(recompute_config.get("recompute")),
                           select_recompute=counts(recompute_config.get("select_recompute")))


def pynative_plan_text(path: Union[str, Path], candidate: Any, text: Optional[str] = None
                       ) -> tuple[str, str, list[str]]:
    """(old text, new text, notes) for writing ``candidate`` into the PyNative YAML at ``path``."""
    name, text, root = load_config_mapping(path, text)
    settings, notes = pynative_settings(dict(root), candidate)
    targets = [([section], values) for section, values in settings.items()]
    new_text, splice_notes = splice_sections(name, text, root, targets)
    return text, new_text, notes + splice_notes


def apply_pynative_plan(path: Union[str, Path], candidate: Any, dry_run: bool = False) -> str:
    """Write ``candidate`` into the PyNative YAML at ``path`` (keeping ``path.bak``); return the unified diff."""
    with locked(path) as real:
        text, form = read_for_edit(real)
        old, new, notes = pynative_plan_text(path, candidate, text=text)
        diff = unified_diff(old, new, str(path), notes)
        if not dry_run and new != old:
            write_atomic(real, new, keep_backup=True, newline=form.newline, encoding=form.encoding)
    return diff
