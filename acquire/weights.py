"""The weight step: the exact conversion command for the stack the doctor found, and a check of its result.

- MindFormers 1.x: ``convert_weight.py --model NAME --input_path HF_DIR --output_path FILE.ckpt --dtype bf16``
  (``--output_path`` is the .ckpt file itself, never its folder).
- MindFormers 2.x: no conversion. The YAML's ``pretrained_model_dir`` points at the Hugging Face directory
  and the safetensors load as they are.
- MindRLHF GRPO: no conversion. ``main.py --actor_checkpoint_path`` (and ref/generate) take the Hugging Face
  directory, with ``load_ckpt_format: hf_safetensors`` (RLConfig default).
- MindSpeed-LLM: ``convert_ckpt.py --load-model-type hf --save-model-type mg`` with the plan's TP/PP.
  It writes one ``mp_rank_XX[_YYY]`` folder per partition, so the result check counts TP×PP folders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from mindpilot.acquire.convert_names import convert_name, known_names
from mindpilot.acquire.stack import Stack
from mindpilot.presets.tool_command import ToolCommand
from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

MINDSPEED_HF_TYPES = {"qwen2": "llama2", "llama": "llama2"}
"""``--model-type-hf``: Qwen2.5 converts as llama2 (with "qwen" it fails: 'NoneType' has no 'weight')."""

_NOTES = {
    "mf2": {"zh": "MindFormers 2.x 直接加载 Hugging Face safetensors，无需转换：在 YAML 里设置 pretrained_model_dir: {model}",
            "en": "MindFormers 2.x loads Hugging Face safetensors as they are; no conversion: set pretrained_model_dir: {model} in the YAML"},
    "mf15": {"zh": "MindFormers 1.5 及以上也可以不转换：load_checkpoint: {model} 加 load_ckpt_format: safetensors",
             "en": "MindFormers 1.5 and later can also skip this: load_checkpoint: {model} with load_ckpt_format: safetensors"},
    "mf_unknown": {"zh": "未检测到 MindFormers 版本，按 1.x 给出命令",
                   "en": "MindFormers version not found; showing the 1.x command"},
    "mf_load": {"zh": "转换后在 YAML 里设置 load_checkpoint: {output}",
                "en": "then set load_checkpoint: {output} in the YAML"},
    "grpo": {"zh": "MindRLHF GRPO 直接读取 Hugging Face 权重（load_ckpt_format: hf_safetensors），无需转换：启动时 --actor_checkpoint_path / --ref_checkpoint_path / --generate_checkpoint_path {model}",
             "en": "MindRLHF GRPO reads Hugging Face weights directly (load_ckpt_format: hf_safetensors); no conversion: launch with --actor_checkpoint_path / --ref_checkpoint_path / --generate_checkpoint_path {model}"},
    "mindspeed": {"zh": "训练脚本的 TP/PP 必须与转换时相同（TP {tp}，PP {pp}），CKPT_LOAD_DIR={output}",
                  "en": "the training script's TP/PP must be the ones converted for (TP {tp}, PP {pp}); CKPT_LOAD_DIR={output}"},
}


def note(key: str, lang: str, **params: object) -> str:
    """One of the step's notes in ``lang``."""
    return _NOTES[key]["zh" if lang == "zh" else "en"].format(**params)


def model_type(model_dir: str) -> Optional[str]:
    """``model_type`` from the model's config.json (None when unreadable)."""
    try:
        value = json.loads((Path(model_dir).expanduser() / "config.json").read_text(encoding="utf-8")).get("model_type")
        return str(value) if value else None
    except (OSError, ValueError, AttributeError):
        return None


