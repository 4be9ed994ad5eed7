"""Values whose YAML type is not what the writer meant: ``1e-10`` read as a string, ``Flase`` as a string.

MindFormers and MindRLHF load YAML with PyYAML (YAML 1.1). Its float pattern needs a dot in the
mantissa, so ``5e-7`` and ``1e-10`` are strings and MindSpore's ``CosineDecayLR`` raises ``TypeError``;
``use_parallel: Flase`` is the non-empty string ``'Flase'``, which Python treats as True.
"""

from __future__ import annotations

import re
from typing import Any

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc, depth_of
from mindpilot.validators.check.parallel import Plan

NUMBER_LIKE = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)[eE][-+]?\d+$")

BOOL_KEYS = frozenset({
    "use_parallel", "use_seq_parallel", "vocab_emb_dp", "use_flash_attention", "use_past", "full_batch",
    "enable_parallel_optimizer", "gradients_mean", "enable_alltoall", "auto_trans_ckpt", "resume_training",
    "only_save_strategy", "sink_mode", "shuffle", "drop_remainder", "python_multiprocessing", "qkv_has_bias",
    "qkv_concat", "use_past_shard", "do_sample", "recompute_slice_activation", "mp_comm_recompute",
    "parallel_optimizer_comm_recompute", "use_clip_grad", "integrated_save", "save_graphs", "use_legacy",
    "packing", "enable_reshard_optimizer", "sync_ref_model", "tensorboard", "save_prompt_completions_data",
    "performance_stats", "enable_oldpolicy", "calculate_entropy", "use_eod_attn_mask_compression",
    "trust_remote_code", "detokenize", "untie_embeddings_and_output_weights", "tie_word_embeddings",
    "enable_compile_cache", "gen_experience_kwargs", "enable_full_monitor", "use_vllm_bool", "opt_offload",
    "numa_enable", "auto_pipeline", "pipeline_interleave", "swap", "use_rope_slice", "use_3d_tensor_parallel",
})
"""Keys that MindFormers / MindRLHF use as booleans (``check_bool`` or ``if config.x:``)."""

_BOOL_WORDS = ("true", "false", "yes", "no", "on", "off")


def yaml11_float(token: str) -> str:
    """``1e-10`` -> ``1.0e-10``: the spelling PyYAML reads as a float."""
    mantissa, exponent = re.split(r"[eE]", token, maxsplit=1)
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


def _guess_bool(text: str) -> str:
    return "False" if text.strip().lower()[:1] in ("f", "n") or text.strip().lower() == "off" else "True"


def _wanted_bool(doc: ConfigDoc, keys: tuple, value: str) -> str:
    """The boolean the writer meant. A misspelt top-level ``use_parallel`` beside a parallel_config for several
    cards is ``True`` whatever the typo resembles: ``False`` would turn that parallel_config off (and the next
    check says so)."""
    if keys == ("use_parallel",) and Plan(doc).product > 1:
        return "True"
    return _guess_bool(value)


def check_types(doc: ConfigDoc, ctx: CheckContext) -> None:
    """Number-like strings, strings in boolean keys, and YAML nested deeper than MindFormers accepts."""
    for keys, value in doc.walk():
        if not isinstance(value, str) or not isinstance(keys[-1], str):
            continue
        raw = doc.raw(*keys) or value
        quoted = raw[:1] in ("'", '"')
        line = doc.line(*keys)
        key = ".".join(str(k) for k in keys)
        if not quoted and NUMBER_LIKE.match(value):
            fixed = yaml11_float(value)
            ctx.add("yaml.float_as_string", doc.path, line, key=key, value=value, fixed=fixed,
                    suggest=doc.text_of_line(line).strip().replace(value, fixed, 1))
        elif (keys[-1] in BOOL_KEYS and (value.lower() in _BOOL_WORDS or _looks_boolean(value))) or \
                (not quoted and _looks_boolean(value)):
            wanted = _wanted_bool(doc, keys, value)
            ctx.add("yaml.string_not_bool", doc.path, line, key=key, value=value, wanted=wanted,
                    suggest=doc.text_of_line(line).strip().replace(raw, wanted, 1))
    depth = depth_of(doc.data)
    if depth > 10:
        ctx.add("yaml.too_deep", doc.path, 1, depth=depth)


def _looks_boolean(value: str) -> bool:
    """``Flase``, ``Ture``, ``fasle`` ...: within two edits of true/false."""
    lowered = value.lower()
    return any(_close(lowered, word) for word in ("true", "false"))


def _close(a: str, b: str) -> bool:
    if a == b:
        return False
    if sorted(a) == sorted(b):
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    return sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b)) <= 1


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
