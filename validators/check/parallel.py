"""MindFormers ``parallel_config`` rules.

Each rule quotes the error MindFormers raises and where (``check_rules.py``, ``transformer.py``,
``llama_transformer.py`` ...); the texts live in ``data/rules/parallel.yaml``.
"""

from __future__ import annotations

import math
import shlex
from typing import Any, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import MC, Numbers

PC = "parallel_config"

PARALLEL_TEMPLATE = {
    "data_parallel": 1, "model_parallel": 1, "context_parallel": 1, "expert_parallel": 1, "pipeline_stage": 1,
    "micro_batch_num": 1, "seq_split_num": 1, "use_seq_parallel": False, "optimizer_shard": None,
    "gradient_aggregation_group": 4, "vocab_emb_dp": True, "context_parallel_algo": "colossalai_cp",
    "ulysses_degree_in_cp": 1, "mem_coeff": 0.1,
}
"""``ParallelConfig`` template with defaults (mindformers/tools/register/template.py:300, MF 1.7)."""

POSITIVE_INTS = ("data_parallel", "model_parallel", "context_parallel", "expert_parallel", "pipeline_stage",
                 "micro_batch_num", "seq_split_num", "gradient_aggregation_group")
CP_ALGOS = ("colossalai_cp", "ulysses_cp", "hybrid_cp")
PARALLEL_MODES = {0: "data_parallel", 1: "semi_auto_parallel", 2: "auto_parallel", 3: "hybrid_parallel",
                  "DATA_PARALLEL": "data_parallel", "SEMI_AUTO_PARALLEL": "semi_auto_parallel",
                  "AUTO_PARALLEL": "auto_parallel", "HYBRID_PARALLEL": "hybrid_parallel",
                  "STAND_ALONE": "stand_alone", "MANUAL_PARALLEL": "manual_parallel"}
"""mindformers/tools/utils.py:41-50 (MF 1.7)."""


class Plan:
    """The effective parallel numbers of a config (template defaults filled in)."""

    def __init__(self, doc: ConfigDoc) -> None:
        section = doc.value(PC)
        self.section: dict[str, Any] = section if isinstance(section, dict) else {}
        values = dict(PARALLEL_TEMPLATE)
        values.update({k: v for k, v in self.section.items() if k in PARALLEL_TEMPLATE})
        self.values = values

    def int(self, key: str) -> int:
        value = self.values.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1

    @property
    def dp(self) -> int:
        return self.int("data_parallel")

    @property
    def mp(self) -> int:
        return self.int("model_parallel")

    @property
    def cp(self) -> int:
        return self.int("context_parallel")

    @property
    def pp(self) -> int:
        return self.int("pipeline_stage")

    @property
    def ep(self) -> int:
        return self.int("expert_parallel")

    @property
    def mbn(self) -> int:
        return self.int("micro_batch_num")

    @property
    def product(self) -> int:
        return self.dp * self.mp * self.cp * self.pp

    def ulysses(self) -> int:
        """``get_ulysses_cp_num`` (mindformers/modules/transformer/transformer.py:622-635)."""
        algo = self.values.get("context_parallel_algo")
        if self.cp == 1 or algo == "colossalai_cp":
            return 1
        if algo == "ulysses_cp":
            return self.cp
        if algo == "hybrid_cp":
            degree = self.values.get("ulysses_degree_in_cp")
            return degree if isinstance(degree, int) and degree > 0 else 1
        return 1


def parallel_mode(doc: ConfigDoc) -> Optional[str]:
    """``parallel.parallel_mode`` as MindFormers names it; the template default is 1 (semi_auto)."""
    mode = doc.value("parallel", "parallel_mode", default=1)
    if isinstance(mode, str):
        mode = mode.upper() if mode.upper() in PARALLEL_MODES else mode
    return PARALLEL_MODES.get(mode) if isinstance(mode, (int, str)) else None  # a list or mapping is no mode


