"""The architecture numbers of a model that parallel rules and memory estimates need.

One shape for every source: the shipped catalogue, a Hugging Face ``config.json`` and a
MindFormers YAML's ``model.model_config`` all become a :class:`ModelArch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ARCH_BOUNDS = {
    "num_layers": (1, 1000), "hidden_size": (1, 1 << 20), "num_heads": (1, 1 << 16), "num_kv_heads": (1, 1 << 16),
    "intermediate_size": (1, 1 << 22), "vocab_size": (1, 1 << 24), "max_position_embeddings": (1, 1 << 28),
    "num_experts": (0, 1 << 16), "experts_top_k": (0, 1 << 16), "moe_intermediate_size": (1, 1 << 22),
    "first_k_dense_layers": (0, 1000), "mtp_layers": (0, 1000),
}
"""Accepted range of each architecture number read from a user's file. The largest published models stay
far inside (126 layers, hidden 16384, vocab 256k, 256 experts); a layer count of 10^9 would make every
per-layer loop of the planner run for hours, and 0 heads divides by zero."""


@dataclass(frozen=True)
class ModelArch:
    """Architecture numbers of one model (Hugging Face names where there is a choice).

    A dataclass: pydantic validates the catalogue file once (see :func:`mindpilot.compiled.built`), and
    the numbers read from a user's file are checked where they are read.
    """

    __pydantic_config__ = {"extra": "forbid"}

    name: str
    """Catalogue id, e.g. ``qwen2.5-7b``; for a directory or YAML, where it came from."""
    num_layers: int
    """Transformer layers (``num_hidden_layers`` / ``num_layers``)."""
    hidden_size: int
    """Model width."""
    num_heads: int
    """Attention heads (``num_attention_heads`` / ``num_heads``)."""
    num_kv_heads: int
    """Key/value heads (``num_key_value_heads`` / ``n_kv_heads``); equals ``num_heads`` without GQA."""
    intermediate_size: int
    """Dense FFN width (``intermediate_size`` / ``ffn_hidden_size``)."""
    vocab_size: int
    """Vocabulary size."""
    family: str = ""
    """``qwen2``, ``qwen3``, ``qwen3_moe``, ``llama``, ``deepseek_v3`` ..."""
    max_position_embeddings: Optional[int] = None
    """Longest sequence the position encoding supports."""
    num_experts: int = 0
    """Routed experts of a MoE model; 0 for dense."""
    experts_top_k: int = 0
    """Experts each token is routed to."""
    moe_intermediate_size: Optional[int] = None
    """FFN width of one expert."""
    first_k_dense_layers: int = 0
    """Leading dense layers before the MoE layers (DeepSeek-V3: 3)."""
    mtp_layers: int = 0
    """Multi-token-prediction layers (DeepSeek-V3: 1); they count in MindFormers' offset sum."""
    tie_word_embeddings: bool = False
    """Whether input and output embeddings share weights."""
    params_b: Optional[float] = None
    """Published parameter count in billions, for display and as a check on the estimate."""
    source: Optional[str] = None
    """Where the numbers come from (model card / config.json / reference section)."""


def out_of_bounds(arch: ModelArch) -> Optional[tuple[str, str]]:
    """(field, message) of the first number of ``arch`` outside :data:`ARCH_BOUNDS`, or None."""
    for field, (low, high) in ARCH_BOUNDS.items():
        value = getattr(arch, field)
        if value is not None and not low <= value <= high:
            return field, f"must be between {low} and {high}, got {value}"
    return None
