"""What a MindFormers YAML says about itself, each fact answered in one place.

``plan``, ``data``, ``check`` and the TUI all ask the same questions of a training YAML: is it a MindFormers 2.x
PyNative config (``parallelism:``) or a graph-mode one (``parallel_config:``, MindFormers 1.x and 2.x), which
mapping holds the model's numbers, which sequence length it trains with, and which pipeline interleave it runs.
When each asked in its own way they disagreed on the same file (``plan`` read ``seq_length: 8192`` from a
PyNative YAML where ``data`` fell back to 4096), so the answers live here and the callers only ask.

Every function takes the document as parsed (a mapping, or anything else for a file that is not one) and never
raises; :func:`read_config` reads a file for callers that have only its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

DEFAULT_SEQ_LENGTH = 4096
"""The sequence length planned and preprocessed for when no YAML gives one: the ``seq_length`` MindFormers' own
pretrain configs train with (``model_config.seq_length`` of ``configs/qwen3/pretrain_qwen3_32b_4k.yaml`` and
``configs/deepseek3/pretrain_deepseek3_671b.yaml``, the data loader's of ``configs/general/
llm_pretrain_dense_template.yaml``; MindFormers 1.7 / 2.0)."""

PYNATIVE_SECTION = "parallelism"
GRAPH_SECTION = "parallel_config"
PYNATIVE_BATCH_KEYS = ("global_batch_size", "local_batch_size")


def _mapping(value: Any) -> Optional[dict]:
    return value if isinstance(value, dict) else None


def _dig(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _positive_int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def is_pynative(document: Any) -> bool:
    """A MindFormers 2.x PyNative config: a ``parallelism:`` section (or a ``training:`` one with the PyNative
    batch keys) and no graph-mode ``parallel_config:``.

    MindFormers 2.x picks the PyNative trainer from these sections (``mindformers/pynative/config.py``
    ``TrainConfig``); a graph-mode YAML keeps ``parallel_config:`` in 1.x and 2.x alike.
    """
    if not isinstance(document, dict) or GRAPH_SECTION in document:
        return False
    if isinstance(document.get(PYNATIVE_SECTION), dict):
        return True
    training = document.get("training")
    return isinstance(training, dict) and any(key in training for key in PYNATIVE_BATCH_KEYS)


def model_config_of(document: Any) -> Optional[dict]:
    """The mapping that holds the model's numbers (layers, heads, ``seq_length``): ``model.model_config`` of a
    graph-mode YAML, ``model`` itself of a PyNative one; None when the YAML has neither."""
    numbers = _mapping(_dig(document, "model", "model_config"))
    if numbers is None and is_pynative(document):
        numbers = _mapping(_dig(document, "model"))
    return numbers


def seq_length(document: Any) -> Optional[int]:
    """The sequence length the YAML trains with, or None when it does not say.

    Looked for where each framework reads it: the model's numbers (MindFormers, :func:`model_config_of`), then
    ``rl_config.seq_length`` and a top-level ``seq_length`` (MindRLHF GRPO configs).
    """
    for value in (_dig(model_config_of(document), "seq_length"), _dig(document, "rl_config", "seq_length"),
                  _dig(document, "seq_length")):
        found = _positive_int(value)
        if found is not None:
            return found
    return None


def seq_length_or_default(document: Any) -> int:
    """:func:`seq_length`, else :data:`DEFAULT_SEQ_LENGTH`."""
    return seq_length(document) or DEFAULT_SEQ_LENGTH


def interleave(document: Any) -> int:
    """The number of virtual pipeline stages per card the run uses (1 without pipeline interleave).

    PyNative: ``parallelism.pipeline_parallel_interleave_num``. Graph mode: ``model_config.pp_interleave_num``
    counts only when pipeline interleave is on (``mindformers/parallel_core/training_graph/transformer/utils.py``
    ``LayerSetting.__init__``, lines 143-160, MF 1.7: otherwise "pp_interleave_num is set to 1"), that is when
    ``parallel.pipeline_config.pipeline_interleave`` is true or an interleaving ``pipeline_scheduler`` is chosen
    (``zero_bubble_v``, ``seqvpp``, ``1f1b``); an mcore model (``use_legacy: False``) counts it whenever it is above 1.
    """
    if not isinstance(document, dict):
        return 1
    if is_pynative(document):
        return _positive_int(_dig(document, PYNATIVE_SECTION, "pipeline_parallel_interleave_num")) or 1
    count = _positive_int(_dig(document, "model", "model_config", "pp_interleave_num"))
    if count is None or count == 1:
        return 1
    pipeline = _mapping(_dig(document, "parallel", "pipeline_config")) or {}
    if pipeline.get("pipeline_interleave") is True \
            or pipeline.get("pipeline_scheduler") in ("zero_bubble_v", "seqvpp", "1f1b"):
        return count
    return count if document.get("use_legacy") is False else 1


def read_config(path: Union[str, Path]) -> Any:
    """The YAML at ``path`` as parsed (bounded, like every file we read).

    Raises:
        DataFileError: the file is missing, unreadable or not YAML.
    """
    from mindpilot.datafiles import read_yaml

    return read_yaml(Path(path).expanduser())


def file_seq_length(path: Union[str, Path]) -> Optional[int]:
    """:func:`seq_length` of the YAML at ``path``; None when it does not say or cannot be read."""
    from mindpilot.datafiles import DataFileError

    try:
        return seq_length(read_config(path))
    except DataFileError:
        return None