def _suggest(doc: ConfigDoc, keys: tuple, new: Any) -> str:
    """The user's line for ``keys`` with its value replaced by ``new`` (what the fix asks for)."""
    line = doc.line(*keys)
    raw = doc.raw(*keys)
    text = doc.text_of_line(line).strip()
    if raw is None or not text:
        return f"{keys[-1]}: {new}"
    head, _, tail = text.partition(":")
    return f"{head}: {str(tail).replace(raw, str(new), 1).strip()}"


def check_parallel(doc: ConfigDoc, ctx: CheckContext, plan: Plan, numbers: Numbers, mode: Optional[str],
                   mcore: bool) -> None:
    """Every parallel_config rule that needs no model numbers beyond ``numbers``."""
    path = doc.path
    section = doc.value(PC)
    if section is not None and not isinstance(section, dict):
        ctx.add("parallel.not_mapping", path, doc.line(PC), type_name=type(section).__name__)
        return
    _check_section_values(doc, ctx, plan)
    run_mode = _run_mode(doc)
    use_parallel = doc.value("use_parallel", default=False)  # template default False (template.py:240)
    parallel_on = bool(use_parallel)  # MindFormers tests it with `if config.use_parallel:`; 'Flase' is truthy
    if not parallel_on and plan.product > 1:
        ctx.add("parallel.ignored_without_use_parallel", path, doc.line("use_parallel") or doc.line(PC),
                product=plan.product)
    if doc.value("parallel", "auto_pipeline") is True:
        ctx.add("parallel.auto_pipeline", path, doc.line("parallel", "auto_pipeline"))
    raw_mode = doc.value("parallel", "parallel_mode")
    if raw_mode is not None and mode is None:
        ctx.add("parallel.mode_invalid", path, doc.line("parallel", "parallel_mode"), value=repr(raw_mode))
    if parallel_on:
        _check_world(doc, ctx, plan, mode, str(raw_mode))
    training = run_mode in (None, "train", "finetune")
    _check_pipeline_batches(doc, ctx, plan, run_mode, parallel_on)
    _check_heads(doc, ctx, plan, numbers, mcore, training)
    _check_context_parallel(doc, ctx, plan, numbers)
    _check_sequence_parallel(doc, ctx, plan, numbers, mcore)
    if run_mode in ("predict", "eval"):
        batch = doc.value("model", "model_config", "batch_size")
        if isinstance(batch, int) and plan.dp > 1 and batch % plan.dp:
            ctx.add("parallel.predict_batch_dp", path, doc.line(*MC, "batch_size"), batch=batch, dp=plan.dp)
    if parallel_on:
        _check_dataset_strategy(doc, ctx, plan, mode, run_mode)


def _check_pipeline_batches(doc: ConfigDoc, ctx: CheckContext, plan: Plan, run_mode: Optional[str],
                            parallel_on: bool) -> None:
    """Micro batches against pipeline stages when training; no pipeline when predicting or evaluating."""
    path = doc.path
    training = run_mode in (None, "train", "finetune")
    if training and plan.pp > 1 and plan.mbn < plan.pp:
        ctx.add("parallel.micro_batch_lt_pp", path, doc.line(PC, "micro_batch_num") or doc.line(PC, "pipeline_stage"),
                mbn=plan.mbn, pp=plan.pp, suggest=_suggest(doc, (PC, "micro_batch_num"), plan.pp)
                if doc.has(PC, "micro_batch_num") else f"micro_batch_num: {plan.pp}")
    if training and parallel_on and plan.pp == 1 and plan.mbn > 1:
        ctx.add("parallel.micro_batch_ignored", path, doc.line(PC, "micro_batch_num"), mbn=plan.mbn)
    if run_mode in ("predict", "eval") and plan.pp > 1:
        ctx.add("parallel.predict_pp", path, doc.line(PC, "pipeline_stage"), pp=plan.pp, mode=run_mode,
                suggest=_suggest(doc, (PC, "pipeline_stage"), 1))


