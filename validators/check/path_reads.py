"""Which path fields of a MindFormers YAML the run opens, given its run mode.

``check`` reports a path that does not exist only when MindFormers would open it: a training run never reads
``processor.tokenizer.vocab_file``, and ``Trainer.train`` sets ``model_config.checkpoint_name_or_path`` to None
before building the model, so a model name left there (``telechat_7b_moe``) is not a missing file. The fields
and the MindFormers code that reads each are data (``data/path_reads.yaml``); :class:`RunMode` answers, for one
YAML, whether the run reads a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, NamedTuple, Optional

from mindpilot import compiled
from mindpilot.datafiles import load_model, package_path

TRAINING_MODES = ("train", "finetune")
GENERATION_MODES = ("eval", "predict")
CHECKPOINT_SUFFIXES = (".ckpt", ".safetensors")


class ReadWhen(str, Enum):
    """When a run opens a path field (``read_when`` in ``data/path_reads.yaml``)."""

    ALWAYS = "always"
    TRAINING = "training"
    EVALUATION = "evaluation"
    GENERATION = "generation"
    CHECKPOINT_TRANSFORM = "checkpoint_transform"
    MODEL_WEIGHTS = "model_weights"


@dataclass(frozen=True)
class PathField:
    """One path field, the role of what it names, and when the run reads it."""

    key: list[str]
    role: str
    """``checkpoint``, ``model_dir``, ``strategy``, ``dataset`` or ``tokenizer``."""
    read_when: ReadWhen
    source: str
    """The MindFormers code that reads the field."""


@dataclass(frozen=True)
class PathReads:
    """``data/path_reads.yaml``."""

    source: str
    fields: list[PathField]


@lru_cache(maxsize=1)
def path_reads() -> PathReads:
    path = package_path("validators", "check", "data", "path_reads.yaml")
    return compiled.built(path, "path_reads", lambda: load_model(PathReads, path))


@dataclass(frozen=True)
class RunMode:
    """What a YAML says about the run that will read it."""

    mode: Optional[str]
    """``train``, ``finetune``, ``eval`` or ``predict``; None when the YAML does not say (any mode may run it)."""
    do_eval: bool = False
    auto_trans_ckpt: bool = False
    resume_training: bool = False
    load_checkpoint_null: bool = False
    """``load_checkpoint: null`` (or ``False``) written in the YAML. Only then do evaluate/predict keep
    checkpoint_name_or_path: a string (even ``''``, which MindFormers' config template puts in when the key is
    left out: ``GeneralConfig.load_checkpoint``, tools/register/template.py:245) replaces it."""

    @classmethod
    def of(cls, data: Any) -> "RunMode":
        data = data if isinstance(data, dict) else {}
        mode = data.get("run_mode")
        return cls(mode=mode.strip().lower() if isinstance(mode, str) and mode.strip() else None,
                   do_eval=data.get("do_eval") is True, auto_trans_ckpt=data.get("auto_trans_ckpt") is True,
                   resume_training=bool(data.get("resume_training")),
                   load_checkpoint_null="load_checkpoint" in data and data["load_checkpoint"] in (None, False))

    def _may_be(self, modes: tuple[str, ...]) -> bool:
        return self.mode is None or self.mode in modes

    def reads(self, when: ReadWhen) -> bool:
        """Whether the run opens a field read ``when``."""
        if when is ReadWhen.TRAINING:
            return self._may_be(TRAINING_MODES)
        if when is ReadWhen.EVALUATION:
            return self._may_be(("eval",)) or self.do_eval
        if when is ReadWhen.GENERATION:
            return self._may_be(GENERATION_MODES) or self.do_eval
        if when is ReadWhen.CHECKPOINT_TRANSFORM:
            return self.auto_trans_ckpt or self.resume_training
        if when is ReadWhen.MODEL_WEIGHTS:
            return self._may_be(GENERATION_MODES) and self.load_checkpoint_null
        return True


def looks_like_path(value: str) -> bool:
    """A path rather than a model name (``telechat_7b_moe``): a separator, a leading ``.``/``~`` or a weight
    file's suffix."""
    text = value.strip()
    return "/" in text or "\\" in text or text.startswith((".", "~")) or text.endswith(CHECKPOINT_SUFFIXES)


