"""``vocab.json`` and ``merges.txt`` from a model that ships only ``tokenizer.json``.

MindFormers' Qwen data script (``qwen2_5_preprocess.py --vocab_file --merges_file``) and MindRLHF's GSM8K
converter (``rlhf_data.py --vocab_path --merges_file_path``) build the slow ``Qwen2Tokenizer`` from those two
files; some uploads carry only the fast tokenizer's ``tokenizer.json``. For a byte-level BPE tokenizer that
file holds the same vocabulary and merge list (``model.vocab``, ``model.merges``), so the two files are
written from it, the way ``transformers`` saves a slow tokenizer (``#version: 0.2`` heads merges.txt).
The JSON is untrusted: its size is bounded and every entry is type-checked before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mindpilot.fileio import write_atomic

MAX_TOKENIZER_BYTES = 256 * 1024 * 1024
"""Larger than any real tokenizer.json (Qwen2.5: 7 MB); a bigger file is refused unread."""
SLOW_TOKENIZER_FLAGS = ("--vocab_file", "--merges_file", "--vocab_path", "--merges_file_path")
"""The data scripts' arguments that name the slow tokenizer's files."""


class TokenizerFileError(ValueError):
    """tokenizer.json cannot give vocab.json and merges.txt (not BPE, malformed, too large)."""


def missing_tokenizer_inputs(steps: list[list[str]]) -> list[str]:
    """Paths the commands pass to a slow-tokenizer flag that do not exist."""
    missing = []
    for argv in steps:
        for flag, value in zip(argv, argv[1:]):
            if flag in SLOW_TOKENIZER_FLAGS and not Path(value).expanduser().is_file() and value not in missing:
                missing.append(value)
    return missing


def bpe_from_tokenizer_json(model_dir: str) -> tuple[dict[str, int], list[str]]:
    """The vocabulary and merge lines of ``MODEL_DIR/tokenizer.json``; raises :class:`TokenizerFileError`."""
    path = Path(model_dir).expanduser() / "tokenizer.json"
    try:
        if not path.is_file():
            raise TokenizerFileError(f"{path}: no such file")
        if path.stat().st_size > MAX_TOKENIZER_BYTES:
            raise TokenizerFileError(f"{path}: larger than {MAX_TOKENIZER_BYTES // 2**20} MiB, not a tokenizer")
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TokenizerFileError(f"{path}: {exc}") from None
    model = document.get("model") if isinstance(document, dict) else None
    if not isinstance(model, dict) or model.get("type") != "BPE":
        raise TokenizerFileError(f"{path}: not a BPE tokenizer (model.type {_type_of(model)!r})")
    vocab, merges = model.get("vocab"), model.get("merges")
    if not isinstance(vocab, dict) or not all(isinstance(k, str) and type(v) is int for k, v in vocab.items()):
        raise TokenizerFileError(f"{path}: model.vocab is not a map of token to id")
    if not isinstance(merges, list):
        raise TokenizerFileError(f"{path}: model.merges is not a list")
    return vocab, [_merge_line(item, path) for item in merges]


def write_bpe_files(model_dir: str) -> list[str]:
    """Write ``vocab.json`` and ``merges.txt`` beside ``tokenizer.json``; existing files are left alone.

    Returns the paths written (none when both were there already).
    """
    vocab, merges = bpe_from_tokenizer_json(model_dir)
    root = Path(model_dir).expanduser()
    written = []
    for name, text in (("vocab.json", json.dumps(vocab, ensure_ascii=False)),
                       ("merges.txt", "#version: 0.2\n" + "".join(line + "\n" for line in merges))):
        if not (root / name).exists():
            write_atomic(root / name, text)
            written.append(str(root / name))
    return written


def _merge_line(item: Any, path: Path) -> str:
    """``"a b"`` (tokenizers < 0.20) or ``["a", "b"]`` (later) as merges.txt's ``a b``."""
    if isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item):
        item = f"{item[0]} {item[1]}"
    if not isinstance(item, str) or "\n" in item or len(item.split(" ")) != 2:
        raise TokenizerFileError(f"{path}: model.merges has an entry that is not a pair of tokens")
    return item


def _type_of(model: Any) -> Any:
    return model.get("type") if isinstance(model, dict) else type(model).__name__
