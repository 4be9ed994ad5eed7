"""What the Plan step shows of the planner's candidates: a table row each and the selected one's details.

Plain text, no widgets, so that the screen stays thin and the wrapping rules can be tested alone.
The details pane has a few rows: what to write for the framework, the memory terms, then as many of
the planner's reasons as fit whole (a reason cut mid-word hides the very hint the user needs).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from rich.cells import cell_len

from mindpilot.tui import core

BAR_WIDTH = 10
LAYOUT_COLUMNS = ("dp", "mp", "pp", "cp", "ep")
"""The layout columns of the candidate table, after ``#`` and before ``mbn``."""
_TERMS = (("weights", "w"), ("gradients", "grad"), ("optimizer", "opt"), ("activations", "act"),
          ("logits", "logits"), ("runtime", "rt"), ("other_models", "ref+gen"))
"""Memory terms of the planner and their short names (``other_models``: GRPO's resident ref and generate models)."""


def table_row(index: int, candidate: dict[str, Any], hbm: float, t: Callable[..., str]) -> list[str]:
    """The candidate's cells: ``#``, the layout, ``mbn``, memory/usable GB, the memory bar, fits (``t("yes")``)."""
    parts = core.layout(candidate)
    memory = core.memory_gb(candidate)
    usable = core.usable_gb(candidate, hbm)
    return [str(index), *(str(parts[key]) for key in LAYOUT_COLUMNS), str(candidate.get("micro_batch_num", "")),
            f"{memory:.1f}/{usable:.1f}" if memory is not None else "?",
            memory_bar(memory, usable), t("yes") if candidate.get("fits") else t("no")]


def same_layout_row(candidates: list[dict[str, Any]], chosen: Optional[dict[str, Any]]) -> int:
    """The row of the candidate with the chosen one's layout (a re-plan keeps the user's choice), else 0."""
    if not chosen:
        return 0
    key = (core.layout(chosen), chosen.get("micro_batch_num"))
    return next((row for row, c in enumerate(candidates) if (core.layout(c), c.get("micro_batch_num")) == key), 0)


def memory_bar(memory: Optional[float], hbm: float) -> str:
    """A ten-cell memory bar; a full bar with ``!`` when the candidate does not fit."""
    if memory is None or hbm <= 0:
        return ""
    filled = min(int(round(BAR_WIDTH * memory / hbm)), BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled) + ("!" if memory > hbm else "")


def detail_lines(candidate: dict[str, Any], width: int, rows: int) -> list[str]:
    """The details of ``candidate`` for a pane ``width`` cells wide and ``rows`` rows high.

    Why it does not fit comes first; the framework's values and the memory terms always show; further
    reasons only whole, while they fit.
    """
    lines = _framework_lines(candidate) + _memory_terms(candidate.get("memory_gb_per_card"), width)
    reasons = list(candidate.get("reasons") or [])
    if not candidate.get("fits") and reasons:
        lines.insert(0, f"· {reasons.pop(0)}")  # why it does not fit, and what would help, comes first
    room = rows - sum(_rows(line, width) for line in lines)
    for reason in reasons:
        needed = _rows(f"· {reason}", width)
        if needed > room and len(lines) > 1:
            break
        lines.append(f"· {reason}")
        room -= needed
    return lines


def _framework_lines(candidate: dict[str, Any]) -> list[str]:
    """What to write: MindSpeed-LLM's script values, else the recompute settings (and GRPO's three roles)."""
    if candidate.get("mindspeed"):
        return _mindspeed_lines(candidate["mindspeed"])
    recompute = candidate.get("recompute_config") or {}
    lines = [f"recompute: {_compact(recompute.get('recompute'))}  "
             f"select_recompute: {_compact(recompute.get('select_recompute'))}  "
             f"offset: {_compact(candidate.get('offset'))}"]
    if candidate.get("roles"):
        lines.append(_roles_line(candidate["roles"]))
    return lines


def _rows(line: str, width: int) -> int:
    """Terminal rows ``line`` takes when wrapped at ``width`` cells."""
    return max(1, -(-cell_len(line) // width))


def _roles_line(roles: dict[str, Any]) -> str:
    """``actor dp4 mp2 pp1 · ref dp4 mp2 pp1 · generate dp4 mp2 pp1``: GRPO's three parallel_configs."""
    parts = []
    for key in ("actor_config", "ref_config", "generate_config"):
        config = (roles.get(key) or {}).get("parallel_config") or {}
        parts.append(f"{key.split('_')[0]} dp{config.get('data_parallel', '?')} mp{config.get('model_parallel', '?')}"
                     f" pp{config.get('pipeline_stage', '?')}")
    return " · ".join(parts)


def _mindspeed_lines(values: dict[str, Any]) -> list[str]:
    """MindSpeed-LLM's script values and the ``convert_ckpt.py`` arguments that must match them."""
    layout = "  ".join(f"{key} {values[key]}" for key in ("TP", "PP", "CP", "EP", "DP", "GBS") if key in values)
    if values.get("num_layer_list"):
        layout += f"  layers {values['num_layer_list']}"
    return [layout, "convert_ckpt.py " + " ".join(str(arg) for arg in values.get("convert_args") or [])]


def _memory_terms(memory: Any, width: int = 78) -> list[str]:
    """``GB: w 3.5 + grad 28.4 + ... = 57.6`` when the planner gives the terms of its estimate.

    Broken before a ``+`` (never inside a term) when it is wider than ``width`` cells.
    """
    if not isinstance(memory, dict) or "total" not in memory:
        return []
    parts = [f"{short} {float(memory[key]):.1f}" for key, short in _TERMS if memory.get(key)]
    parts[-1:] = [f"{parts[-1]} = {float(memory['total']):.1f}"] if parts else [f"= {float(memory['total']):.1f}"]
    lines = ["GB: " + parts[0]]
    for part in parts[1:]:
        if cell_len(lines[-1]) + 3 + cell_len(part) > width:
            lines.append("    + " + part)
        else:
            lines[-1] += " + " + part
    return lines


def _compact(value: Any) -> str:
    """Lists and values in YAML-like flow style, short enough for one line."""
    if value is None:
        return "—"
    text = str(value).replace("'", "").replace("True", "true").replace("False", "false")
    return core.short(text, 24)
