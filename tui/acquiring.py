"""Adapters from the Model, Weights, Data and Launch steps to ``mindpilot.acquire`` and the journey preset.

Plain functions over the :class:`Session`, no widgets, so that screens stay thin and tests can call them.
The demo writes a tiny but complete model and an Alpaca file into a per-user temp directory, so that
every step of the journey has real files to check without a network.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from mindpilot.tui.core import lang_flag

if TYPE_CHECKING:
    from mindpilot.tui.session import Session

DEMO_MODEL_ID = "Qwen/Qwen2.5-7B"
"""What the demo's model step shows (the files are a stand-in written locally)."""


def demo_dir() -> Path:
    """The per-user temp directory of the demo's files."""
    path = Path(tempfile.gettempdir()) / f"mindpilot-demo-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_session_dir() -> Path:
    """This process's own folder in the demo directory (``session-PID``); folders of ended sessions are removed."""
    import shutil

    for folder in list(demo_dir().glob("session-*"))[:MAX_SESSION_DIRS]:
        pid = folder.name[len("session-"):]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)) and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
    path = demo_dir() / f"session-{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path


MAX_SESSION_DIRS = 1000
"""Session folders looked at per start (the loop is bounded by this, not by what is in the temp directory)."""


def _alive(pid: int) -> bool:
    """A process with this id exists (whoever owns it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, it is another user's
        return True
    return True


def demo_model() -> str:
    """A stand-in for Qwen2.5-7B: config, tokenizer, two safetensors shards and their index (a few kB)."""
    model = demo_dir() / "models" / "Qwen2.5-7B"
    model.mkdir(parents=True, exist_ok=True)
    shards = {"model-00001-of-00002.safetensors": "a", "model-00002-of-00002.safetensors": "b"}
    for name, tensor in shards.items():
        header = json.dumps({tensor: {"dtype": "U8", "shape": [64], "data_offsets": [0, 64]}}).encode()
        (model / name).write_bytes(len(header).to_bytes(8, "little") + header + bytes(64))
    (model / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": 128}, "weight_map": {t: n for n, t in shards.items()}}))
    (model / "config.json").write_text(json.dumps({"model_type": "qwen2", "num_hidden_layers": 28}))
    for name, text in (("vocab.json", "{}"), ("merges.txt", "#version: 0.2\n"), ("tokenizer.json", "{}")):
        (model / name).write_text(text)
    return str(model)


def demo_dataset() -> str:
    """A three-record Alpaca file."""
    path = demo_dir() / "data" / "alpaca_data.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [{"instruction": f"Add {n} and {n}.", "input": "", "output": str(2 * n)} for n in range(3)]
    path.write_text(json.dumps(records, indent=1))
    return str(path)


def stack(session: "Session") -> Any:
    """The stack of the doctor's report (empty when there is none)."""
    from mindpilot.acquire.stack import stack_from_facts

    return stack_from_facts(session.env_report.environment if session.env_report else None)


def is_model_id(text: str) -> bool:
    """``owner/name`` that is not an existing path: a ModelScope id to download."""
    from mindpilot.acquire.download import valid_model_id

    return valid_model_id(text) and not Path(text).expanduser().exists()


def model_argv(session: "Session", source: str, local_dir: str) -> list[str]:
    """``mindpilot model download ID [--local-dir DIR]`` or ``mindpilot model check DIR``."""
    if source and is_model_id(source):
        return ["mindpilot", "model", "download", source, *(["--local-dir", local_dir] if local_dir else []),
                *lang_flag(session.lang)]
    return ["mindpilot", "model", "check", source or session.model_dir or "MODEL_DIR", *lang_flag(session.lang)]


def tp_pp(session: "Session") -> tuple[int, int]:
    """TP and PP of the chosen plan (1, 1 before planning)."""
    config = (session.chosen or {}).get("parallel_config") or {}
    return int(config.get("model_parallel", 1)), int(config.get("pipeline_stage", 1))


def weights_command(session: "Session", output: Optional[str] = None) -> Any:
    """The conversion for the session's framework, stack, model and plan."""
    from mindpilot.acquire.weights import weights_command as build

    tp, pp = tp_pp(session)
    return build(session.framework, stack(session), session.model_dir or "MODEL_DIR", output, tp=tp, pp=pp,
                 lang=session.lang)


