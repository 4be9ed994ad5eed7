"""The ``Preset``: one file that says everything about a job, the single source of truth for a launch.

Launched by hand, a job is ``export`` lines copied between notes, a ``PORT`` placeholder left in,
and a different card count in the config than on the msrun line. A preset puts the script, its
arguments, the msrun flags (defaults from msrun's ``run.py``), the environment and the
parallel plan in one validated document. It is saved as YAML (or JSON for CI), rendered into a
``run.sh`` by :mod:`mindpilot.launch.command`, and recorded with every job.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mindpilot.presets.names import env_name_problem, line_problem, preset_name_problem
from mindpilot.datafiles import DataFileError, package_path, parse_bounded, read_yaml, validate, read_text

BUILTIN_DIR = package_path("presets", "builtin")
PARALLEL_DEGREES = ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel", "expert_parallel",
                    "micro_batch_num")
"""Keys of a preset's ``parallel``: MindFormers' ``parallel_config`` degrees (written into the config by render)."""
PACKAGE_PREFIX = "mindpilot:"
"""A path starting with this is relative to the installed package (the demo script uses it)."""
MAX_HANG_MINUTES = 100_000
"""Longest ``hang_minutes`` (about 10 weeks): a finite bound, so ``inf`` is not a way to say "never"."""
MAX_COMMANDS_BYTES = 64 << 20
"""Largest size of the commands of all nodes together (one command per node, each with every variable and
argument): 131,072 nodes of a plain job take about 51 MB; a preset of 40,000 variables fits about 140 nodes."""


SCRIPT_LINE_FIELDS = ("description", "script", "script_args", "workdir", "log_dir", "master_addr", "pythonpath",
                      "ms_alloc_conf", "ms_enable_lccl", "bind_core", "config", "related_files")
"""Text fields written into a line of ``run.sh`` (``config`` and ``related_files`` too: ``preset render`` puts
their copies into the script's arguments): no newline, NUL or other control character."""
OTHER_TEXT_FIELDS = ("model", "framework", "tokenizer_dir", "input_files", "output_files", "output_dirs", "device",
                     "parallel", "relative_to")
"""Text fields never written into a script (checked, read or shown only): no NUL byte."""


def _strings(value: Any) -> List[str]:
    """Every string in a field's value (a string, a list of them, or a mapping of them, keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in _strings(key) + _strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


class Preset(BaseModel):
    """A job: what to run, on how many cards and nodes, with which msrun flags and environment."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = "job"
    """Short name, shown in ``mindpilot jobs`` and part of the job id: 1-64 of ``A-Z a-z 0-9 _ . -``."""
    description: str = ""
    """One line about the job (no newline: it is a comment line of ``run.sh``)."""
    model: Optional[str] = None
    """Model id or model directory (for the planner and the tokenizer check)."""
    framework: str = "mindformers"
    """``mindformers``, ``mindrlhf``, ``mindspeed`` or ``custom``."""
    script: str
    """Task script msrun runs with ``python`` (e.g. ``run_mindformer.py``, ``examples/grpo/.../main.py``)."""
    script_args: List[str] = Field(default_factory=list)
    """Arguments of the task script, one per item (never a shell string)."""
    config: Optional[str] = None
    """The MindFormers / MindRLHF YAML the job reads; ``check`` validates it before launch."""
    related_files: List[str] = Field(default_factory=list)
    """Other files of the job that ``check`` reads with the config: launch or weight-conversion scripts
    (a MindSpeed-LLM checkpoint converted for another TP/PP does not load); ``preset render`` copies them."""
    relative_to: Optional[Literal["preset"]] = None
    """``preset``: a relative ``config`` or ``related_files`` entry (and a script argument naming one) is in the
    folder of this preset file, not in the workdir. ``preset render`` writes it, so that its output folder
    can be moved or published as a CI artifact; loading the file makes those paths absolute."""
    tokenizer_dir: Optional[str] = None
    """Directory with ``vocab.json`` + ``merges.txt`` (Qwen) or ``tokenizer.model`` (LLaMA)."""
    input_files: List[str] = Field(default_factory=list)
    """Files or directories that must exist before the launch (datasets, checkpoints)."""
    output_files: List[str] = Field(default_factory=list)
    """Paths the job writes as files (a checkpoint file name must not be a directory)."""
    output_dirs: List[str] = Field(default_factory=list)
    """Directories the job writes into (created if missing; must not be files)."""
    workdir: Optional[str] = None
    """Directory msrun runs in (the mindformers / mindrlhf checkout, usually); default: current dir."""
    cards: int = 8
    """msrun ``--worker_num``: all workers of the job, over every node (msrun default 8)."""
    local_cards: Optional[int] = None
    """msrun ``--local_worker_num``: workers on this node; default ``cards // nodes``."""
    nodes: int = 1
    """Number of nodes; more than one prints one command per node."""
    node_rank: Optional[int] = None
    """msrun ``--node_rank`` of this node (0..nodes-1); None on a single node."""
    master_addr: str = "127.0.0.1"
    """msrun ``--master_addr``: the node that runs the scheduler (IPv4 or hostname)."""
    master_port: Optional[int] = None
    """msrun ``--master_port`` (1024-65535); None picks a free one at launch."""
    log_dir: str = "output/msrun_log"
    """msrun ``--log_dir`` (MindFormers' msrun_launcher.sh default)."""
    join: bool = True
    """msrun ``--join``: wait for workers and fail the job when one fails (needed for an exit status)."""
    cluster_time_out: int = 600
    """msrun ``--cluster_time_out`` in seconds (msrun default 600; msrun_launcher.sh uses 7200)."""
    bind_core: Union[bool, Dict[str, List[str]]] = False
    """msrun ``--bind_core``: True, or ``{"device0": ["0-10"], ...}`` (MindSpore 2.5+)."""
    parallel: Dict[str, int] = Field(default_factory=dict)
    """The parallel plan (``data_parallel``, ``model_parallel``, ``pipeline_stage``, ``context_parallel``)."""
    pythonpath: List[str] = Field(default_factory=list)
    """Extra PYTHONPATH entries, first wins; the doctor's mindformers/mindrlhf checkouts are added after."""
    use_checkouts: bool = True
    """Add the mindformers / mindrlhf checkouts the doctor found to PYTHONPATH and MINDFORMERS_PATH."""
    ms_enable_lccl: Optional[str] = "off"
    """``MS_ENABLE_LCCL`` (GRPO runs turn LCCL off); None leaves it unset."""
    hccl_connect_timeout: Optional[int] = 1800
    """``HCCL_CONNECT_TIMEOUT`` in seconds; None leaves it unset."""
    hccl_exec_timeout: Optional[int] = 7200
    """``HCCL_EXEC_TIMEOUT`` in seconds (what GRPO runs use); None leaves it unset."""
    ms_alloc_conf: Optional[str] = None
    """``MS_ALLOC_CONF``; the vLLM path sets ``memory_tracker:False,enable_vmm:True``."""
    vllm: bool = False
    """Generation through vLLM-MindSpore: sets ``vLLM_MODEL_BACKEND``, ``MS_JIT_MODULES``, ``MS_ALLOC_CONF``."""
    env: Dict[str, str] = Field(default_factory=dict)
    """Any other environment variables; they win over everything above. Names are shell names
    (``[A-Za-z_][A-Za-z0-9_]*``). A secret (``HF_TOKEN``, ``*_SECRET_KEY`` ...) is passed by name in ``run.sh``
    and shown as ``***``; a value of ``***`` or ``""`` means "take it from the launching environment"."""
    hang_minutes: float = 10.0
    """Minutes without a training step before the live view reports a hang."""
    device: str = "npu"
    """``npu`` (Ascend; NPU count is checked) or ``cpu`` (the demo)."""
    min_free_gb: float = 20.0
    """Free disk under the log dir below which preflight warns (checkpoints are large)."""

    @field_validator("cards", "nodes")
    @classmethod
    def _positive(cls, value: int) -> int:
        from mindpilot.presets.planner import PLAN_BOUNDS

        if value < 1:
            raise ValueError("must be at least 1 (msrun: worker_num must be greater than 0)")
        if value > PLAN_BOUNDS["cards"]:  # one command per node is built: 10^8 nodes would take GBs
            raise ValueError(f"must be at most {PLAN_BOUNDS['cards']}, got {value}")
        return value

    @field_validator("local_cards")
    @classmethod
    def _per_node(cls, value: Optional[int]) -> Optional[int]:
        from mindpilot.presets.planner import PLAN_BOUNDS

        if value is not None and not 1 <= value <= PLAN_BOUNDS["cards_per_node"]:
            raise ValueError(f"must be between 1 and {PLAN_BOUNDS['cards_per_node']}, got {value}")
        return value

    @field_validator("hang_minutes")
    @classmethod
    def _hang_minutes(cls, value: float) -> float:
        if not (math.isfinite(value) and 0 < value <= MAX_HANG_MINUTES):  # nan, inf, 0 and -1 are refused
            raise ValueError(f"must be a number of minutes above 0 and at most {MAX_HANG_MINUTES}, got {value}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = preset_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator(*SCRIPT_LINE_FIELDS)
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        for text in _strings(value):
            problem = line_problem(text)
            if problem:
                raise ValueError(f"{problem}; this value is written into a line of run.sh")
        return value

    @field_validator(*OTHER_TEXT_FIELDS)
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if any("\x00" in text for text in _strings(value)):
            raise ValueError("holds a NUL byte (U+0000), which no path or name can contain")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: Dict[str, str]) -> Dict[str, str]:
        for key, text in value.items():
            bad_name = env_name_problem(key)
            if bad_name:
                raise ValueError(bad_name)
            bad_value = line_problem(text)
            if bad_value:
                raise ValueError(f"{key}: {bad_value}")
        return value

    @field_validator("parallel")
    @classmethod
    def _parallel_degrees(cls, value: Dict[str, int]) -> Dict[str, int]:
        import difflib

        for key, degree in value.items():
            if key not in PARALLEL_DEGREES:
                close = difflib.get_close_matches(key, PARALLEL_DEGREES, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "one of " + ", ".join(PARALLEL_DEGREES)
                raise ValueError(f"unknown parallel key {key!r}: {hint}")
            if degree < 1:
                raise ValueError(f"{key} must be at least 1, got {degree}")
        return value

    @field_validator("master_addr")
    @classmethod
    def _address(cls, value: str) -> str:
        if not value.strip() or any(ch.isspace() for ch in value):
            raise ValueError(f"must be the master node's IP address or host name, got {value!r}")
        return value

    @field_validator("master_port")
    @classmethod
    def _port(cls, value: Optional[int]) -> Optional[int]:
        if value is not None and not 1024 <= value <= 65535:
            raise ValueError(f"master_port must be in 1024-65535 (msrun), got {value}")
        return value

    @model_validator(mode="after")
    def _node_layout(self) -> "Preset":
        if self.node_rank is not None and not 0 <= self.node_rank < max(self.nodes, 1):
            raise ValueError(f"node_rank {self.node_rank} is outside 0..{self.nodes - 1}")
        if self.nodes > self.cards:  # msrun starts at least one worker per node: worker_num would be exceeded
            raise ValueError(f"nodes {self.nodes} is more than cards {self.cards} (msrun --worker_num, all workers "
                             f"over all nodes): each node runs at least one worker")
        command = self.command_bytes()
        if self.nodes * command > MAX_COMMANDS_BYTES:
            raise ValueError(f"nodes {self.nodes} times a command of about {command // 1024 + 1} KiB (its variables "
                             f"and arguments) is more than {MAX_COMMANDS_BYTES >> 20} MiB of commands, one per node")
        return self

    def command_bytes(self) -> int:
        """About the size of one node's command: its variables, arguments and paths, plus msrun's flags."""
        texts = [*self.env.keys(), *self.env.values(), *self.script_args, self.script, self.workdir or "",
                 self.log_dir, self.config or "", *self.pythonpath]
        return 400 + sum(len(text) + 4 for text in texts)

    @property
    def local_worker_num(self) -> int:
        """Workers on one node: ``local_cards`` or ``cards // nodes``."""
        return self.local_cards if self.local_cards is not None else max(self.cards // self.nodes, 1)

    def resolve(self, value: str) -> str:
        """A path with the ``mindpilot:`` prefix made absolute inside the installed package."""
        if value.startswith(PACKAGE_PREFIX):
            return str(package_path(*value[len(PACKAGE_PREFIX):].split("/")))
        return value

    def without_secrets(self) -> "Preset":
        """This preset with each secret ``env`` value as ``***``: what is shown, exported or saved to share.

        Launching it takes those variables from the environment (see ``launch.command``)."""
        from mindpilot.redact import masked_env

        return self.model_copy(update={"env": masked_env(self.env)})

    def to_yaml(self) -> str:
        """The preset as YAML (only values that differ from the defaults, plus the script)."""
        from io import StringIO

        from ruamel.yaml import YAML

        data = self.model_dump(mode="json", exclude_defaults=True)
        data.setdefault("script", self.script)
        out = StringIO()
        yaml = YAML()
        yaml.default_flow_style = False
        yaml.width = 4096  # one line per value: a description is not folded
        yaml.dump(data, out)
        return out.getvalue()

    def to_json(self) -> str:
        """The preset as one JSON document (every field, for CI)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2)


def load_preset(path: Union[str, Path]) -> Preset:
    """Read a preset from a YAML or JSON file.

    Raises:
        DataFileError: the file is missing, does not parse or does not fit :class:`Preset` (file, line, key).
    """
    name = str(path)
    text: Optional[str] = None
    if name.endswith(".json"):
        text = read_text(path)
        try:
            document: Any = parse_bounded(name, lambda: json.loads(text), text)
        except json.JSONDecodeError as exc:
            raise DataFileError(name, exc.lineno, None, f"invalid JSON: {exc.msg}") from exc
    else:
        document = read_yaml(path)
    if not isinstance(document, dict):
        raise DataFileError(name, None, None, "a preset must be a mapping of keys to values")
    reject_unknown_keys(document, name, text)
    return _anchored(validate(Preset, document, name, document), Path(name))


def _anchored(preset: Preset, path: Path) -> Preset:
    """``preset`` with the files it names relative to its own folder (``relative_to: preset``) made
    absolute, so that every reader (check, launch, render) finds them wherever that folder now is."""
    if preset.relative_to != "preset":
        return preset
    folder = Path(os.path.abspath(path)).parent

    def here(value: str) -> str:
        if value.startswith(PACKAGE_PREFIX) or Path(value).expanduser().is_absolute():
            return value
        return str(folder / value)

    named = {value: here(value) for value in [*([preset.config] if preset.config else []), *preset.related_files]}
    return preset.model_copy(update={
        "config": named[preset.config] if preset.config else None,
        "related_files": [named[value] for value in preset.related_files],
        "script_args": [named.get(arg, arg) for arg in preset.script_args], "relative_to": None})


def reject_unknown_keys(document: dict, name: str, text: Optional[str] = None) -> None:
    """Loading is strict: a key :class:`Preset` does not have is an error with its line and the closest key.

    Raises:
        DataFileError: naming the file, the line of the first unknown key and ``did you mean ...``.
    """
    import difflib

    from mindpilot.datafiles import line_of

    known = list(Preset.model_fields)
    for key in document:
        if key in known:
            continue
        line = line_of(document, [key]) if text is None else _json_key_line(text, str(key))
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f"; preset keys are: {', '.join(known)}"
        raise DataFileError(name, line, str(key), f"unknown preset key{hint}")


def _json_key_line(text: str, key: str) -> Optional[int]:
    """1-based line of the first ``"key":`` in a JSON text (json.loads keeps no positions)."""
    needle = json.dumps(key)
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def builtin_presets() -> dict[str, Path]:
    """Presets shipped with mindpilot, by name (file stem)."""
    return {path.stem: path for path in sorted(BUILTIN_DIR.glob("*.yaml"))}


def find_preset(name_or_path: str) -> Preset:
    """A built-in preset by name (``demo``) or a preset file by path.

    Raises:
        DataFileError: no such built-in and no such file, or the file is invalid.
    """
    builtins = builtin_presets()
    if name_or_path in builtins and not Path(name_or_path).exists():
        return load_preset(builtins[name_or_path])
    if not Path(name_or_path).is_file():
        known = ", ".join(builtins) or "none"
        what = "a directory, not a preset file" if Path(name_or_path).is_dir() else "no such preset file"
        raise DataFileError(name_or_path, None, None, f"{what} (built-in presets: {known})")
    return load_preset(name_or_path)


def demo_preset() -> Preset:
    """The built-in demo job: 2 workers of a tiny MindSpore data-parallel net on CPU."""
    return load_preset(builtins_path("demo"))


def builtins_path(name: str) -> Path:
    """Path of the built-in preset ``name``."""
    return BUILTIN_DIR / f"{name}.yaml"
