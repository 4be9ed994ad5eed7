"""The one piece of state the guided setup carries from step to step.

A plain dataclass, no widgets: the Environment step fills ``env_report``, Model the model directory,
Weights and Data their outputs, Plan the cards and chosen candidate, Check fills ``check_findings``, Launch the job, Diagnose the diagnosis.
Screens read it to pre-fill their fields and to show the CLI command that repeats what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from mindpilot.validators.findings import Finding
from mindpilot.validators.report import DoctorReport


@dataclass
class Session:
    """What the user has told us and what the core has found so far."""

    demo: bool = False
    """Use the built-in demo environment (and the demo job) instead of this machine."""
    lang: str = "en"
    """UI and findings language, ``zh`` or ``en``."""
    env_report: Optional[DoctorReport] = None
    """The doctor's verdict on the environment (Environment step)."""
    model: Optional[str] = None
    """The model to plan (Model or Plan step): a catalogue id, a model directory or a MindFormers YAML."""
    model_source: Optional[str] = None
    """What the user typed or picked on the Model step: a ModelScope id or a directory."""
    model_dir: Optional[str] = None
    """The model directory once downloaded or found (Weights and Data read its files)."""
    model_local_dir: Optional[str] = None
    """Where the Model step downloads into (``--local-dir``); None: the modelscope cache."""
    weights_output: Optional[str] = None
    """What the Weights step converts into (a .ckpt file or a folder), when it converts."""
    dataset: Optional[str] = None
    """The raw dataset file of the Data step."""
    data_output: Optional[str] = None
    """The preprocessed dataset (MindRecord or MindSpeed prefix)."""
    saved_preset: Optional[str] = None
    """The preset file the Launch step saved (``mindpilot launch FILE`` replays it)."""
    framework: str = "mindformers"
    """What trains the model: ``mindformers``, ``mindrlhf-grpo`` or ``mindspeed-llm`` (Model and Plan steps)."""
    cards: Optional[int] = None
    """Cards to plan for; defaults to what the environment has."""
    hbm_gb: Optional[float] = None
    """HBM per card in GB; defaults to what the environment has."""
    seq_len: Optional[int] = None
    """A sequence length typed on the Plan step that differs from the YAML's (None: the YAML's)."""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """Planner candidates as ``Candidate.to_dict()``, best first."""
    chosen: Optional[dict[str, Any]] = None
    """The candidate the user picked."""
    config_path: Optional[str] = None
    """The user's YAML config (plan --apply target, check input)."""
    check_findings: list[Finding] = field(default_factory=list)
    """Findings of the last check."""
    job: Any = None
    """The launched job (whatever ``mindpilot.launch.runner`` returns)."""
    log_dir: Optional[str] = None
    """Log directory of the last job, the default input of Diagnose."""
    diagnosis: Any = None
    """The last ``DiagnoseReport``."""

    def env_cards(self) -> Optional[int]:
        """NPU count the environment reports (None when there is no report or no NPU)."""
        value = self._env_fact("npu_count")
        return int(value) if value else None

    def env_hbm_gb(self) -> Optional[float]:
        """HBM per card in GB that the environment reports."""
        value = self._env_fact("hbm_gb_per_card")
        return float(value) if value else None

    def _env_fact(self, key: str) -> Any:
        if self.env_report is None:
            return None
        environment = self.env_report.environment
        if key in environment:
            return environment[key]
        for section in ("npu", "ascend", "host"):
            nested = environment.get(section)
            if isinstance(nested, dict) and key in nested:
                return nested[key]
        return None