def _check_section_values(doc: ConfigDoc, ctx: CheckContext, plan: Plan) -> None:
    """Keys ``parallel_config`` does not have, and counts that are not positive integers."""
    path = doc.path
    for key in plan.section:
        if key not in PARALLEL_TEMPLATE:
            ctx.add("parallel.unknown_key", path, doc.line(PC, key), key=key, section=PC,
                    allowed=", ".join(PARALLEL_TEMPLATE))
    for key in POSITIVE_INTS:
        value = plan.section.get(key)
        if key in plan.section and not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            ctx.add("parallel.not_positive_int", path, doc.line(PC, key), key=key, value=repr(value),
                    suggest=_suggest(doc, (PC, key), _as_int(value)))


def _check_world(doc: ConfigDoc, ctx: CheckContext, plan: Plan, mode: Optional[str], raw_mode: str) -> None:
    """With use_parallel on: the layout against the card count, per parallel mode, and pipeline stages vs servers."""
    path = doc.path
    cards = ctx.cards
    if cards and mode == "semi_auto_parallel" and plan.product != cards:
        others = plan.mp * plan.cp * plan.pp
        if cards % others == 0:
            fix_key, fix_value = "data_parallel", cards // others
        else:
            fix_key, fix_value = None, None
        ctx.add("parallel.product_mismatch", path, doc.line(PC, fix_key or "model_parallel") or doc.line(PC),
                dp=plan.dp, mp=plan.mp, cp=plan.cp, pp=plan.pp, product=plan.product, cards=cards,
                quoted_file=shlex.quote(str(path)),
                suggest=_suggest(doc, (PC, "data_parallel"), fix_value) if fix_key and doc.has(PC, "data_parallel")
                else (f"data_parallel: {fix_value}" if fix_key else f"dp*mp*cp*pp = {cards}"))
    if mode in ("stand_alone", "manual_parallel"):
        _check_manual(doc, ctx, plan, cards, raw_mode)
    if cards and mode == "auto_parallel" and plan.dp * plan.mp * plan.pp > cards:
        ctx.add("parallel.product_exceeds", path, doc.line(PC), dp=plan.dp, mp=plan.mp, pp=plan.pp, cards=cards)
    if cards and cards > 8:
        servers = math.ceil(cards / 8)
        if servers % plan.pp:
            ctx.add("parallel.servers_pp", path, doc.line(PC, "pipeline_stage") or doc.line(PC),
                    servers=servers, pp=plan.pp, rest=servers % plan.pp)


def _check_dataset_strategy(doc: ConfigDoc, ctx: CheckContext, plan: Plan, mode: Optional[str],
                            run_mode: Optional[str]) -> None:
    """``full_batch: False`` needs a ``dataset_strategy`` whose first entry is the data-parallel size."""
    path = doc.path
    # set_config runs this check only when RUN_MODE is not predict, in (semi_)auto parallel (base_trainer.py:180-183,
    # 214, 246-252 in 2.0.0; :169-171, 202 in 1.7.0): predict jobs and MANUAL_PARALLEL never reach it
    if doc.value("parallel", "full_batch") is False and run_mode != "predict" \
            and mode in ("semi_auto_parallel", "auto_parallel"):
        strategy = doc.value("parallel", "dataset_strategy")
        first = strategy[0][0] if isinstance(strategy, list) and strategy and isinstance(strategy[0], list) \
            and strategy[0] else None
        if first != plan.dp:
            ctx.add("parallel.dataset_strategy", path, doc.line("parallel", "dataset_strategy")
                    or doc.line("parallel", "full_batch"), dp=plan.dp, first=repr(first))


