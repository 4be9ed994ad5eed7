"""Estimate the HBM one card needs for one pipeline stage of a training layout, term by term.

The estimate is deliberately simple and shown in full (so a user can check it by hand):

    total = weights + gradients + optimizer + activations + logits + runtime

* parameters per card: every transformer layer's attention and dense FFN / model_parallel, routed
  experts / expert_parallel, the embedding on the first stage (/ model_parallel unless vocab_emb_dp)
  and the LM head on the last; counts are calibrated to the published size (``params_b``), which also
  covers head sizes and MLA ranks that :class:`ModelArch` does not keep.
* MindFormers keeps fp32 parameters (``param_init_type: float32`` in the shipped configs): weights 4 B,
  gradients 4 B (the accumulation buffer is not sharded: ``gradient_accumulation_shard: False``), AdamW
  moments 8 B. With ``parallel.enable_parallel_optimizer`` weights and moments are sharded over
  ``data_parallel * context_parallel``. MindSpeed-LLM (Megatron, distributed optimizer): bf16 weights 2 B,
  fp32 gradients 4 B, fp32 master + moments 12 B sharded over data parallel.
* activations, bf16, per layer and micro-batch (Korthikanti et al. 2022, for SwiGLU and GQA), tokens
  ``s = seq_len / context_parallel``, ``t = model_parallel``, ``SP`` = sequence parallel divides the
  replicated part by t:  ``2 s (6h / (t if SP) + (2h + 2 kv_dim + 4 ffn) / t)``; select recompute drops
  the SiLU and Mul outputs (``- 2 s 2 ffn / t``); full recompute keeps the layer input ``2 s h / (t if SP)``.
  With 1F1B, stage i holds ``pp - i`` micro-batches in flight.
* logits: fp32 logits and their gradient on the last stage, ``8 s vocab / t``; runtime: 2 GB of
  workspace and communication buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from mindpilot.presets.arch import ModelArch
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH

GB = 1024 ** 3
RUNTIME_GB = 2.0
USABLE_FRACTION = 58 / 64
"""Share of HBM a job may use: the shipped configs set ``max_device_memory: "58GB"`` on 64 GB cards."""


def gb(value: float) -> float:
    """The one memory figure in GB: the estimate rounded once, to 2 decimals (``plan --json`` shows it).

    Every text (``plan``'s table, bars and warnings, ``check --fix``, the TUI) prints this value with one
    decimal, never the raw estimate: 68.749 printed raw is 68.7 but as 68.75 is 68.8, and the table
    and the warning used to disagree that way.
    """
    return round(float(value), 2)


RECOMPUTE_TARGET = 0.95
"""Recompute is chosen to fill at most this share of the usable HBM: the estimate is an estimate."""


@dataclass(frozen=True)
class ByteProfile:
    """Bytes per parameter of one framework's training state."""

    weights: float
    gradients: float
    optimizer: float
    shard_weights: bool
    """Whether weights are sharded over data parallel too (MindSpore's parallel optimizer)."""


PROFILES = {
    "mindformers": ByteProfile(weights=4, gradients=4, optimizer=8, shard_weights=True),
    "mindspeed-llm": ByteProfile(weights=2, gradients=4, optimizer=12, shard_weights=False),
}


@dataclass(frozen=True)
class ParamCounts:
    """Parameters of the model by where they live, calibrated to the published size."""

    embedding: float
    lm_head: float
    attention: float
    """Per layer (all non-FFN parameters of a layer)."""
    dense_ffn: float
    """Per dense layer."""
    experts: float
    """Routed experts of one MoE layer (0 for dense models)."""
    moe_other: float
    """Shared experts and router of one MoE layer."""

    def layer(self, moe: bool) -> float:
        return self.attention + (self.experts + self.moe_other if moe else self.dense_ffn)


def estimate_params(arch: ModelArch, head_dim: Optional[int] = None, mla: Optional[dict[str, Any]] = None) -> float:
    """Total parameters from the architecture (``head_dim`` and MLA ranks improve it when known)."""
    counts = _raw_counts(arch, head_dim, mla or {})
    return _total(arch, counts)


def param_counts(arch: ModelArch) -> ParamCounts:
    """Per-part parameters, scaled so that their total equals ``params_b`` when the catalogue gives it."""
    raw = _raw_counts(arch, None, {})
    if not arch.params_b:
        return raw
    embeddings = raw.embedding + raw.lm_head
    layers = _total(arch, raw) - embeddings
    scale = (arch.params_b * 1e9 - embeddings) / layers if layers > 0 else 1.0
    if not 0.5 <= scale <= 2.0:  # a params_b that disagrees this much is a typo: trust the shapes
        scale = 1.0
    return ParamCounts(raw.embedding, raw.lm_head, raw.attention * scale, raw.dense_ffn * scale,
                       raw.experts * scale, raw.moe_other * scale)


def is_moe_layer(arch: ModelArch, index: int) -> bool:
    """Whether layer ``index`` (0-based) is a MoE layer."""
    return arch.num_experts > 0 and index >= arch.first_k_dense_layers


def _raw_counts(arch: ModelArch, head_dim: Optional[int], mla: dict[str, Any]) -> ParamCounts:
    h = arch.hidden_size
    hd = head_dim or h // arch.num_heads
    if mla.get("kv_lora_rank"):
        nope, rope = mla.get("qk_nope_head_dim", 128), mla.get("qk_rope_head_dim", 64)
        v_dim, q_rank, kv_rank = mla.get("v_head_dim", 128), mla.get("q_lora_rank") or 0, mla["kv_lora_rank"]
        q = h * q_rank + q_rank * arch.num_heads * (nope + rope) if q_rank else h * arch.num_heads * (nope + rope)
        attention = q + h * (kv_rank + rope) + kv_rank * arch.num_heads * (nope + v_dim) + arch.num_heads * v_dim * h
    else:
        attention = 2 * h * arch.num_heads * hd + 2 * h * arch.num_kv_heads * hd
    moe_ffn = arch.moe_intermediate_size or arch.intermediate_size
    shared = int(mla.get("n_shared_experts") or (1 if arch.family.startswith("deepseek") else 0))
    return ParamCounts(
        embedding=float(arch.vocab_size * h),
        lm_head=0.0 if arch.tie_word_embeddings else float(arch.vocab_size * h),
        attention=float(attention),
        dense_ffn=float(3 * h * arch.intermediate_size),
        experts=float(arch.num_experts * 3 * h * moe_ffn),
        moe_other=float(shared * 3 * h * moe_ffn + h * arch.num_experts),
    )


def _total(arch: ModelArch, counts: ParamCounts) -> float:
    moe_layers = max(arch.num_layers - arch.first_k_dense_layers, 0) if arch.num_experts else 0
    dense_layers = arch.num_layers - moe_layers
    return (counts.embedding + counts.lm_head + dense_layers * counts.layer(False)
            + moe_layers * counts.layer(True))


@dataclass
class StageMemory:
    """Memory of one card in one pipeline stage, in GB, with the terms that make it up."""

    stage: int
    layers: int
    weights: float
    gradients: float
    optimizer: float
    optimizer_unsharded: float
    weights_unsharded: float
    activations: float
    activations_no_recompute: float
    logits: float
    runtime: float
    extra: float = 0.0
    """Other resident memory (GRPO: the reference and generation models' weights)."""
    recompute: int = 0
    """Layers fully recomputed (counted from the first layer of the stage)."""
    select_recompute: int = 0
    """Layers with select recompute (counted from the first; includes the fully recomputed ones)."""
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return (self.weights + self.gradients + self.optimizer + self.activations + self.logits
                + self.runtime + self.extra)


@dataclass(frozen=True)
class Layout:
    """The numbers of one parallel layout that memory depends on."""

    dp: int
    mp: int
    pp: int
    cp: int = 1
    ep: int = 1
    micro_batch_num: int = 1
    seq_len: int = DEFAULT_SEQ_LENGTH
    micro_batch_size: int = 1
    use_seq_parallel: bool = False
    vocab_emb_dp: bool = True
    parallel_optimizer: bool = True


def stage_memory(arch: ModelArch, counts: ParamCounts, layout: Layout, stage: int, first_layer: int,
                 layers: int, usable_gb: float, profile: ByteProfile, extra_gb: float = 0.0) -> StageMemory:
    """Memory of a card in ``stage`` holding ``layers`` layers from ``first_layer``, with the least
    recompute that fits ``usable_gb`` (all layers fully recomputed when nothing fits)."""
    mp, pp = layout.mp, layout.pp
    dense_params = 0.0
    expert_params = 0.0
    moe_layers = 0
    for index in range(first_layer, first_layer + layers):
        moe = is_moe_layer(arch, index)
        moe_layers += moe
        dense_params += (counts.attention + (counts.moe_other if moe else counts.dense_ffn)) / mp
        expert_params += counts.experts / layout.ep if moe else 0.0
    vocab_split = mp if arch.vocab_size % mp == 0 else 1
    if stage == 0:
        dense_params += counts.embedding / (1 if layout.vocab_emb_dp else vocab_split)
    if stage == pp - 1:
        dense_params += (counts.lm_head or (counts.embedding if pp > 1 else 0.0)) / vocab_split
        if arch.mtp_layers:
            dense_params += arch.mtp_layers * counts.layer(arch.num_experts > 0) / mp
    shard = layout.dp * layout.cp if layout.parallel_optimizer else 1
    expert_shard = max(layout.dp * layout.cp * mp // layout.ep, 1) if layout.parallel_optimizer else 1
    params = dense_params + expert_params
    weights = (dense_params / shard + expert_params / expert_shard) if profile.shard_weights else params
    optimizer = dense_params / shard + expert_params / expert_shard

    tokens = layout.seq_len // layout.cp * layout.micro_batch_size
    t = mp
    sp = t if layout.use_seq_parallel else 1
    h = arch.hidden_size
    kv_dim = arch.num_kv_heads * (h // arch.num_heads)
    moe_width = arch.experts_top_k * (arch.moe_intermediate_size or arch.intermediate_size)
    dense_mlp = 4 * arch.intermediate_size / t
    moe_mlp = 4 * moe_width / sp
    attention_part = 6 * h / sp + (2 * h + 2 * kv_dim) / t
    bytes_per = 2 * tokens  # bf16
    act_none_dense = bytes_per * (attention_part + dense_mlp)
    act_none_moe = bytes_per * (attention_part + moe_mlp)
    act_none = (act_none_dense * (layers - moe_layers) + act_none_moe * moe_layers) / max(layers, 1)
    saved_select = bytes_per * ((2 * arch.intermediate_size / t) * (layers - moe_layers)
                                + (2 * moe_width / sp) * moe_layers) / max(layers, 1)
    act_select = act_none - saved_select
    act_full = bytes_per * h / sp
    in_flight = max(pp - stage, 1) if pp > 1 else 1
    logits = 8 * tokens * arch.vocab_size / vocab_split if stage == pp - 1 else 0.0

    static = (weights * profile.weights + params * profile.gradients + optimizer * profile.optimizer
              + logits) / GB + RUNTIME_GB + extra_gb
    budget = (usable_gb * RECOMPUTE_TARGET - static) * GB / in_flight
    recompute, select = _least_recompute(layers, act_none, act_select, act_full, budget)
    activations = in_flight * ((layers - select) * act_none + (select - recompute) * act_select
                               + recompute * act_full) / GB
    return StageMemory(
        stage=stage, layers=layers,
        weights=weights * profile.weights / GB,
        gradients=params * profile.gradients / GB,
        optimizer=optimizer * profile.optimizer / GB,
        optimizer_unsharded=params * profile.optimizer / GB,
        weights_unsharded=params * profile.weights / GB,
        activations=activations,
        activations_no_recompute=in_flight * layers * act_none / GB,
        logits=logits / GB, runtime=RUNTIME_GB, extra=extra_gb,
        recompute=recompute, select_recompute=select,
        terms={"params_per_card_b": params / 1e9, "in_flight_micro_batches": in_flight,
               "activation_per_layer_gb": act_none / GB, "activation_per_layer_select_gb": act_select / GB,
               "activation_per_layer_full_recompute_gb": act_full / GB},
    )


def _least_recompute(layers: int, none: float, select: float, full: float, budget: float) -> tuple[int, int]:
    """(full, select) layer counts: first select recompute layer by layer, then full recompute."""
    if layers * none <= budget:
        return 0, 0
    if layers * select <= budget:
        return 0, min(layers, math.ceil((layers * none - budget) / max(none - select, 1.0)))
    if select - full <= 0:
        return layers, layers
    return min(layers, math.ceil((layers * select - budget) / (select - full))), layers
