"""What kind of config a YAML is, decided in one place: an ordered list of kinds, first match wins.

``check`` and ``diagnose`` (through :mod:`mindpilot.launch.router`) both ask :func:`yaml_kind`. A new
framework's config is one :func:`register` call: a name, a test on the parsed mapping, and the rules to run.
Order matters where schemas share section names (MindSpeed-RL has ``actor_config`` like MindRLHF GRPO).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc

UNKNOWN = "unknown"
"""The kind of a YAML no entry recognises (``check`` says so with ``yaml.unknown_kind``)."""

CheckFn = Callable[[ConfigDoc, CheckContext, Callable[..., None]], None]
"""Runs a kind's rules: the document, the context to add findings to, and a callback that checks a
model YAML the config points to (``check_model_yaml(path, role)``)."""


@dataclass(frozen=True)
class ConfigKind:
    """One kind of config file."""

    name: str
    """Reported in ``check``'s summary and JSON (``mindformers``, ``grpo`` ...)."""
    matches: Callable[[dict], bool]
    """True when a parsed top-level mapping is of this kind."""
    check: Optional[CheckFn] = None
    """The kind's rules; None: recognised but not checked (reported as :data:`UNKNOWN`)."""


KINDS: list[ConfigKind] = []
"""Every kind, in the order they are tried."""


def register(kind: ConfigKind, before: Optional[str] = None) -> None:
    """Add ``kind`` at the end, or just before the kind named ``before`` (to win over a looser test)."""
    names = [k.name for k in KINDS]
    KINDS.insert(names.index(before) if before in names else len(KINDS), kind)


def yaml_kind(data: Any) -> ConfigKind:
    """The first registered kind whose test accepts ``data``; :data:`UNKNOWN` (no rules) otherwise."""
    if isinstance(data, dict):
        for kind in KINDS:
            if kind.matches(data):
                return kind if kind.check is not None else ConfigKind(UNKNOWN, kind.matches)
    return ConfigKind(UNKNOWN, lambda _: False)


def kind_named(name: str) -> Optional[ConfigKind]:
    """The registered kind called ``name`` that has rules (a caller that knows the kind already), or None."""
    return next((kind for kind in KINDS if kind.name == name and kind.check is not None), None)


MINDFORMERS_KEYS = ("parallel_config", "model", "trainer", "run_mode", "runner_config", "recompute_config",
                    "use_parallel", "train_dataset", "pretrained_model_dir")
GRPO_KEYS = ("rl_config", "actor_config", "generate_config", "ref_config")
GRPO_FLAT_KEYS = ("start_lr", "end_lr", "sft_model_path", "num_generations", "num_rollouts")


def _is_mindspeed_rl(data: dict) -> bool:
    return "megatron_training" in data or "defaults" in data  # hydra/OmegaConf: same section names, other schema


def _is_grpo(data: dict) -> bool:
    return any(key in data for key in GRPO_KEYS) or ("start_lr" in data or "sft_model_path" in data) \
        and "model" not in data and "parallel_config" not in data


def _check_mindformers(doc: ConfigDoc, ctx: CheckContext, _check_model_yaml: Callable[..., None]) -> None:
    from mindpilot.validators.check.mindformers import check_mindformers_doc

    check_mindformers_doc(doc, ctx)


def _check_grpo(doc: ConfigDoc, ctx: CheckContext, check_model_yaml: Callable[..., None]) -> None:
    from mindpilot.validators.check.grpo import check_grpo_doc

    check_grpo_doc(doc, ctx, check_model_yaml)


register(ConfigKind("mindspeed-rl", _is_mindspeed_rl))
register(ConfigKind("grpo", _is_grpo, _check_grpo))
register(ConfigKind("mindformers", lambda data: any(key in data for key in MINDFORMERS_KEYS), _check_mindformers))
register(ConfigKind("grpo", lambda data: sum(key in data for key in GRPO_FLAT_KEYS) >= 2, _check_grpo))