class ReadField(NamedTuple):
    """One path the run opens: where it sits in the YAML, its value, its role and the code that opens it."""

    keys: tuple
    value: str
    role: str
    source: str


def read_fields(data: Any) -> list[ReadField]:
    """Every path field the run described by ``data`` opens; list fields (``data_path``) give one entry per
    path-like item."""
    run = RunMode.of(data)
    fields: list[ReadField] = []
    for field in path_reads().fields:
        if not run.reads(field.read_when):
            continue
        value = _dig(data, field.key)
        if isinstance(value, list):
            fields += [ReadField((*field.key, index), item, field.role, field.source)
                       for index, item in enumerate(value)
                       if isinstance(item, str) and ("/" in item or item.startswith("."))]
            continue
        if not isinstance(value, str) or not value.strip():
            continue
        if field.read_when is ReadWhen.MODEL_WEIGHTS and not looks_like_path(value):
            continue  # a model name MindFormers resolves itself
        fields.append(ReadField(tuple(field.key), value, field.role, field.source))
    return fields


def _dig(data: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


LAUNCH_OVERRIDES: dict[str, tuple[str, ...]] = {
    "run_mode": ("run_mode",), "do_eval": ("do_eval",), "auto_trans_ckpt": ("auto_trans_ckpt",),
    "resume_training": ("resume_training",), "load_checkpoint": ("load_checkpoint",),
    "src_strategy_path_or_dir": ("src_strategy_path_or_dir",),
    "train_dataset_dir": ("train_dataset", "data_loader", "dataset_dir"),
    "train_dataset": ("train_dataset", "data_loader", "dataset_dir"),
    "eval_dataset_dir": ("eval_dataset", "data_loader", "dataset_dir"),
    "vocab_file": ("processor", "tokenizer", "vocab_file"), "merges_file": ("processor", "tokenizer", "merges_file"),
}
"""Command-line flags of the launched script that replace a YAML key: ``run_mindformer.py`` (``--run_mode``,
``--load_checkpoint``, ``--train_dataset_dir``, ... set ``config_.<key>`` before ``main``) and the research
scripts such as ``research/qwen2_5/run_qwen2_5.py`` (``--train_dataset``, ``--vocab_file``, ``--merges_file``)."""
BOOL_FLAGS = ("do_eval", "auto_trans_ckpt", "resume_training")


def launch_overrides(flags: dict[str, str]) -> dict[str, str]:
    """The flags of a launch command line that replace YAML keys (``--train_data`` is argparse's abbreviation of
    ``--train_dataset``)."""
    found = {("train_dataset" if name == "train_data" else name): value for name, value in flags.items()
             if name in LAUNCH_OVERRIDES or name == "train_data"}
    return {name: value for name, value in found.items() if value}


def as_launched(data: Any, overrides: dict[str, str]) -> Any:
    """``data`` as the launched script leaves it: modes and switches from the command line, and the path keys the
    command line replaces emptied (the YAML's value there is never opened)."""
    if not overrides or not isinstance(data, dict):
        return data
    launched = dict(data)
    for flag, value in overrides.items():
        keys = LAUNCH_OVERRIDES[flag]
        if flag in BOOL_FLAGS:
            launched[flag] = value.strip().lower() in ("true", "1", "yes")  # str2bool
            continue
        if flag == "run_mode":
            launched[flag] = value.strip().lower()
            continue
        node = launched
        for key in keys[:-1]:  # copy each mapping on the way down: the parsed YAML stays as it was read
            child = node.get(key)
            node[key] = dict(child) if isinstance(child, dict) else {}
            node = node[key]
        node[keys[-1]] = ""
    return launched

