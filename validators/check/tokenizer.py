"""Is the tokenizer directory complete for the model: the same check for ``check PRESET`` and ``launch``.

Qwen reads ``vocab.json`` and ``merges.txt``, LLaMA ``tokenizer.model``; a half-copied directory fails
only when the dataset is first tokenised, minutes into the job.
"""

from __future__ import annotations

from pathlib import Path

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

_WHAT = {"zh": "分词器目录", "en": "tokenizer directory"}


def tokenizer_findings(path: Path, model: str, cwd: Path, lang: str) -> list[Finding]:
    """Qwen needs ``vocab.json`` + ``merges.txt``; LLaMA ``tokenizer.model``; unknown: either set."""
    if not path.exists():
        return [make_finding("preflight.path_missing", lang, what=_WHAT["zh" if lang == "zh" else "en"], path=path, cwd=cwd)]
    if not path.is_dir():
        return [make_finding("preflight.path_is_file", lang, what=_WHAT["zh" if lang == "zh" else "en"], path=path)]
    bpe = [name for name in ("vocab.json", "merges.txt") if not (path / name).is_file()]
    spm = [] if (path / "tokenizer.model").is_file() else ["tokenizer.model"]
    family = model.lower()
    if "qwen" in family:
        missing = bpe
    elif "llama" in family:
        missing = spm
    else:
        missing = [] if not bpe or not spm else bpe + ["(or) tokenizer.model"]
    if not missing:
        return []
    return [make_finding("preflight.tokenizer_incomplete", lang, missing=", ".join(missing), path=path)]

