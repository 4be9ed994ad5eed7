"""Parallel plans that fit the cards: every legal dp x mp x pp (x cp, x ep) layout, sized and ranked.

The hard rules are the ones the frameworks enforce (MindFormers' parallel-config checks and the MindSpore
parallel docs): ``dp*mp*cp*pp == cards`` with expert_parallel outside the product; attention heads and KV
heads divisible by ``model_parallel * ulysses`` and hidden/FFN sizes by ``model_parallel``;
``num_layers >= pipeline_stage``; ``micro_batch_num >= pipeline_stage`` (a *documented* rule,
MindSpore pipeline docs); MoE with ``model_parallel > 1`` needs ``use_seq_parallel``;
``context_parallel > 1`` needs flash attention; experts divisible by expert_parallel.
Tensor parallel stays inside a node (a performance rule). For each layout the planner fills in
``micro_batch_num``, ``offset``, per-stage ``recompute``/``select_recompute`` lists from the
memory model in :mod:`mindpilot.presets.memory`, and ranks: fits first, then fewer pipeline stages,
then least overhead (bubble, tensor/context parallel traffic, recompute).
"""

from __future__ import annotations

import math
from typing import Any, Optional

from mindpilot.presets.arch import ModelArch
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH
from mindpilot.presets.candidate import Candidate, Offset, Reason
from mindpilot.presets.memory import PROFILES, USABLE_FRACTION, Layout, ParamCounts, gb, param_counts, stage_memory

__all__ = ["Candidate", "Reason", "FRAMEWORKS", "divisors", "layer_offsets", "plan"]

FRAMEWORKS = ("mindformers", "mindrlhf-grpo", "mindspeed-llm")
MCORE_FAMILIES = ("qwen3", "qwen3_moe", "deepseek_v3")
"""Families MindFormers runs on its mcore path (``use_legacy: False``)."""
DEFAULT_MICRO_BATCHES_PER_STAGE = 4
"""Without a global batch, micro_batch_num = 4 x pipeline_stage keeps the 1F1B bubble under 20%."""
MIN_TOKENS_PER_CP_RANK = 4096
"""Context parallel is only offered when each rank still gets this many tokens."""
PLAN_BOUNDS = {"cards": 1 << 17, "cards_per_node": 1024, "hbm_gb": 4096, "seq_len": 1 << 24,
               "global_batch": 1 << 30, "pp_interleave_num": 1000}
"""Largest value the planner accepts for each input (smallest: 1). 131072 cards is beyond any job run
today; the bound keeps divisor enumeration and the layout loops to milliseconds, and an HBM of 1e308 GB
from printing a 300-digit number."""


