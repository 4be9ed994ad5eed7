"""``mindpilot plan``'s text output: the candidate table with a memory bar per card, then the chosen plan as
the YAML (or MindSpeed-LLM script values) to paste, its memory terms and the planner's reasons.

Every line fits 80 columns in either language (columns as wide as their widest cell, the bar narrower by as
much); the words come from ``commands/messages.yaml`` (keys ``plan.*``).
"""

from __future__ import annotations

import argparse
from typing import Any

from mindpilot.commands.output import words_for
from mindpilot.validators.text.columns import columns, pad, wrap

BAR_WIDTH = 18
PLAN_HEAD = ("index", "layout", "mbn", "recompute", "memory", "gb")
MEMORY_TERMS = ("weights", "gradients", "optimizer", "activations", "logits", "runtime", "other_models")


def plan_labels(lang: str) -> dict[str, Any]:
    """The words of ``plan``'s text output (``commands/messages.yaml``, keys ``plan.*``) in ``lang``."""
    labels: dict[str, Any] = words_for("plan.", lang)
    labels["head"] = tuple(labels[f"head_{name}"] for name in PLAN_HEAD)
    labels["terms"] = {name: labels[f"term_{name}"] for name in MEMORY_TERMS}
    return labels


def gb(value: float) -> float:
    """:func:`mindpilot.presets.memory.gb`, imported on first use (``--help`` does not load the planner)."""
    from mindpilot.presets.memory import gb as memory_gb

    return memory_gb(value)


def memory_bar(total: float, usable: float, width: int = BAR_WIDTH) -> str:
    """``[#########-----]`` filled to ``total / usable``; a ``!`` at the end when it does not fit."""
    filled = min(width, int(round(width * total / usable))) if usable > 0 else width
    bar = "#" * filled + "." * (width - filled)
    return f"[{bar}]" + ("!" if total > usable else " ")


def recompute_label(candidate: Any, labels: dict[str, Any]) -> str:
    """``none``, ``sel 23`` or ``full 5 sel 23``: layers recomputed over all stages."""
    full = sum(candidate.recompute)
    select = sum(candidate.select_recompute) - full
    if not full and not select:
        return labels["none"]
    parts = []
    if full:
        parts.append(f"{labels['full']} {full}")
    if select:
        parts.append(f"{labels['sel']} {select}")
    return " ".join(parts)


def render_text(model: str, candidates: list, args: argparse.Namespace, labels: dict[str, Any], lang: str) -> str:
    """The table of the top candidates, then the best one as YAML with its memory terms and reasons."""
    first = candidates[0]
    lines = wrap(labels["title"].format(model=model, cards=args.cards, per_node=args.cards_per_node, hbm=args.hbm,
                                         usable=first.usable_gb, seq=args.seq_len, framework=args.framework), "  ")
    lines.append("")
    head = labels["head"]
    shown = candidates[: args.top]
    # Columns as wide as their widest cell (MoE layouts and Chinese recompute labels are longer), the
    # bar narrower by as much, so every row stays aligned and within 80 columns.
    layout_w = max([20] + [columns(c.label) for c in shown])
    recompute_w = max([14] + [columns(recompute_label(c, labels)) for c in shown])
    bar_w = max(6, BAR_WIDTH - (layout_w - 20) - (recompute_w - 14))
    lines.append(f"{head[0]:>2} {pad(head[1], layout_w)} {head[2]:>4} {pad(head[3], recompute_w)} "
                 f"{pad(head[4], bar_w + 3)} {head[5]:>11}")
    for rank, c in enumerate(shown, 1):
        memory = gb(c.worst.total)
        lines.append(f"{rank:>2} {pad(c.label, layout_w)} {c.micro_batch_num:>4} "
                     f"{pad(recompute_label(c, labels), recompute_w)} "
                     f"{memory_bar(memory, c.usable_gb, bar_w)} {memory:>5.1f}/{gb(c.usable_gb):<5.1f}")
    if len(candidates) > len(shown):
        lines.append(labels["more"].format(n=len(candidates) - len(shown)))
    pick = getattr(args, "pick", 1) if getattr(args, "apply", None) else 1
    best = candidates[min(pick, len(candidates)) - 1]
    heading = labels["best_script" if best.mindspeed else "best"]
    if not any(c.fits for c in candidates):
        heading = labels["closest"]
    lines += [""] + wrap(heading.format(rank=candidates.index(best) + 1, layout=best.label,
                                         usable=gb(best.usable_gb)), "  ")
    pynative = getattr(args, "pynative_data", None)
    lines += _pynative_lines(pynative, best) if pynative is not None and not best.mindspeed else _yaml_lines(best)
    lines += ["", labels["memory"].format(stage=best.worst.stage)]
    lines += ["  " + line for line in _memory_lines(best.memory_dict(), labels)]
    lines += ["", labels["why"]]
    for reason in best.reasons:
        lines += wrap("  - " + reason.text(lang), "    ")
    return "\n".join(lines) + "\n"


