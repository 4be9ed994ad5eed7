"""The job the guided setup built, as a :class:`Preset`: launchable now, savable, replayable by ``launch FILE``.

Each framework has its own entry point (as the frameworks document them):
- MindFormers: ``run_mindformer.py --config <the checked YAML> --run_mode finetune`` in the mindformers checkout;
- MindRLHF GRPO: ``examples/grpo/qwen_grpo_tutorial/main.py --config <grpo_config> --dataset_file ...
  --tokenizer_dir/--actor/ref/generate_checkpoint_path <model>`` in the mindrlhf checkout;
- MindSpeed-LLM: its training shell script (it starts its own ``torchrun``), run with ``bash``.
The demo keeps the CPU demo job, given the checked YAML so that the running job is the one built in the steps.
It lives in ``launch`` beside that demo job (``presets`` is below ``launch`` and never imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from mindpilot.presets.preset import Preset

GRPO_ENTRY = "examples/grpo/qwen_grpo_tutorial/main.py"
"""MindRLHF's GRPO entry script."""
MINDSPEED_SCRIPT = "examples/mcore/qwen25/tune_qwen25_7b_4k_full_ptd.sh"
"""A MindSpeed-LLM fine-tuning script; the user's own replaces it."""
RUN_MODES = ("finetune", "train", "predict")
"""``run_mindformer.py --run_mode`` values the journey offers."""


@dataclass
class JourneyChoices:
    """What the steps gathered, as plain values (the TUI session or CLI flags fill it)."""

    framework: str = "mindformers"
    """``mindformers``, ``mindrlhf-grpo`` or ``mindspeed-llm``."""
    config: Optional[str] = None
    """The checked YAML (MindFormers, GRPO config) or the MindSpeed-LLM shell script."""
    model_dir: Optional[str] = None
    """The Hugging Face model directory (tokenizer, and GRPO's checkpoints)."""
    weights: Optional[str] = None
    """The converted weights when the weight step produced a file or folder."""
    dataset: Optional[str] = None
    """The preprocessed dataset (MindRecord, or a MindSpeed prefix)."""
    cards: int = 8
    """Cards of the job."""
    parallel: dict = field(default_factory=dict)
    """The chosen plan's parallel_config."""
    workdir: Optional[str] = None
    """The framework checkout."""
    run_mode: str = "finetune"
    """MindFormers run mode."""
    model: Optional[str] = None
    """Catalogue id or ModelScope id, for the record."""
    demo: bool = False
    """Build the CPU demo job instead (given the YAML)."""


def journey_preset(choices: JourneyChoices) -> Preset:
    """The :class:`Preset` of the job the steps describe."""
    parallel = {key: int(value) for key, value in (choices.parallel or {}).items()
                if key in ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel")
                and isinstance(value, int)}
    common = dict(model=choices.model or choices.model_dir, config=choices.config, parallel=parallel,
                  tokenizer_dir=choices.model_dir, workdir=choices.workdir)
    inputs = [path for path in (choices.weights, choices.dataset) if path]
    if choices.demo:
        from mindpilot.launch.demo import demo_preset

        # The YAML is the preset's config too, as with ``launch --demo --config``: preflight checks it (against
        # the 2 CPU workers of the stand-in, as the CLI does), a saved preset keeps it, ``check PRESET`` reads it.
        demo = demo_preset(config=choices.config, run_mode=choices.run_mode)
        return demo.model_copy(update={"name": "my-demo-job", "model": common["model"],
                                       "description": "demo job built in the guided setup"})
    if choices.framework == "mindrlhf-grpo":
        model = choices.model_dir or "MODEL_DIR"
        args = ["--config", choices.config or "examples/grpo/qwen_grpo_tutorial/grpo_config.yaml",
                "--tokenizer_dir", model, "--actor_checkpoint_path", model, "--ref_checkpoint_path", model,
                "--generate_checkpoint_path", model, "--save_checkpoint_dir", "output/grpo_checkpoints"]
        if choices.dataset:
            args[2:2] = ["--dataset_file", choices.dataset]
        return Preset(name="grpo", framework="mindrlhf", script=GRPO_ENTRY, script_args=args, cards=choices.cards,
                      input_files=inputs, log_dir="output/grpo_log", **common)
    if choices.framework == "mindspeed-llm":
        return Preset(name="mindspeed", framework="mindspeed", script=choices.config or MINDSPEED_SCRIPT,
                      cards=choices.cards, input_files=inputs, **{**common, "config": None})
    args = ["--config", choices.config or "CONFIG.yaml", "--run_mode", choices.run_mode]
    if choices.cards > 1:
        args += ["--use_parallel", "True"]
    if choices.weights:
        args += ["--load_checkpoint", choices.weights]
    if choices.dataset:
        args += ["--train_dataset_dir", choices.dataset]
    return Preset(name="mindformers", framework="mindformers", script="run_mindformer.py", script_args=args,
                  cards=choices.cards, input_files=inputs, **common)


def default_preset_path(preset: Preset, directory: Optional[str] = None) -> str:
    """``<dir>/<name>.preset.yaml``: where the setup saves the job when the user names no file."""
    return str((Path(directory or ".").expanduser() / f"{preset.name}.preset.yaml").resolve())


def save_journey_preset(preset: Preset, path: str) -> str:
    """Write ``preset`` at ``path`` through the preset store (atomic, ``.bak`` kept); returns the path."""
    from mindpilot.presets.store import save_preset

    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    return str(save_preset(preset, target))
