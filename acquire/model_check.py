"""Is a model directory complete? Every shard its index names, with its size; tokenizer; config.json.

A model pulled with git or a browser may be incomplete, and the conversion then fails. A shard that is missing or short shows up only deep inside ``convert_weight.py``;
here it is an error finding naming the file. Sizes come from the ``*.index.json`` (``metadata.total_size``
cannot be split per shard, so each shard's header is read: a safetensors file states the length of its
own data: a file shorter than header + data was cut off, and one longer is refused by safetensors itself,
"file not fully covered"). Only regular files are read (a FIFO named ``*.safetensors`` is named, not
opened), JSON under the usual nesting bound, and a shard may be a link only into the model folder or, in a
Hugging Face cache, into that cache's ``blobs``.
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path
from typing import Any, Optional

from mindpilot.datafiles import DataFileError, json_bounded, not_regular, read_bytes
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
            findings += _check_shard(root, shard, lang)
    return findings


def _check_index(root: Path, index: Path, lang: str) -> list[Finding]:
    try:
        document: Any = json_bounded(str(index), read_bytes(index, MAX_INDEX_BYTES))
        weight_map = document["weight_map"]
        shards = sorted({str(name) for name in weight_map.values()})
    except (DataFileError, ValueError, KeyError, TypeError, AttributeError):
        return [make_finding("acquire.model_bad_index", lang, file=str(index))]
    findings = []
    for name in shards:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            findings.append(make_finding("acquire.model_bad_index", lang, file=str(index)))
        elif not os.path.lexists(root / name):
            findings.append(make_finding("acquire.model_missing_shard", lang, file=str(root / name), name=name,
                                         index=index.name))
        else:
            findings += _check_shard(root, root / name, lang)
    return findings


def _check_shard(root: Path, shard: Path, lang: str) -> list[Finding]:
    try:
        target = shard.resolve()
    except (OSError, RuntimeError):  # a link loop
        target = shard
    if not _inside(target, root):
        return [make_finding("acquire.model_shard_outside", lang, file=str(shard), name=shard.name,
                             target=str(target))]
    try:
        info = os.stat(target)
    except OSError:
        return [make_finding("acquire.model_missing_shard", lang, file=str(shard), name=shard.name,
                             index="-")]
    if not stat.S_ISREG(info.st_mode):
        return [make_finding("acquire.model_shard_not_file", lang, file=str(shard), name=shard.name,
                             what=not_regular(info.st_mode).split(",")[0])]
    if shard.suffix != ".safetensors":
        return []
    expected = safetensors_size(target)
    actual = info.st_size
    if expected is None or actual < expected:
        return [make_finding("acquire.model_short_shard", lang, file=str(shard), name=shard.name,
                             size=actual, expected=expected if expected is not None else "?")]
    if actual > expected:  # safetensors refuses it too: "file not fully covered" (MetadataIncompleteBuffer)
        return [make_finding("acquire.model_long_shard", lang, file=str(shard), name=shard.name,
                             size=actual, expected=expected)]
    return []


def _inside(target: Path, root: Path) -> bool:
    """``target`` (resolved) lies in the model folder, or, for a Hugging Face cache snapshot
    (``models--ORG--NAME/snapshots/REV``, whose files link to ``../../blobs/HASH``), in that cache's blobs."""
    real_root = root.resolve()
    if real_root in target.parents:
        return True
    snapshots = real_root.parent
    return snapshots.name == "snapshots" and (snapshots.parent / "blobs") in target.parents


def safetensors_size(path: Path) -> Optional[int]:
    """The byte length a safetensors file declares (8-byte header length + header + tensor data); None when
    it is not a regular file or its header cannot be read."""
    try:
        # O_NONBLOCK: a FIFO named *.safetensors must not block the open.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            head = handle.read(8)
            if len(head) < 8:
                return None
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER_BYTES:
                return None
            header = json_bounded(str(path), handle.read(length).decode("utf-8"))
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