def _check_manual(doc: ConfigDoc, ctx: CheckContext, plan: Plan, cards: Optional[int], mode: str) -> None:
    """``ParallelOperator._set_manmul_parallel`` (core/context/parallel.py:120-149, MF 1.7-2.1): with use_parallel
    and STAND_ALONE / MANUAL_PARALLEL, dp*mp*pp must be the world size and dp*mp a multiple of ep."""
    dp, mp, pp, ep = plan.dp, plan.mp, plan.pp, plan.ep
    if (dp * mp) % ep:
        options = ", ".join(str(d) for d in range(1, min(dp * mp, 4096) + 1) if (dp * mp) % d == 0)
        ctx.add("parallel.manual_expert_parallel", doc.path, doc.line(PC, "expert_parallel"), mode=mode,
                dpmp=dp * mp, ep=ep, options=options)
    if cards and dp * mp * pp != cards:
        ctx.add("parallel.manual_product_mismatch", doc.path, doc.line(PC, "model_parallel") or doc.line(PC),
                mode=mode, dp=dp, mp=mp, pp=pp, product=dp * mp * pp, cards=cards)


def _as_int(value: Any) -> Any:
    try:
        return max(1, int(str(value).strip().strip("'\"")))
    except ValueError:
        return 1


def _run_mode(doc: ConfigDoc) -> Optional[str]:
    """``run_mode`` from the YAML, else guessed from the file name (predict_*.yaml / finetune_*.yaml)."""
    mode = doc.value("run_mode")
    if isinstance(mode, str) and mode:
        return mode
    name = doc.path.rsplit("/", 1)[-1].lower()
    for guess in ("predict", "finetune", "pretrain", "eval"):
        if guess in name:
            return "train" if guess == "pretrain" else guess
    return None


def _check_heads(doc: ConfigDoc, ctx: CheckContext, plan: Plan, numbers: Numbers, mcore: bool,
                 training: bool) -> None:
    path, mp = doc.path, plan.mp
    ulysses = plan.ulysses()
    shard = mp * ulysses
    where = numbers.source if numbers.source != "yaml" else ""
    line_mp = doc.line(PC, "model_parallel") or doc.line(PC)
    if numbers.hidden and numbers.heads and numbers.hidden % numbers.heads and not mcore:
        ctx.add("model.hidden_heads", path, doc.line(*MC, numbers.keys.get("hidden", "hidden_size")),
                hidden=numbers.hidden, heads=numbers.heads)
    if mp == 1 and ulysses == 1:
        return
    if mcore and not training:
        _check_kv_heads_inference(ctx, path, line_mp, numbers.kv_heads, mp, where)
        return
    if numbers.heads and numbers.heads % shard:
        ctx.add("parallel.heads_mp", path, line_mp, heads=numbers.heads, mp=mp, ulysses=ulysses, where=where,
                options=_divisors_text(numbers.heads, numbers.kv_heads, ulysses))
    kv = numbers.kv_heads
    if kv and kv % shard and not (mcore and kv % mp == 0):
        ctx.add("parallel.kv_heads_mp", path, line_mp, kv=kv, mp=mp, ulysses=ulysses, where=where,
                options=_divisors_text(numbers.heads, kv, ulysses))
    if not mcore:
        if numbers.ffn and numbers.ffn % mp:
            ctx.add("parallel.ffn_mp", path, line_mp, ffn=numbers.ffn, mp=mp)
        if numbers.hidden and numbers.hidden % mp:
            ctx.add("parallel.hidden_mp", path, line_mp, hidden=numbers.hidden, mp=mp)


def _check_kv_heads_inference(ctx: CheckContext, path: str, line: Optional[int], kv: Optional[int], tp: int,
                              where: str) -> None:
    """Mcore inference: KV heads split evenly over tensor parallel, or replicated evenly when fewer."""
    if kv and kv >= tp and kv % tp:
        ctx.add("parallel.kv_heads_tp_infer", path, line, kv=kv, tp=tp, where=where)
    elif kv and kv < tp and tp % kv:
        ctx.add("parallel.tp_kv_heads_infer", path, line, kv=kv, tp=tp, where=where)


