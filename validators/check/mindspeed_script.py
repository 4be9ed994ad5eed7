"""MindSpeed-LLM's ``torchrun`` training and ``convert_ckpt.py`` scripts: the layout checks Megatron's
``validate_args`` makes at start-up, and the checkpoint's conversion layout against the training's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from mindpilot.validators.check.bash_script import Line, Script, argv_flags, line_of
from mindpilot.validators.check.context import CheckContext

if TYPE_CHECKING:
    from mindpilot.validators.check.scripts import ScriptFacts


def _num(script: Script, *names: str) -> Optional[int]:
    for name in names:
        value = script.int_var(name)
        if value is not None:
            return value
    return None


def _flag_value(script: Script, flag: str) -> Optional[str]:
    match = re.search(rf"--{flag}[ =]+(\S+)", script.text)
    if not match:
        return None
    return script.expand(match.group(1).strip("\"'"))


def check_mindspeed(script: Script, ctx: CheckContext, facts: ScriptFacts) -> None:
    """``WORLD_SIZE % (TP*PP*CP)``, TP/PP vs the checkpoint, batch sizes, layers (Megatron validate_args)."""
    if "tensor-model-parallel-size" not in script.text and "torchrun" not in script.text:
        return
    tp = _size(script, "tensor-model-parallel-size", "TP")
    pp = _size(script, "pipeline-model-parallel-size", "PP")
    if not tp or not pp:  # unknown, or 0 (which Megatron itself cannot divide by): no layout to check
        return
    cp = _size(script, "context-parallel-size", "CP") or 1
    ep = _size(script, "expert-model-parallel-size", "EP") or 1
    tp_line = script.var_lines.get("TP") or line_of(script, "tensor-model-parallel-size")
    facts.train_tp_pp, facts.train_line, facts.train_ep = (tp, pp), tp_line, ep
    _check_experts_and_lr(script, ctx, ep, tp_line)
    world = _check_world(script, ctx, tp, pp, cp, tp_line)
    _check_checkpoint(script, ctx, facts, tp, pp, tp_line)
    if world and world % (tp * pp * cp) == 0:
        _check_global_batch(script, ctx, world // (tp * pp * cp), tp_line)
    _check_mindspeed_lengths(script, ctx, pp, cp)


def _size(script: Script, flag: str, variable: str) -> Optional[int]:
    """A parallel size: the ``--flag`` given as a number, else the script's variable (``TP=4``)."""
    text = _flag_value(script, flag)
    return int(text) if text and text.isdigit() else _num(script, variable)


def _check_experts_and_lr(script: Script, ctx: CheckContext, ep: int, tp_line: Optional[int]) -> None:
    """Experts split evenly over expert parallel; ``--min-lr`` not above ``--lr``."""
    experts = _int_or_none(_flag_value(script, "num-experts"))
    if experts and ep > 1 and experts % ep:
        ctx.add("mindspeed.experts_ep", script.path, line_of(script, "expert-model-parallel-size") or tp_line,
                experts=experts, ep=ep)
    lr, min_lr = _float_or_none(_flag_value(script, "lr")), _float_or_none(_flag_value(script, "min-lr"))
    if lr is not None and min_lr is not None and min_lr > lr:
        ctx.add("mindspeed.min_lr", script.path, line_of(script, "--min-lr"), lr=lr, min_lr=min_lr)


def _check_world(script: Script, ctx: CheckContext, tp: int, pp: int, cp: int,
                 tp_line: Optional[int]) -> Optional[int]:
    """The world size (``WORLD_SIZE``, else NPUs per node x nodes) against the cards and TP x PP x CP; returned."""
    path = script.path
    npus = _num(script, "NPUS_PER_NODE", "GPUS_PER_NODE")
    world = script.int_var("WORLD_SIZE") or (npus * (_num(script, "NNODES") or 1) if npus else None)
    if ctx.cards and npus and npus > ctx.cards:
        ctx.add("launch.local_gt_cards", path, script.var_lines.get("NPUS_PER_NODE"), local=npus, cards=ctx.cards)
    if world and world % (tp * pp * cp):
        ctx.add("mindspeed.world_not_divisible", path, tp_line, world=world, tp=tp, pp=pp, cp=cp,
                model_size=tp * pp * cp, npus_line=script.var_lines.get("NPUS_PER_NODE"))
    if npus and tp > npus:
        ctx.add("mindspeed.tp_across_nodes", path, tp_line, tp=tp, npus=npus)
    return world


