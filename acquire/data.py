"""The data step: the preprocessing command for the framework, run once before training.

- MindFormers: Alpaca JSON -> conversation JSON (``research/qwen2_5/alpaca_converter.py``) -> MindRecord
  (``research/qwen2_5/qwen2_5_preprocess.py --seq_length N``), the steps users otherwise run by hand.
- MindRLHF GRPO: GSM8K ``train.jsonl`` -> MindRecord with ``examples/grpo/qwen_grpo_tutorial/rlhf_data.py``.
- MindSpeed-LLM: ``preprocess_data.py --output-prefix PREFIX`` (a file-name prefix, not a folder) with
  ``--seq-length N`` taken from the plan.
The sequence length comes from the training YAML when there is one, so the two cannot differ.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

from mindpilot.acquire.stack import Stack
from mindpilot.presets.tool_command import ToolCommand
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH

MF_RESEARCH = "research/qwen2_5"
"""Where MindFormers 1.x keeps the Qwen2.5 data scripts."""
GRPO_DATA_SCRIPT = "examples/grpo/qwen_grpo_tutorial/rlhf_data.py"
"""MindRLHF's GSM8K converter."""

_NOTES = {
    "mindrecord": {"zh": "训练时 YAML 的 train_dataset.data_loader.dataset_dir 填 {output}",
                   "en": "in training, set train_dataset.data_loader.dataset_dir to {output}"},
    "grpo": {"zh": "启动 GRPO 时 --dataset_file {output}", "en": "launch GRPO with --dataset_file {output}"},
    "mindspeed": {"zh": "训练脚本的 DATA_PATH 填同一个前缀：{output}",
                  "en": "the training script's DATA_PATH takes the same prefix: {output}"},
}


def data_command(framework: str, stack: Stack, dataset: str, model_dir: str, output: Optional[str] = None,
                 seq_length: int = DEFAULT_SEQ_LENGTH, lang: str = "en") -> ToolCommand:
    """The preprocessing for ``framework`` from ``dataset`` with the tokenizer in ``model_dir``."""
    dataset = str(Path(dataset).expanduser())
    model = Path(model_dir).expanduser()
    stem = Path(dataset).stem.split(".")[0] or "dataset"
    base = Path(dataset).parent
    text = lambda key, **p: _NOTES[key]["zh" if lang == "zh" else "en"].format(**p)  # noqa: E731
    if framework == "mindrlhf-grpo":
        out = output or str(base / f"{stem}_gsm8k.mindrecord")
        argv = [stack.python, GRPO_DATA_SCRIPT, "--vocab_path", str(model / "vocab.json"),
                "--merges_file_path", str(model / "merges.txt"), "--file_path", dataset, "--output_path", out,
                "--dataset_type", "gsm8k"]
        return ToolCommand("preprocess-data", argv, stack.checkout(framework), out, "mindrecord",
                           notes=[text("grpo", output=out)], yaml_keys={"dataset_file": out})
    if framework == "mindspeed-llm":
        out = output or str(base / "mindspeed" / stem)
        argv = [stack.python, "preprocess_data.py", "--input", dataset, "--tokenizer-name-or-path", str(model),
                "--tokenizer-type", "PretrainedFromHF", "--handler-name", "AlpacaStyleInstructionHandler",
                "--prompt-type", "qwen", "--output-prefix", out, "--seq-length", str(seq_length),
                "--workers", "4", "--log-interval", "1000"]
        return ToolCommand("preprocess-data", argv, stack.checkout(framework), out, "prefix",
                           notes=[text("mindspeed", output=out)], yaml_keys={"DATA_PATH": out})
    out = output or str(base / f"{stem}-fastchat{seq_length}.mindrecord")
    conversation = str(base / f"{stem}-conversation.json")
    convert = [stack.python, f"{MF_RESEARCH}/alpaca_converter.py", "--data_path", dataset,
               "--output_path", conversation]
    preprocess = [stack.python, f"{MF_RESEARCH}/qwen2_5_preprocess.py", "--dataset_type", "qa",
                  "--input_glob", conversation, "--vocab_file", str(model / "vocab.json"),
                  "--merges_file", str(model / "merges.txt"), "--seq_length", str(seq_length), "--output_file", out]
    # Two scripts, one job: joined by && with every part quoted by shlex (no text from inputs unquoted).
    argv = ["bash", "-c", f"{shlex.join(convert)} && {shlex.join(preprocess)}"]
    return ToolCommand("preprocess-data", argv, stack.checkout("mindformers"), out, "mindrecord",
                       notes=[text("mindrecord", output=out)], steps=[convert, preprocess],
                       yaml_keys={"train_dataset.data_loader.dataset_dir": out})