def weights_argv(session: "Session", output: Optional[str] = None) -> list[str]:
    """``mindpilot weights ...`` for the step."""
    argv = ["mindpilot", "weights", "--framework", session.framework, "--model-dir", session.model_dir or "MODEL_DIR"]
    tp, pp = tp_pp(session)
    if session.framework == "mindspeed-llm":
        argv += ["--tp", str(tp), "--pp", str(pp)]
    if output:
        argv += ["--output", output]
    return argv + (["--demo"] if session.demo else []) + lang_flag(session.lang)


def seq_length(session: "Session") -> int:
    """The YAML's seq_length when there is a YAML, else the default one (the same answer as ``data`` and ``plan``)."""
    from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH, file_seq_length

    return (file_seq_length(session.config_path) if session.config_path else None) or DEFAULT_SEQ_LENGTH


def interleave(session: "Session") -> int:
    """The pipeline interleave to plan for: the YAML's when the plan goes into it (MindFormers), as ``plan --apply``
    reads it; else 1."""
    from mindpilot.datafiles import DataFileError
    from mindpilot.presets.config_facts import interleave as config_interleave, read_config

    if not session.config_path or session.framework != "mindformers":
        return 1
    try:
        return config_interleave(read_config(session.config_path))
    except DataFileError:
        return 1


def data_command(session: "Session", dataset: str, output: Optional[str] = None) -> Any:
    """The preprocessing for the session's framework with the YAML's sequence length."""
    from mindpilot.acquire.data import data_command as build

    return build(session.framework, stack(session), dataset or "DATASET", session.model_dir or "MODEL_DIR", output,
                 seq_length=seq_length(session), lang=session.lang)


def data_argv(session: "Session", dataset: str, output: Optional[str] = None) -> list[str]:
    """``mindpilot data ...`` for the step."""
    argv = ["mindpilot", "data", dataset or "DATASET", "--framework", session.framework,
            "--model-dir", session.model_dir or "MODEL_DIR"]
    if session.config_path:
        argv += ["--config", session.config_path]
    if output:
        argv += ["--output", output]
    return argv + (["--demo"] if session.demo else []) + lang_flag(session.lang)


def before_findings(kind: str, command: Any, session: "Session", dataset: str = "") -> list[Any]:
    """What the step can check before running."""
    if kind == "weights":
        from mindpilot.acquire.weights import check_before

        return check_before(command, session.lang)
    from mindpilot.acquire.data_check import check_before as data_before, check_dataset, check_seq_length

    return (check_dataset(dataset, session.lang) if dataset else []) + data_before(command, session.lang) + \
        check_seq_length(seq_length(session), session.config_path, session.lang)


def result_findings(kind: str, command: Any, lang: str, log: str) -> list[Any]:
    """The check of what the job produced."""
    if kind == "weights":
        from mindpilot.acquire.weights import check_result
    else:
        from mindpilot.acquire.data_check import check_result
    return check_result(command, lang, log)


def journey_preset(session: "Session") -> Any:
    """The job the steps built."""
    from mindpilot.launch.journey import JourneyChoices, journey_preset as build

    weights = session.weights_output if session.weights_output and not session.demo else None
    dataset = session.data_output if session.data_output and not session.demo else None
    cards = session.cards or session.env_cards() or 8
    workdir = None if session.demo else stack(session).checkout(session.framework)
    choices = JourneyChoices(framework=session.framework, config=session.config_path, model_dir=session.model_dir,
                             weights=weights, dataset=dataset, cards=cards, workdir=workdir,
                             parallel=(session.chosen or {}).get("parallel_config") or {}, model=session.model,
                             demo=session.demo)
    return build(choices)


def preset_path(preset: Any, directory: Optional[str] = None) -> str:
    """Where ``w`` saves the job: ``<name>.preset.yaml`` in the current directory."""
    from mindpilot.launch.journey import default_preset_path

    return default_preset_path(preset, directory)


def save_preset(preset: Any, path: Optional[str] = None) -> str:
    """Write the job as a preset file (at :func:`preset_path` unless given); returns its path."""
    from mindpilot.launch.journey import save_journey_preset

    return save_journey_preset(preset, path or preset_path(preset))
