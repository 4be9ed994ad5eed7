"""What would make a plan fit when none of the layouts fits the cards' memory.

``plan --model qwen2.5-72b --cards 8`` used to print "Best plan #1" and exit 0 although every layout
overflowed. Now it exits 1 and says what would fit: the fewest cards on which some layout fits, the
longest sequence length (halving) that fits on these cards, and the memory a LoRA finetune of the
best layout would need (frozen base weights keep no gradients or optimizer states). Each search is
bounded: at most 64 card counts a node apart, then doubling up to 64 times the request; sequence
lengths halve down to 512.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH
from mindpilot.presets.memory import gb

MAX_CARD_FACTOR = 64
MIN_SEQ_LEN = 512
MAX_STEPS = 64
"""At most this many card counts are tried one node apart; beyond them the count doubles."""


@dataclass
class FitAdvice:
    """Ways to a layout that fits, each None when that way does not get there."""

    fewest_cards: Optional[int]
    """The smallest card count above the request on which some layout fits."""
    seq_len: Optional[int]
    """The longest sequence length (the request halved, down to 512) that fits on the requested cards."""
    lora_gb: Optional[float]
    """Estimated GB per card of the best layout with LoRA (no gradients or optimizer states for base weights)."""
    usable_gb: float
    """Usable HBM per card the estimates are compared with."""
    full_recompute: bool
    """The best layout already recomputes every layer (recompute cannot help further)."""

    def to_dict(self) -> dict[str, Any]:
        return {"fewest_cards": self.fewest_cards, "seq_len": self.seq_len, "lora_gb": self.lora_gb,
                "usable_gb": gb(self.usable_gb), "full_recompute": self.full_recompute}

    def lines(self, lang: str, seq_len: int) -> list[str]:
        """The advice as short lines in ``lang``."""
        zh = lang == "zh"
        out = []
        if self.fewest_cards:
            out.append(f"至少 {self.fewest_cards} 张卡才有能放下的切分：--cards {self.fewest_cards}" if zh else
                       f"the fewest cards on which a layout fits: {self.fewest_cards} (--cards {self.fewest_cards})")
        if self.seq_len:
            out.append(f"序列长度减到 {self.seq_len} 可以放下：--seq-len {self.seq_len}（数据要按此长度重新处理）" if zh
                       else f"a sequence length of {self.seq_len} fits on these cards: --seq-len {self.seq_len} "
                            f"(the data must be prepared for it)")
        if self.lora_gb is not None:
            fits = self.lora_gb <= self.usable_gb
            out.append((f"改用 LoRA 微调时每卡约需 {self.lora_gb:.1f} GB（可用 {gb(self.usable_gb):.1f}）" if zh else
                        f"LoRA finetuning needs about {self.lora_gb:.1f} GB per card "
                        f"({gb(self.usable_gb):.1f} usable)") + ("" if fits else (
                            "，仍然放不下" if zh else ", still too much")))
        out.append(("已按每层全部重计算估算，重计算无法再省显存" if zh else
                    "these estimates already recompute every layer: recompute cannot save more")
                   if self.full_recompute else
                   ("打开全部重计算（recompute: True）可以再省激活显存" if zh else
                    "full recompute (recompute: True) saves more activation memory"))
        return out


def card_counts(cards: int, cards_per_node: int, steps: int = MAX_STEPS) -> list[int]:
    """Card counts above ``cards`` to try, smallest first: every count up to one node, then whole nodes
    (``steps`` of them), then doubling, up to ``MAX_CARD_FACTOR`` times the request."""
    limit = cards * MAX_CARD_FACTOR
    counts = list(range(cards + 1, min(cards_per_node, limit) + 1))
    n = (max(cards, cards_per_node) // cards_per_node + 1) * cards_per_node
    while n <= limit and len(counts) < steps:
        counts.append(n)
        n += cards_per_node
    while n <= limit:
        counts.append(n)
        n *= 2
    return counts


def fit_advice(arch: Any, cards: int, candidates: list, *, cards_per_node: int = 8, hbm_gb: float = 64,
               seq_len: int = DEFAULT_SEQ_LENGTH, global_batch: Optional[int] = None, framework: str = "mindformers",
               pp_interleave_num: int = 1) -> FitAdvice:
    """Search for what would fit; ``candidates`` are the (non-fitting) layouts on ``cards``."""
    from mindpilot.presets.planner import plan

    def fits(n: int, length: int) -> bool:
        try:
            found = plan(arch, n, cards_per_node=cards_per_node, hbm_gb=hbm_gb, seq_len=length,
                         global_batch=global_batch, framework=framework, pp_interleave_num=pp_interleave_num)
        except ValueError:
            return False
        return any(c.fits for c in found)

    fewest = next((n for n in card_counts(cards, cards_per_node) if fits(n, seq_len)), None)
    shorter = None
    length = seq_len // 2
    while length >= MIN_SEQ_LEN:
        if fits(cards, length):
            shorter = length
            break
        length //= 2
    best = candidates[0] if candidates else None
    lora = gb(best.worst.total - best.worst.gradients - best.worst.optimizer) \
        if best is not None and framework == "mindformers" else None
    full = bool(best is not None and sum(best.recompute) >= sum(best.stage_layers))
    usable = best.usable_gb if best is not None else hbm_gb
    return FitAdvice(fewest, shorter, lora, usable, full)