def weights_command(framework: str, stack: Stack, model_dir: str, output: Optional[str] = None,
                    tp: int = 1, pp: int = 1, extra: Optional[list[str]] = None, dtype: str = "bf16",
                    lang: str = "en") -> ToolCommand:
    """The conversion for ``framework`` (``mindformers``, ``mindrlhf-grpo``, ``mindspeed-llm``) on ``stack``."""
    model_dir = str(Path(model_dir).expanduser())
    name = Path(model_dir.rstrip("/")).name or "model"
    if framework == "mindrlhf-grpo":
        return ToolCommand("convert-weights", [], stack.checkout(framework), model_dir, "dir",
                           notes=[note("grpo", lang, model=model_dir)],
                           yaml_keys={"load_ckpt_format": "hf_safetensors"})
    if framework == "mindspeed-llm":
        out = output or str(Path(model_dir).parent / f"{name}-mcore-tp{tp}-pp{pp}")
        kind = model_type(model_dir) or "llama"
        argv = [stack.python, "convert_ckpt.py", "--use-mcore-models", "--model-type", "GPT",
                "--load-model-type", "hf", "--save-model-type", "mg",
                "--target-tensor-parallel-size", str(tp), "--target-pipeline-parallel-size", str(pp),
                *(["--add-qkv-bias"] if kind == "qwen2" else []),
                "--load-dir", model_dir, "--save-dir", out,
                "--tokenizer-model", str(Path(model_dir) / "tokenizer.json"),
                "--model-type-hf", MINDSPEED_HF_TYPES.get(kind, kind), "--params-dtype", dtype, *(extra or [])]
        return ToolCommand("convert-weights", argv, stack.checkout(framework), out, "dir", rank_folders=tp * pp,
                           notes=[note("mindspeed", lang, tp=tp, pp=pp, output=out)])
    if stack.mindformers_major is not None and stack.mindformers_major >= 2:
        return ToolCommand("convert-weights", [], stack.checkout("mindformers"), model_dir, "dir",
                           notes=[note("mf2", lang, model=model_dir)], yaml_keys={"pretrained_model_dir": model_dir})
    out = output or str(Path(model_dir).parent / f"{name.replace('.', '_')}_ms.ckpt")
    kind = model_type(model_dir) or "qwen2"
    checkout = stack.checkout("mindformers")
    known = known_names(checkout)
    argv = [stack.python, "convert_weight.py", "--model", convert_name(kind, known), "--input_path", model_dir,
            "--output_path", out, "--dtype", dtype, *(extra or [])]
    notes = [note("mf_load", lang, output=out)]
    if stack.mindformers_major is None:
        notes.insert(0, note("mf_unknown", lang))
    elif stack.mindformers_version and _at_least(stack.mindformers_version, "1.5"):
        notes.append(note("mf15", lang, model=model_dir))
    return ToolCommand("convert-weights", argv, checkout, out, "file", notes=notes,
                       yaml_keys={"load_checkpoint": out}, accepted_models=known or [])


def _at_least(version: str, floor: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) >= Version(floor)
    except InvalidVersion:
        return False


def check_before(command: ToolCommand, lang: str = "en") -> list[Finding]:
    """Problems visible before running: a model the checkout's script cannot convert, a file output that is an
    existing directory."""
    findings = []
    model = command.argv[command.argv.index("--model") + 1] if "--model" in command.argv[:-1] else None
    if model and command.accepted_models and model not in command.accepted_models:
        script = str(Path(command.cwd) / "convert_weight.py")
        findings.append(make_finding("acquire.convert_model_unknown", lang, file=script, model=model,
                                     known=", ".join(command.accepted_models)))
    if command.output_kind == "file" and command.output and Path(command.output).expanduser().is_dir():
        suggest = str(Path(command.output) / Path(command.output).name.replace(".", "_")) + "_ms.ckpt"
        findings.append(make_finding("acquire.output_is_dir", lang, file=command.output, suggest=suggest))
    return findings


def check_result(command: ToolCommand, lang: str = "en", log: str = "LOG") -> list[Finding]:
    """After the run: the output exists as the right kind, with TP×PP partition folders for MindSpeed."""
    if not command.argv or not command.output:
        return []
    path = Path(command.output).expanduser()
    if command.output_kind == "file":
        if path.is_dir():
            return check_before(command, lang)
        if not path.is_file():
            return [make_finding("acquire.output_missing", lang, file=command.output, log=log)]
        return []
    if not path.is_dir():
        return [make_finding("acquire.output_missing", lang, file=command.output, log=log)]
    if command.rank_folders:
        found = count_rank_folders(path)
        if found != command.rank_folders:
            return [make_finding("acquire.rank_folders_missing", lang, file=command.output,
                                 expected=command.rank_folders, found=found)]
    return []


def count_rank_folders(root: Path, depth: int = 2) -> int:
    """``mp_rank_*`` folders at most ``depth`` levels below ``root`` (Megatron puts them under ``iter_N``)."""
    found = 0
    level = [root]
    for _ in range(depth + 1):
        following = []
        for folder in level:
            try:
                children = [c for c in folder.iterdir() if c.is_dir()][:10_000]
            except OSError:
                continue
            found += sum(1 for c in children if c.name.startswith("mp_rank_"))
            following += [c for c in children if not c.name.startswith("mp_rank_")]
        level = following[:10_000]
    return found
