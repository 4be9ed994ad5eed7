"""Things outside the YAML that a config points at: device memory, checkpoints, datasets, tokenizers.

Paths are checked on this machine unless ``--skip-paths``, and only those the run opens in its run mode; values
that are tutorial placeholders (``/path/to/...``, ``{path}``, ``[请填写...]``) are reported as placeholders
whatever the flag says.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.model import MC
from mindpilot.validators.check.path_reads import CHECKPOINT_SUFFIXES, ReadField, read_fields

PLACEHOLDER = re.compile(
    r"(/path/to|/\{?path\}?/|\{[A-Za-z_ ]*path[A-Za-z_ ]*\}|\[[^\]]*(请填写|填写|your|path)[^\]]*\]|<[^>]+>|"
    r"\bxxx+\b|PATH_TO|/to/your/|MS_CKPT_NAME|/your_)", re.IGNORECASE)
"""Placeholders seen in tutorials and users' configs (``/{path}/``, ``[请填写您的完整ckpt文件路径]``)."""


_MEMORY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(GB|G|MB|M)?\s*$", re.IGNORECASE)


def parse_memory_gb(value: Any) -> Optional[float]:
    """``"58GB"`` -> 58.0; ``"1024MB"`` -> 1.0; None when it is not a size."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _MEMORY.match(value)
    if not match:
        return None
    number = float(match.group(1))
    unit = (match.group(2) or "GB").upper()
    return number / 1024 if unit.startswith("M") else number


def check_memory(doc: ConfigDoc, ctx: CheckContext) -> None:
    """``context.max_device_memory`` must fit the card (MindSpore cannot reserve more than the HBM)."""
    value = doc.value("context", "max_device_memory")
    if value is None:
        return
    line = doc.line("context", "max_device_memory")
    size = parse_memory_gb(value)
    if size is None:
        ctx.add("memory.max_device_memory_format", doc.path, line, value=repr(value))
        return
    if ctx.hbm_gb and size > ctx.hbm_gb:
        usable = max(1, int(ctx.hbm_gb) - 2)
        raw = doc.raw("context", "max_device_memory") or str(value)
        suggest = doc.text_of_line(line).strip().replace(raw, raw.replace(str(value), f"{usable}GB"), 1)
        ctx.add("memory.max_device_memory_above_hbm", doc.path, line, value=value, hbm=_fmt(ctx.hbm_gb),
                usable=usable, suggest=suggest)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.1f}"


PATH_RULES = ("paths.placeholder", "paths.missing", "paths.expected_file", "paths.expected_dir",
              "paths.distributed_needs_dir", "paths.dataset_seq_length")
"""The findings :func:`check_paths` makes (a launch command that changes what is read makes them again)."""


def path_fields(doc: ConfigDoc) -> list[ReadField]:
    """Every path field the run opens (:mod:`~mindpilot.validators.check.path_reads`)."""
    return read_fields(doc.data)


def check_dataset_seq_length(doc: ConfigDoc, ctx: CheckContext, seq_length: Optional[int]) -> None:
    """The dataset's own ``seq_length`` (Megatron loader, packing handlers) against the model's."""
    if not seq_length:
        return
    loader = doc.value("train_dataset", "data_loader")
    if not isinstance(loader, dict):
        return
    candidates: list[tuple[tuple, Any]] = []
    if "seq_length" in loader:
        candidates.append((("train_dataset", "data_loader", "seq_length"), loader["seq_length"]))
    config = loader.get("config")
    if isinstance(config, dict) and "seq_length" in config:
        candidates.append((("train_dataset", "data_loader", "config", "seq_length"), config["seq_length"]))
    handlers = loader.get("handler")
    if isinstance(handlers, list):
        for index, handler in enumerate(handlers):
            if isinstance(handler, dict) and "seq_length" in handler:
                candidates.append((("train_dataset", "data_loader", "handler", index, "seq_length"), handler["seq_length"]))
    for keys, value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value != seq_length:
            ctx.add("paths.dataset_seq_length_yaml", doc.path, doc.line(*keys), value=value, seq_length=seq_length,
                    seq_line=doc.line(*MC, "seq_length"))
            return


def check_paths(doc: ConfigDoc, ctx: CheckContext, seq_length: Optional[int]) -> None:
    """Placeholders always; existence and file-vs-directory unless ``--skip-paths``."""
    for keys, value, role, opened_by in path_fields(doc):
        line = doc.line(*keys)
        key = ".".join(str(k) for k in keys)
        if PLACEHOLDER.search(value):
            ctx.add("paths.placeholder", doc.path, line, key=key, value=value)
            continue
        if role == "dataset" and seq_length:
            _check_seq_hint(doc, ctx, line, key, value, seq_length)
        if ctx.skip_paths or role == "model_dir" and not value.startswith(("/", ".", "~")):
            continue
        target = Path(value).expanduser()
        if not target.is_absolute():
            target = Path(doc.path).resolve().parent / target if not Path(value).exists() else Path(value)
        if not target.exists() and not _glob_exists(target):
            ctx.add("paths.missing", doc.path, line, key=key, value=value).source = opened_by  # the code that opens it
            continue
        _check_kind(doc, ctx, line, key, value, role, target)


def _check_seq_hint(doc: ConfigDoc, ctx: CheckContext, line: Optional[int], key: str, value: str,
                    seq_length: int) -> None:
    """A dataset whose file name says another sequence length than the config trains with."""
    hinted = _seq_hint(value)
    if hinted and hinted != seq_length and hinted not in (seq_length + 1,):
        ctx.add("paths.dataset_seq_length", doc.path, line, key=key, value=value, hinted=hinted,
                seq_length=seq_length,  # model_config's, or model's in a PyNative config
                seq_line=doc.line(*MC, "seq_length") or doc.line("model", "seq_length"))


def _check_kind(doc: ConfigDoc, ctx: CheckContext, line: Optional[int], key: str, value: str, role: str,
                target: Path) -> None:
    """A file where the framework opens a folder, or the other way round (checkpoints, model folders)."""
    if role == "checkpoint" and target.is_dir() and value.rstrip("/").endswith(CHECKPOINT_SUFFIXES):
        ctx.add("paths.expected_file", doc.path, line, key=key, value=value)
    elif role == "checkpoint" and key == "load_checkpoint" and target.is_file():
        auto = doc.value("auto_trans_ckpt") is True
        if doc.value("use_parallel") is True and not auto and _is_distributed_run(doc):
            ctx.add("paths.distributed_needs_dir", doc.path, line, key=key, value=value,
                    auto_line=doc.line("auto_trans_ckpt") or line)
    elif role == "model_dir" and target.is_file():
        ctx.add("paths.expected_dir", doc.path, line, key=key, value=value)


def _glob_exists(target: Path) -> bool:
    """MindRecord datasets are often named without the shard suffix (``x.mindrecord`` -> ``x.mindrecord0``)."""
    parent = target.parent
    return parent.is_dir() and any(parent.glob(target.name + "*"))


def _is_distributed_run(doc: ConfigDoc) -> bool:
    section = doc.value("parallel_config") or {}
    if not isinstance(section, dict):
        return False
    product = 1
    for key in ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel"):
        value = section.get(key, 1)
        product *= value if isinstance(value, int) and value > 0 else 1
    return product > 1


def _seq_hint(value: str) -> Optional[int]:
    """A sequence length written into a dataset file name (``alpaca-fastchat4096.mindrecord``, ``..._8k``)."""
    name = Path(value).name.lower()
    match = re.search(r"(?<!\d)(512|1024|2048|4096|8192|16384|32768|65536|131072)(?!\d)", name)
    if match:
        return int(match.group(1))
    match = re.search(r"(?<![0-9a-z])(2|4|8|16|32|64|128)k(?![a-z])", name)
    return int(match.group(1)) * 1024 if match else None