def _divisors_text(heads: Optional[int], kv: Optional[int], ulysses: int) -> str:
    values = [m for m in (1, 2, 4, 8, 16, 32, 64)
              if (not heads or heads % (m * ulysses) == 0) and (not kv or kv % (m * ulysses) == 0)]
    return ", ".join(str(v) for v in values) or "1"


def _check_context_parallel(doc: ConfigDoc, ctx: CheckContext, plan: Plan, numbers: Numbers) -> None:
    path = doc.path
    algo = plan.values.get("context_parallel_algo")
    if algo not in CP_ALGOS:
        ctx.add("parallel.cp_algo", path, doc.line(PC, "context_parallel_algo"), value=repr(algo))
        return
    if plan.cp <= 1:
        return
    flash = doc.value(*MC, "use_flash_attention")
    if flash is not True:
        ctx.add("parallel.cp_needs_flash", path, doc.line(*MC, "use_flash_attention") or doc.line(PC, "context_parallel"),
                flash=repr(flash))
    if algo == "ulysses_cp":
        heads = numbers.kv_heads or numbers.heads
        if heads and plan.cp * plan.mp > heads:
            ctx.add("parallel.ulysses_heads", path, doc.line(PC, "context_parallel"), heads=heads,
                    cpmp=plan.cp * plan.mp)
    if algo == "hybrid_cp":
        degree = plan.values.get("ulysses_degree_in_cp")
        if isinstance(degree, int) and degree > 0 and plan.cp % degree:
            ctx.add("parallel.hybrid_cp", path, doc.line(PC, "ulysses_degree_in_cp"), cp=plan.cp, degree=degree)


def _check_sequence_parallel(doc: ConfigDoc, ctx: CheckContext, plan: Plan, numbers: Numbers, mcore: bool) -> None:
    path = doc.path
    seq_parallel = plan.values.get("use_seq_parallel") is True
    experts = numbers.experts
    if experts > 1 and plan.mp > 1 and not seq_parallel and _run_mode(doc) not in ("predict", "eval"):
        ctx.add("parallel.moe_needs_seq_parallel", path, doc.line(PC, "use_seq_parallel") or doc.line(PC),
                mp=plan.mp, experts=experts)
    if mcore and seq_parallel and plan.mp <= 1:
        ctx.add("parallel.seq_parallel_needs_tp", path, doc.line(PC, "use_seq_parallel"))
    fine = doc.value(*MC, "fine_grain_interleave")
    if isinstance(fine, int) and fine > 1 and not seq_parallel and plan.cp <= 1:
        ctx.add("parallel.fine_grain_needs_seq_parallel", path, doc.line(*MC, "fine_grain_interleave"), value=fine)
    if experts > 1 and plan.ep > 1 and experts % plan.ep:
        ctx.add("parallel.experts_ep", path, doc.line(PC, "expert_parallel"), experts=experts, ep=plan.ep)
    scheduler = doc.value("parallel", "pipeline_config", "pipeline_scheduler")
    if scheduler == "seqvpp" and plan.values.get("seq_split_num") in (1, None):
        ctx.add("parallel.seqvpp", path, doc.line("parallel", "pipeline_config", "pipeline_scheduler"))
    if scheduler == "zero_bubble_v":
        ppi = doc.value(*MC, "pp_interleave_num")
        if ppi != 2:
            ctx.add("parallel.zero_bubble_v_ppi", path, doc.line(*MC, "pp_interleave_num")
                    or doc.line("parallel", "pipeline_config", "pipeline_scheduler"), value=repr(ppi))
        if plan.mbn < 2 * plan.pp:
            ctx.add("parallel.zero_bubble_v_mbn", path, doc.line(PC, "micro_batch_num"), mbn=plan.mbn, pp=plan.pp)
