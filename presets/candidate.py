"""One ranked parallel layout: its MindFormers settings, its memory estimate and why it ranks where it does.

:func:`mindpilot.presets.planner.plan` builds these; the CLI, the TUI and ``--apply`` read them.
``Candidate.to_dict()`` is the JSON shape of ``mindpilot plan --json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from mindpilot.presets.memory import StageMemory, gb
from mindpilot.presets.reasons import reason_text

Offset = Union[int, list]
"""``model.model_config.offset``: 0, one entry per stage, or ``[pp_interleave_num][pp]``."""


@dataclass(frozen=True)
class Reason:
    """One reason for a candidate's rank: a text id in ``presets/data/plan_reasons.yaml`` and its values."""

    rule: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return reason_text(self.rule, lang, **self.params)


@dataclass
class Candidate:
    """One parallel layout with its settings, memory estimate and rank reasons."""

    framework: str
    cards: int
    cards_per_node: int
    dp: int
    mp: int
    pp: int
    cp: int
    ep: int
    micro_batch_num: int
    offset: Offset
    stage_layers: list[int]
    stages: list[StageMemory]
    hbm_gb: float
    usable_gb: float
    global_batch: int
    use_seq_parallel: bool
    vocab_emb_dp: bool
    mcore: bool
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    roles: Optional[dict[str, Any]] = None
    mindspeed: Optional[dict[str, Any]] = None
    pp_interleave_num: int = 1
    """``model.model_config.pp_interleave_num`` the plan was made for (1 = no pipeline interleave)."""

    @property
    def worst(self) -> StageMemory:
        """The stage that needs the most memory (the one that decides whether the plan fits)."""
        return max(self.stages, key=lambda s: s.total)

    @property
    def fits(self) -> bool:
        return self.worst.total <= self.usable_gb

    @property
    def bubble(self) -> float:
        """1F1B pipeline bubble fraction ``(pp-1) / (pp_interleave_num * micro_batch_num + pp - 1)``."""
        if self.pp == 1:
            return 0.0
        return (self.pp - 1) / (self.pp_interleave_num * self.micro_batch_num + self.pp - 1)

    @property
    def recompute(self) -> list[int]:
        return [s.recompute for s in self.stages]

    @property
    def select_recompute(self) -> list[int]:
        return [s.select_recompute for s in self.stages]

    @property
    def parallel_config(self) -> dict[str, Any]:
        """``parallel_config`` in MindFormers' own key names (template keys only)."""
        config = {
            "data_parallel": self.dp,
            "model_parallel": self.mp,
            "pipeline_stage": self.pp,
            "context_parallel": self.cp,
            "expert_parallel": self.ep,
            "micro_batch_num": self.micro_batch_num,
            "vocab_emb_dp": self.vocab_emb_dp,
            "use_seq_parallel": self.use_seq_parallel,
            "gradient_aggregation_group": 4,
        }
        return config

    @property
    def recompute_config(self) -> dict[str, Any]:
        """``recompute_config``: per-stage lists of length pipeline_stage (template keys only)."""
        return {
            "recompute": self.recompute,
            "select_recompute": self.select_recompute,
            "select_comm_recompute": False,  # a per-stage list left from another plan would have the wrong length
            "parallel_optimizer_comm_recompute": False,
            "mp_comm_recompute": True,
            "recompute_slice_activation": False,
        }

    def memory_dict(self) -> dict[str, Any]:
        """``memory_gb_per_card``: the worst stage's terms, every stage's total, and the formula."""
        worst = self.worst
        return {
            "total": gb(worst.total),
            "usable": gb(self.usable_gb),
            "hbm": self.hbm_gb,
            "stage": worst.stage,
            "weights": gb(worst.weights),
            "gradients": gb(worst.gradients),
            "optimizer": gb(worst.optimizer),
            "optimizer_unsharded": gb(worst.optimizer_unsharded),
            "activations": gb(worst.activations),
            "activations_no_recompute": gb(worst.activations_no_recompute),
            "weights_unsharded": gb(worst.weights_unsharded),
            "activations_per_micro_batch": gb(worst.activations / worst.terms["in_flight_micro_batches"]),
            "micro_batches_in_flight": worst.terms["in_flight_micro_batches"],
            "logits": gb(worst.logits),
            "runtime": gb(worst.runtime),
            "other_models": gb(worst.extra),
            "per_stage": [gb(s.total) for s in self.stages],
            "terms": {k: round(v, 4) for k, v in worst.terms.items()},
            "formula": "total = weights + gradients + optimizer + activations + logits + runtime"
                       + (" + other_models" if worst.extra else ""),
        }

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON shape of ``mindpilot plan --json`` (one element of ``candidates``)."""
        result: dict[str, Any] = {
            "framework": self.framework,
            "layout": self.label,
            "parallel_config": self.parallel_config,
            "recompute_config": self.recompute_config,
            "offset": self.offset,
            "micro_batch_num": self.micro_batch_num,
            "pp_interleave_num": self.pp_interleave_num,
            "layers_per_stage": self.stage_layers,
            "global_batch": self.global_batch,
            "memory_gb_per_card": self.memory_dict(),
            "fits": self.fits,
            "score": round(self.score, 4),
            "reasons": [reason.text(lang) for reason in self.reasons],
            "reason_ids": [reason.rule for reason in self.reasons],
        }
        if self.roles is not None:
            result["roles"] = self.roles
        if self.mindspeed is not None:
            result["mindspeed"] = self.mindspeed
        return result

    @property
    def label(self) -> str:
        """Short text such as ``dp4 mp1 pp2`` (cp/ep only when used)."""
        text = f"dp{self.dp} mp{self.mp} pp{self.pp}"
        if self.cp > 1:
            text += f" cp{self.cp}"
        if self.ep > 1:
            text += f" ep{self.ep}"
        return text