def _check_checkpoint(script: Script, ctx: CheckContext, facts: ScriptFacts, tp: int, pp: int,
                      tp_line: Optional[int]) -> None:
    """A checkpoint folder named for another layout (``..._tp2pp4``) than the one trained with."""
    load = _flag_value(script, "load") or script.expand(script.vars.get("CKPT_LOAD_DIR", ""))
    if not load:
        return
    facts.load_dir = load
    match = re.search(r"tp(\d+)[_-]?pp(\d+)", load.lower())
    if match and (int(match.group(1)), int(match.group(2))) != (tp, pp):
        ctx.add("mindspeed.checkpoint_layout", script.path, script.var_lines.get("CKPT_LOAD_DIR") or tp_line,
                load=load, ckpt_tp=match.group(1), ckpt_pp=match.group(2), tp=tp, pp=pp)


def _check_global_batch(script: Script, ctx: CheckContext, dp: int, tp_line: Optional[int]) -> None:
    """The global batch a multiple of micro batch x data parallel."""
    mbs = _num(script, "MBS") or _int_or_none(_flag_value(script, "micro-batch-size"))
    gbs = _num(script, "GBS") or _int_or_none(_flag_value(script, "global-batch-size"))
    if mbs and gbs and gbs % (mbs * dp):
        ctx.add("mindspeed.global_batch", script.path, script.var_lines.get("GBS") or tp_line, gbs=gbs, mbs=mbs, dp=dp)


def _check_mindspeed_lengths(script: Script, ctx: CheckContext, pp: int, cp: int) -> None:
    """Layers vs pipeline stages, and the sequence length vs position embeddings and context parallel."""
    text, path = script.text, script.path
    layers = _int_or_none(_flag_value(script, "num-layers"))
    if layers and pp > 1 and layers % pp and "num-layer-list" not in text and "noop-layers" not in text \
            and "decoder-first-pipeline-num-layers" not in text:
        ctx.add("mindspeed.layers_pp", path, line_of(script, "num-layers"), layers=layers, pp=pp)
    seq = _num(script, "SEQ_LEN") or _int_or_none(_flag_value(script, "seq-length"))
    max_pos = _int_or_none(_flag_value(script, "max-position-embeddings"))
    if seq and max_pos and max_pos < seq:
        ctx.add("mindspeed.max_position", path, line_of(script, "max-position-embeddings"), seq=seq, max_pos=max_pos)
    if seq and cp > 1 and seq % (2 * cp):
        ctx.add("mindspeed.seq_cp", path, script.var_lines.get("SEQ_LEN"), seq=seq, cp=cp)


def _float_or_none(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _int_or_none(value: Optional[str]) -> Optional[int]:
    return int(value) if value and value.isdigit() else None


def cross_check_convert(facts: list[tuple[str, ScriptFacts]], ctx: CheckContext) -> None:
    """The TP/PP a checkpoint was converted with must be the TP/PP the training script uses."""
    converts = [(p, f) for p, f in facts if f.convert_tp_pp]
    trains = [(p, f) for p, f in facts if f.train_tp_pp]
    for train_path, train in trains:
        for convert_path, convert in converts:
            related = len(converts) == 1 or (train.load_dir and convert.save_dir and
                                             train.load_dir.rstrip("/") == convert.save_dir.rstrip("/"))
            if related and (*convert.convert_tp_pp, convert.convert_ep) != (*train.train_tp_pp, train.train_ep):
                ctx.add("mindspeed.convert_mismatch", train_path, train.train_line,
                        tp=train.train_tp_pp[0], pp=train.train_tp_pp[1], ep=train.train_ep,
                        ctp=convert.convert_tp_pp[0], cpp=convert.convert_tp_pp[1], cep=convert.convert_ep,
                        convert_file=convert_path, convert_line=convert.convert_line)


def read_convert(script: Script, line: Line, argv: list[str], facts: ScriptFacts) -> None:
    """The layout a ``convert_ckpt.py`` command converts to, and where it saves (for :func:`cross_check_convert`)."""
    values = argv_flags(argv)
    tp, pp = values.get("target-tensor-parallel-size", "1"), values.get("target-pipeline-parallel-size", "1")
    if tp.isdigit() and pp.isdigit():
        facts.convert_tp_pp = (int(tp), int(pp))
        ep = values.get("target-expert-parallel-size", "1")
        facts.convert_ep = int(ep) if ep.isdigit() else 1
        facts.convert_line = line_of(script, "--target-tensor-parallel-size") or line.number
        facts.save_dir = values.get("save-dir")