def _pynative_lines(data: dict[str, Any], c: Any) -> list[str]:
    """The plan as a MindFormers 2.x PyNative config writes it (``parallelism:``; data parallel is derived)."""
    from mindpilot.presets.pynative_plan import pynative_settings

    settings, _ = pynative_settings(data, c)
    lines = ["# data_parallel_shard: -1 derives data parallel from the card count"]
    for section, values in settings.items():
        lines.append(f"{section}:")
        lines += [f"  {k}: {_yaml_value(v)}" for k, v in values.items()]
    return lines


def _yaml_lines(c: Any) -> list[str]:
    if c.mindspeed:
        return _mindspeed_lines(c.mindspeed)
    lines = ["parallel_config:"]
    lines += [f"  {k}: {_yaml_value(v)}" for k, v in c.parallel_config.items()]
    lines.append("recompute_config:")
    lines += [f"  {k}: {_yaml_value(v)}" for k, v in c.recompute_config.items()]
    lines.append("model:")
    lines.append("  model_config:")
    lines.append(f"    offset: {_yaml_value(c.offset)}")
    if c.pp_interleave_num > 1:
        lines.append(f"    pp_interleave_num: {c.pp_interleave_num}")
    if c.roles:
        lines.append("# grpo_config.yaml (each role uses every card; generate has no pipeline):")
        for role, config in c.roles.items():
            values = config["parallel_config"]
            text = (f"{role}.parallel_config: data_parallel {values['data_parallel']}, "
                    f"model_parallel {values['model_parallel']}, pipeline_stage {values['pipeline_stage']}")
            parts = wrap(text, "", 73)
            lines += ["#   " + parts[0]] + ["#     " + part for part in parts[1:]]
    return lines


def _mindspeed_lines(ms: dict[str, Any]) -> list[str]:
    """The MindSpeed-LLM script variables, training arguments and the matching conversion arguments."""
    lines = [f"NPUS_PER_NODE={ms['NPUS_PER_NODE']}", f"NNODES={ms['NNODES']}",
             "WORLD_SIZE=$(($NPUS_PER_NODE*$NNODES))",
             f"TP={ms['TP']}", f"PP={ms['PP']}"]
    if ms["CP"] > 1:
        lines.append(f"CP={ms['CP']}")
    if ms["EP"] > 1:
        lines.append(f"EP={ms['EP']}")
    lines += [f"MBS={ms['MBS']}", f"GBS={ms['GBS']}"]
    lines += wrap("# training arguments: " + " ".join(ms["train_args"]), "#   ")
    lines += wrap("# convert_ckpt.py (must match TP/PP above): " + " ".join(ms["convert_args"]), "#   ")
    return lines


def _memory_lines(memory: dict[str, Any], labels: dict[str, Any]) -> list[str]:
    names = ["weights", "gradients", "optimizer", "activations", "logits", "runtime"]
    if memory["other_models"]:
        names.append("other_models")
    text = " + ".join(f"{labels['terms'][name]} {memory[name]:.1f}" for name in names) \
        + f" = {memory['total']:.1f} GB"
    notes = labels["notes"].format(unsharded=memory["optimizer_unsharded"],
                                   no_recompute=memory["activations_no_recompute"])
    return wrap(text, "  ", 76) + wrap(notes, "  ", 76)


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    return str(value)
