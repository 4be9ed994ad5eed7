"""``check --fix``: pick the best parallel plan for a MindFormers YAML (1.x/2.x, or 2.x PyNative) on a card count.

The plan engineer's planner (``mindpilot.presets.planner.plan``) enumerates and ranks layouts; this
module only turns a YAML into the planner's inputs (architecture, sequence length, interleave).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import MC, _catalogue_arch
from mindpilot.validators.check.pynative import is_pynative
from mindpilot.validators.check.recompute import _interleave
from mindpilot.validators.datafiles import DataFileError, InputBoundError


class FixError(ValueError):
    """No plan can be made for this file (model numbers unknown, or no layout fits the card count)."""


def arch_of(doc: ConfigDoc) -> Any:
    """The ModelArch of the model a YAML builds: its own model_config, else the catalogue."""
    from mindpilot.presets.models import arch_from_model_config

    config = doc.value(*MC)
    if config is None and is_pynative(doc.data):
        config = doc.value("model")  # MindFormers 2.x PyNative: the model's numbers sit directly under model:
    if isinstance(config, dict):
        try:
            return arch_from_model_config(config, Path(doc.path).stem, file=doc.path)
        except InputBoundError:
            raise
        except (DataFileError, ValueError, TypeError):
            pass
    arch = _catalogue_arch(doc, CheckContext(skip_paths=False))
    if arch is None:
        section = "model" if is_pynative(doc.data) else "model.model_config"
        raise FixError(f"{doc.path}: {section} does not give layers/heads/hidden sizes and the model "
                       "is not in the catalogue; add them or set pretrained_model_dir")
    return arch


def best_candidate(path: str, cards: int, hbm_gb: Optional[float], lang: str = "en") -> Any:
    """The planner's best candidate (the first that fits memory, else the first) for ``path``."""
    from mindpilot.presets.planner import plan

    doc = ConfigDoc.load(path)
    arch = arch_of(doc)
    pynative = is_pynative(doc.data)
    seq = doc.value("model", "seq_length") if pynative else doc.value(*MC, "seq_length")
    seq_len = seq if isinstance(seq, int) and seq > 0 else 4096
    interleave = doc.value("parallelism", "pipeline_parallel_interleave_num", default=1) if pynative \
        else _interleave(doc)
    interleave = interleave if isinstance(interleave, int) and not isinstance(interleave, bool) and interleave > 0 \
        else 1
    candidates = plan(arch, cards, cards_per_node=min(cards, 8), hbm_gb=hbm_gb or 64, seq_len=seq_len,
                      framework="mindformers", pp_interleave_num=interleave)
    if not candidates:
        raise FixError(f"{path}: no parallel layout of {arch.name} fits {cards} cards "
                       "(heads, KV heads and layers limit the choices)")
    return next((c for c in candidates if c.fits), candidates[0])
