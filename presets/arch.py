"""The architecture numbers of a model that parallel rules and memory estimates need.

One shape for every source: the shipped catalogue, a Hugging Face ``config.json`` and a
MindFormers YAML's ``model.model_config`` all become a :class:`ModelArch`.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict


class ModelArch(BaseModel):
    """Architecture numbers of one model (Hugging Face names where there is a choice)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Catalogue id, e.g. ``qwen2.5-7b``; for a directory or YAML, where it came from."""
    family: str = ""
    """``qwen2``, ``qwen3``, ``qwen3_moe``, ``llama``, ``deepseek_v3`` ..."""
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
