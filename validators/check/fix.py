"""``check --fix``: pick the best parallel plan for a MindFormers YAML (1.x/2.x, or 2.x PyNative) on a card count.

The planner (``mindpilot.presets.planner.plan``) enumerates and ranks layouts; this
module only turns a YAML into the planner's inputs (architecture, sequence length, interleave).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import _catalogue_arch
from mindpilot.datafiles import DataFileError, InputBoundError
from mindpilot.presets.config_facts import interleave, is_pynative, model_config_of, seq_length_or_default
from mindpilot.presets.models import arch_from_model_config
from mindpilot.presets.planner import plan


class FixError(ValueError):
    """No plan can be made for this file (model numbers unknown, or no layout fits the card count)."""


def arch_of(doc: ConfigDoc) -> Any:
    """The ModelArch of the model a YAML builds: its own model_config, else the catalogue."""
    config = model_config_of(doc.data)
    if config is not None:
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
    doc = ConfigDoc.load(path)
    arch = arch_of(doc)
    candidates = plan(arch, cards, cards_per_node=min(cards, 8), hbm_gb=hbm_gb or 64,
                      seq_len=seq_length_or_default(doc.data), framework="mindformers",
                      pp_interleave_num=interleave(doc.data))
    if not candidates:
        raise FixError(f"{path}: no parallel layout of {arch.name} fits {cards} cards "
                       "(heads, KV heads and layers limit the choices)")
    return next((c for c in candidates if c.fits), candidates[0])