def divisors(n: int) -> list[int]:
    """The divisors of ``n`` in increasing order."""
    small, large = [], []
    for d in range(1, int(math.isqrt(n)) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return small + large[::-1]


def layer_offsets(num_layers: int, pp: int, pp_interleave_num: int = 1) -> tuple[Offset, list[int]]:
    """``offset`` and layers per stage for ``num_layers`` over ``pp`` stages.

    ``sum(offset) == num_layers % (pp * pp_interleave_num)``; the extra layers go to the middle stages
    first (centre outwards), then the last stage, then the first — the first stage keeps the most
    micro-batches in flight and the embedding. An even split gives ``offset: 0`` as the shipped configs
    write it; with ``pp_interleave_num > 1`` the offset has MindFormers' shape ``[pp_interleave_num][pp]``.
    """
    base, remainder = divmod(num_layers, pp * pp_interleave_num)
    if remainder == 0:
        return 0, [base * pp_interleave_num] * pp
    centre = (pp - 1) / 2
    middle = sorted(range(1, pp - 1), key=lambda s: (abs(s - centre), s))
    order = middle + ([pp - 1, 0] if pp > 1 else [0])
    grid = [[0] * pp for _ in range(pp_interleave_num)]
    positions = [(chunk, stage) for chunk in range(pp_interleave_num) for stage in order]
    for chunk, stage in positions[:remainder]:
        grid[chunk][stage] = 1
    layers = [base * pp_interleave_num + sum(row[stage] for row in grid) for stage in range(pp)]
    return (grid[0] if pp_interleave_num == 1 else grid), layers


def plan(arch: ModelArch, cards: int, cards_per_node: int = 8, hbm_gb: float = 64,
         seq_len: int = DEFAULT_SEQ_LENGTH, global_batch: Optional[int] = None, framework: str = "mindformers",
         pp_interleave_num: int = 1) -> list[Candidate]:
    """Every legal layout of ``arch`` on ``cards`` cards, best first.

    ``pp_interleave_num`` > 1 plans for ``parallel.pipeline_config.pipeline_interleave`` (MindFormers
    only): layers >= pp * pp_interleave_num and a 2-D offset.

    Raises:
        ValueError: an unknown framework or a non-positive number.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORKS)}")
    for label, value in (("cards", cards), ("cards_per_node", cards_per_node), ("hbm_gb", hbm_gb),
                         ("seq_len", seq_len), ("pp_interleave_num", pp_interleave_num)):
        if value <= 0:
            raise ValueError(f"{label} must be positive, got {value}")
        if value > PLAN_BOUNDS[label]:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            raise ValueError(f"{label} must be at most {PLAN_BOUNDS[label]}, got {shown}")
    if cards > cards_per_node and cards % cards_per_node:
        raise ValueError(f"{cards} cards do not fill whole nodes of {cards_per_node}; "
                         f"use a multiple of {cards_per_node} or set cards_per_node")
    if global_batch is not None and not 0 < global_batch <= PLAN_BOUNDS["global_batch"]:
        raise ValueError(f"global_batch must be between 1 and {PLAN_BOUNDS['global_batch']}, got {global_batch}")
    counts = param_counts(arch)
    usable = hbm_gb * USABLE_FRACTION
    ppi = 1 if framework == "mindspeed-llm" else pp_interleave_num
    found = []
    for dp, mp, pp, cp in _layouts(arch, cards, cards_per_node, seq_len, framework, ppi):
        candidate = _build(arch, counts, cards, cards_per_node, hbm_gb, usable, seq_len, global_batch,
                           framework, dp, mp, pp, cp, ppi)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=_rank_key)
    return found


def _layouts(arch: ModelArch, cards: int, per_node: int, seq_len: int, framework: str, ppi: int):
    """(dp, mp, pp, cp) tuples whose product is ``cards`` and that pass the head/size/layer rules."""
    options = divisors(cards)
    mps = [mp for mp in options if mp <= per_node and _tp_ok(arch, mp)]
    pps = [pp for pp in options if pp * ppi <= arch.num_layers]
    cp_step = 2 if framework == "mindspeed-llm" else 1  # MSL: seq-length multiple of 2*CP
    cps = [cp for cp in options
           if cp == 1 or (seq_len % (cp * cp_step) == 0 and seq_len // cp >= MIN_TOKENS_PER_CP_RANK)]
    if framework == "mindrlhf-grpo":
        cps = [1]
    for pp in pps:
        for mp in mps:
            for cp in cps:
                rest, left = divmod(cards, pp * mp * cp)
                if left == 0 and rest >= 1:
                    yield rest, mp, pp, cp


def _tp_ok(arch: ModelArch, mp: int) -> bool:
    """Heads, KV heads (x ulysses = 1 with the default colossalai_cp), hidden, FFN % mp."""
    sizes = [arch.num_heads, arch.num_kv_heads, arch.hidden_size, arch.intermediate_size]
    return all(size % mp == 0 for size in sizes)


def _batches(global_batch: Optional[int], mbs: int, dp: int, pp: int) -> Optional[tuple[int, int]]:
    """``(micro_batch_num, global batch)`` of a layout: the global batch asked for must split into micro
    batches over data parallel, at least one per pipeline stage; None when it does not."""
    if pp > 1:
        if global_batch is None:
            return DEFAULT_MICRO_BATCHES_PER_STAGE * pp, mbs * dp * DEFAULT_MICRO_BATCHES_PER_STAGE * pp
        mbn, left = divmod(global_batch, mbs * dp)
        if left or mbn < pp:  # documented rule: micro_batch_num >= pipeline_stage
            return None
        return mbn, mbs * dp * mbn
    if global_batch is not None and global_batch % (mbs * dp):
        return None
    return 1, global_batch or mbs * dp


def _build(arch: ModelArch, counts: ParamCounts, cards: int, per_node: int, hbm_gb: float, usable: float,
           seq_len: int, global_batch: Optional[int], framework: str, dp: int, mp: int, pp: int,
           cp: int, ppi: int) -> Optional[Candidate]:
    mbs = 1
    batches = _batches(global_batch, mbs, dp, pp)
    if batches is None:
        return None
    mbn, batch = batches
    ep = _expert_parallel(arch, dp, mp, cp)
    if ep is None:
        return None
    mcore = arch.family in MCORE_FAMILIES
    offset, stage_layers = layer_offsets(arch.num_layers, pp, ppi)
    # mcore refuses sequence parallel without tensor parallel; legacy accepts it and the shipped
    # legacy configs keep it on at mp 1 (qwen2.5-7b dp4 mp1 pp2), which fine_grain_interleave > 1 needs.
    use_sp = mp > 1 or not mcore
    vocab_emb_dp = not mcore and mp == 1
    profile = PROFILES["mindspeed-llm" if framework == "mindspeed-llm" else "mindformers"]
    roles = None
    extra = 0.0
    if framework == "mindrlhf-grpo":
        roles, extra = _grpo_roles(arch, counts, cards, dp, mp, pp, mbn)
    layout = Layout(dp=dp, mp=mp, pp=pp, cp=cp, ep=ep, micro_batch_num=mbn, seq_len=seq_len,
                    micro_batch_size=mbs, use_seq_parallel=use_sp, vocab_emb_dp=vocab_emb_dp)
    stages = []
    first = 0
    for stage, layers in enumerate(stage_layers):
        stages.append(stage_memory(arch, counts, layout, stage, first, layers, usable, profile, extra))
        first += layers
    candidate = Candidate(
        framework=framework, cards=cards, cards_per_node=per_node, dp=dp, mp=mp, pp=pp, cp=cp, ep=ep,
        micro_batch_num=mbn, offset=offset, stage_layers=stage_layers, stages=stages, hbm_gb=hbm_gb,
        usable_gb=usable, global_batch=batch, use_seq_parallel=use_sp, vocab_emb_dp=vocab_emb_dp,
        mcore=mcore, roles=roles, pp_interleave_num=ppi)
    if roles is not None:
        roles["actor_config"]["recompute_config"] = candidate.recompute_config
        roles["actor_config"]["offset"] = offset
    if framework == "mindspeed-llm":
        candidate.mindspeed = _mindspeed(candidate, seq_len)
    candidate.score = _score(candidate)
    candidate.reasons = _reasons(arch, candidate, seq_len)
    return candidate


def _expert_parallel(arch: ModelArch, dp: int, mp: int, cp: int) -> Optional[int]:
    """The expert_parallel for a MoE layout: the largest divisor of the experts that divides dp*mp*cp
    (Megatron/mcore expert groups), so experts are spread as thin as the layout allows."""
    if arch.num_experts <= 1:
        return 1
    group = dp * mp * cp
    choices = [ep for ep in divisors(arch.num_experts) if group % ep == 0]
    return choices[-1] if choices else None


def _grpo_roles(arch: ModelArch, counts: ParamCounts, cards: int, dp: int, mp: int, pp: int,
                mbn: int) -> tuple[dict[str, Any], float]:
    """Actor, ref and generate parallel configs on the same cards and the GB the resident
    ref and generate models (bf16) add to each card."""
    total_params = counts.embedding + counts.lm_head + arch.num_layers * counts.layer(arch.num_experts > 0)
    generate_mp = mp  # the shipped configs infer with the actor's tensor parallel (mp % mp == 0)
    generate_dp = cards // generate_mp

    def role(r_dp: int, r_mp: int, r_pp: int, r_mbn: int) -> dict[str, Any]:
        # MindRLHF's per-role parallel_config dataclass: other keys are a TypeError.
        return {"data_parallel": r_dp, "model_parallel": r_mp, "pipeline_stage": r_pp, "context_parallel": 1,
                "expert_parallel": 1, "micro_batch_num": r_mbn, "use_seq_parallel": r_mp > 1,
                "vocab_emb_dp": False}

    roles = {
        "actor_config": {"parallel_config": role(dp, mp, pp, mbn)},
        "ref_config": {"parallel_config": role(generate_dp, generate_mp, 1, 1)},
        "generate_config": {"parallel_config": role(generate_dp, generate_mp, 1, 1)},
    }
    extra = 2 * (2 * total_params / generate_mp) / 1024 ** 3
    return roles, extra


def _mindspeed(candidate: Candidate, seq_len: int) -> dict[str, Any]:
    """MindSpeed-LLM script values and the matching ``convert_ckpt.py`` arguments."""
    c = candidate
    nodes = max(1, math.ceil(c.cards / c.cards_per_node))
    per_node = min(c.cards, c.cards_per_node)
    train = ["--tensor-model-parallel-size", str(c.mp), "--pipeline-model-parallel-size", str(c.pp),
             "--micro-batch-size", "1", "--global-batch-size", str(c.global_batch), "--seq-length", str(seq_len)]
    convert = ["--target-tensor-parallel-size", str(c.mp), "--target-pipeline-parallel-size", str(c.pp)]
    if c.cp > 1:
        train += ["--context-parallel-size", str(c.cp)]
    if c.ep > 1:
        train += ["--expert-model-parallel-size", str(c.ep)]
        convert += ["--target-expert-parallel-size", str(c.ep)]
    full, select = max(c.recompute), max(c.select_recompute)
    if full:  # Megatron: recompute the first N layers of each stage entirely
        train += ["--recompute-granularity", "full", "--recompute-method", "block", "--recompute-num-layers",
                  str(full)]
    elif select:  # MindSpeed: recompute only the activation function (the SwiGLU outputs)
        train += ["--recompute-activation-function", "--recompute-activation-function-num-layers", str(select)]
    num_layer_list = None
    if isinstance(c.offset, list):  # Megatron needs num_layers % PP == 0 unless --num-layer-list
        num_layer_list = ",".join(str(n) for n in c.stage_layers)
        train += ["--num-layer-list", num_layer_list]
        convert += ["--num-layer-list", num_layer_list]
    return {"TP": c.mp, "PP": c.pp, "CP": c.cp, "EP": c.ep, "DP": c.dp, "NPUS_PER_NODE": per_node,
            "NNODES": nodes, "WORLD_SIZE": c.cards, "MBS": 1, "GBS": c.global_batch,
            "num_layer_list": num_layer_list, "train_args": train, "convert_args": convert}


def _score(c: Candidate) -> float:
    """Relative overhead: pipeline bubble, tensor/context parallel traffic, recompute, multi-node pp warning."""
    layers = sum(c.stage_layers)
    full = sum(s.recompute for s in c.stages) / layers
    select = sum(s.select_recompute - s.recompute for s in c.stages) / layers
    servers = math.ceil(c.cards / c.cards_per_node)
    warn = 0.5 if servers > 1 and servers % c.pp else 0.0
    return (c.bubble + 0.1 * math.log2(c.mp) + 0.1 * math.log2(c.cp) + 0.05 * math.log2(c.ep)
            + 0.33 * full + 0.05 * select + warn)


def _rank_key(c: Candidate) -> tuple:
    if not c.fits:
        return (1, c.worst.total, c.pp)
    return (0, c.pp, round(c.score, 6), c.mp)


def _reasons(arch: ModelArch, c: Candidate, seq_len: int) -> list[Reason]:
    worst = c.worst
    reasons = [Reason("plan.fits" if c.fits else "plan.over_memory",
                      {"total": f"{gb(worst.total):.1f}", "usable": f"{gb(c.usable_gb):.1f}", "hbm": f"{c.hbm_gb:g}"})]
    if c.mp > 1:
        reasons.append(Reason("plan.tp_in_node", {"mp": c.mp, "per_node": c.cards_per_node}))
        reasons.append(Reason("plan.seq_parallel"))
    if c.pp == 1:
        reasons.append(Reason("plan.no_pipeline"))
    else:
        reasons.append(Reason("plan.pipeline", {"pp": c.pp, "mbn": c.micro_batch_num,
                                                "bubble": f"{100 * c.bubble:.0f}"}))
        if isinstance(c.offset, list):
            chunks = c.pp * c.pp_interleave_num
            reasons.append(Reason("plan.offset", {"layers": arch.num_layers, "pp": chunks, "offset": c.offset,
                                                  "remainder": arch.num_layers % chunks, "stages": c.stage_layers}))
        else:
            reasons.append(Reason("plan.even_layers", {"layers": arch.num_layers, "pp": c.pp,
                                                       "per_stage": arch.num_layers // c.pp}))
    servers = math.ceil(c.cards / c.cards_per_node)
    if servers > 1 and servers % c.pp:
        reasons.append(Reason("plan.multinode_pipeline", {"servers": servers, "pp": c.pp}))
    if any(c.select_recompute):
        reasons.append(Reason("plan.recompute", {"recompute": c.recompute, "select": c.select_recompute}))
    else:
        reasons.append(Reason("plan.no_recompute"))
    if c.cp > 1:
        reasons.append(Reason("plan.context_parallel", {"cp": c.cp, "tokens": seq_len // c.cp}))
    if arch.num_experts > 1:
        reasons.append(Reason("plan.expert_parallel", {"ep": c.ep, "per_card": arch.num_experts // c.ep}))
    factor = f"micro_batch_num {c.micro_batch_num}" if c.pp > 1 else \
        f"gradient_accumulation_steps {c.global_batch // c.dp}"
    reasons.append(Reason("plan.batch", {"mbs": 1, "dp": c.dp, "factor": factor, "global_batch": c.global_batch}))
    if c.roles is not None:
        gen = c.roles["generate_config"]["parallel_config"]
        ref = c.roles["ref_config"]["parallel_config"]
        reasons.append(Reason("plan.grpo_roles", {
            "actor": c.label, "ref": f"dp{ref['data_parallel']} mp{ref['model_parallel']} pp1",
            "generate": f"dp{gen['data_parallel']} mp{gen['model_parallel']} pp1", "cards": c.cards,
            "actor_mp": c.mp, "generate_mp": gen["model_parallel"]}))
    if c.mindspeed is not None:
        reasons.append(Reason("plan.mindspeed_convert", {"tp": c.mp, "pp": c.pp}))
    return reasons
