"""Is a model directory complete? Every shard its index names, with its size; tokenizer; config.json.

The seeds warn that a model pulled with git or a browser "may be incomplete, and the conversion then
fails" (seed 002). A shard that is missing or short shows up only deep inside ``convert_weight.py``;
here it is an error finding naming the file. Sizes come from the ``*.index.json`` (``metadata.total_size``
cannot be split per shard, so each shard's header is read: a safetensors file states the length of its
own data, and a file shorter than header + data was cut off).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Optional

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

TOKENIZER_SETS = (("tokenizer.json",), ("vocab.json", "merges.txt"), ("tokenizer.model",))
"""Any one of these is a usable tokenizer: Qwen ships all of the first two, LLaMA the third."""
MAX_INDEX_BYTES = 64 * 1024 * 1024
"""An index larger than this is not an index (refuse to parse it)."""
MAX_HEADER_BYTES = 100 * 1024 * 1024
"""safetensors' own header limit."""


def check_model_dir(path: str, lang: str = "en") -> list[Finding]:
    """Findings for ``path``: empty when the model is complete."""
    root = Path(path).expanduser()
    if not root.is_dir():
        return [make_finding("acquire.model_not_dir", lang, file=str(root))]
    findings: list[Finding] = []
    if not (root / "config.json").is_file():
        findings.append(make_finding("acquire.model_missing_file", lang, file=str(root / "config.json"),
                                     name="config.json"))
    if not any(all((root / name).is_file() for name in names) for names in TOKENIZER_SETS):
        findings.append(make_finding("acquire.model_no_tokenizer", lang, file=str(root)))
    indexes = sorted(root.glob("*.index.json"))
    for index in indexes:
        findings += _check_index(root, index, lang)
    if not indexes and not list(root.glob("*.safetensors")) and not list(root.glob("*.bin")):
        findings.append(make_finding("acquire.model_no_weights", lang, file=str(root)))
    elif not indexes:
        for shard in sorted(root.glob("*.safetensors")):
            findings += _check_shard(shard, lang)
    return findings


def _check_index(root: Path, index: Path, lang: str) -> list[Finding]:
    try:
        if index.stat().st_size > MAX_INDEX_BYTES:
            raise ValueError("too large")
        document: Any = json.loads(index.read_text(encoding="utf-8"))
        weight_map = document["weight_map"]
        shards = sorted({str(name) for name in weight_map.values()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return [make_finding("acquire.model_bad_index", lang, file=str(index))]
    findings = []
    for name in shards:
        shard = (root / name).resolve()
        if root.resolve() not in shard.parents:
            findings.append(make_finding("acquire.model_bad_index", lang, file=str(index)))
            continue
        if not shard.is_file():
            findings.append(make_finding("acquire.model_missing_shard", lang, file=str(root / name), name=name,
                                         index=index.name))
        elif shard.suffix == ".safetensors":
            findings += _check_shard(shard, lang)
    return findings


def _check_shard(shard: Path, lang: str) -> list[Finding]:
    expected = safetensors_size(shard)
    actual = shard.stat().st_size
    if expected is None or actual < expected:
        return [make_finding("acquire.model_short_shard", lang, file=str(shard), name=shard.name,
                             size=actual, expected=expected if expected is not None else "?")]
    return []


def safetensors_size(path: Path) -> Optional[int]:
    """The byte length a safetensors file declares (8-byte header length + header + tensor data)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return None
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER_BYTES:
                return None
            header = json.loads(handle.read(length).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    end = 0
    for key, tensor in header.items():
        if key == "__metadata__" or not isinstance(tensor, dict):
            continue
        offsets = tensor.get("data_offsets")
        if isinstance(offsets, list) and len(offsets) == 2 and isinstance(offsets[1], int):
            end = max(end, offsets[1])
    return 8 + length + end
