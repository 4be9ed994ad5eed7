"""The demo job: a real 2-worker MindSpore data-parallel run on CPU, launched through real msrun.

``mindpilot launch --demo`` uses :func:`demo_preset`; the training script is ``train.py`` beside this
file (MindSpore is imported only when it runs). ``fail_rank`` makes one rank raise half-way, which
is how the tests and the TUI show a first-failure report without an NPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from mindpilot.presets.preset import Preset, demo_preset as _builtin_demo

DEMO_SCRIPT = Path(__file__).resolve().parent / "train.py"
"""The training script msrun runs."""
FAIL_RANK_ENV = "MINDPILOT_DEMO_FAIL_RANK"
"""Rank that fails on purpose (the script reads it)."""


def demo_preset(fail_rank: Optional[int] = None, steps: Optional[int] = None,
                step_sleep: Optional[float] = None, config: Optional[str] = None,
                run_mode: str = "finetune") -> Preset:
    """The built-in demo preset, optionally with a failing rank, another step count or slower steps; with
    ``config``, the script is handed that YAML as ``run_mindformer.py`` would be (``--config Y --run_mode M``)
    and the preset names it, so ``launch --demo --config`` and the guided setup run the same command. The
    layout is then the YAML's alone: the demo net's own ``parallel`` would contradict it in ``check PRESET``
    (``preset.parallel_differs``) with errors the launch gate never showed."""
    preset = _builtin_demo()
    if config:
        preset = preset.model_copy(update={"config": config, "parallel": {},
                                           "script_args": [*preset.script_args, "--config", config,
                                                           "--run_mode", run_mode]})
    args = list(preset.script_args)
    if steps is not None:
        args = [a for i, a in enumerate(args) if a != "--steps" and (i == 0 or args[i - 1] != "--steps")]
        args += ["--steps", str(steps)]
    if step_sleep is not None:
        args += ["--step-sleep", str(step_sleep)]
    env = dict(preset.env)
    if fail_rank is not None:
        env[FAIL_RANK_ENV] = str(fail_rank)
        preset = preset.model_copy(update={"name": "demo-fail"})
    return preset.model_copy(update={"script_args": args, "env": env})
