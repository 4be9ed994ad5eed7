"""What the weights, data and launch steps need from the doctor's probe: versions and checkout paths.

The doctor reports an environment as a dict (``DoctorReport.environment``); this reads the few facts
the commands depend on, and says "unknown" rather than guessing when the probe did not see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from packaging.version import InvalidVersion, Version

DEFAULT_CHECKOUTS = {"mindformers": "mindformers", "mindrlhf": "mindrlhf", "mindspeed-llm": "MindSpeed-LLM"}
"""Directory names users usually clone into, used when the probe found no checkout."""


@dataclass
class Stack:
    """The framework versions and checkouts of the environment."""

    mindformers_version: Optional[str] = None
    """MindFormers version (checkout ``version`` or installed package), None when unknown."""
    mindformers_dir: Optional[str] = None
    """The mindformers checkout (``convert_weight.py``, ``run_mindformer.py`` live there)."""
    mindrlhf_dir: Optional[str] = None
    """The mindrlhf checkout (``examples/grpo/qwen_grpo_tutorial``)."""
    mindspeed_dir: Optional[str] = None
    """The MindSpeed-LLM checkout (``convert_ckpt.py``, ``preprocess_data.py``)."""
    python: str = "python"
    """The interpreter of the probed environment (``doctor --python``), ``python`` when unknown."""

    def checkout(self, framework: str) -> str:
        """The checkout a framework's scripts run in (the usual clone directory name when unknown)."""
        known = {"mindformers": self.mindformers_dir, "mindrlhf": self.mindrlhf_dir,
                 "mindrlhf-grpo": self.mindrlhf_dir, "mindspeed-llm": self.mindspeed_dir}.get(framework)
        return known or DEFAULT_CHECKOUTS.get(framework.replace("-grpo", ""), ".")

    @property
    def mindformers_major(self) -> Optional[int]:
        """1 or 2 (None when the version is unknown)."""
        try:
            return Version(self.mindformers_version).major if self.mindformers_version else None
        except InvalidVersion:
            return None


def stack_from_facts(environment: Optional[dict[str, Any]]) -> Stack:
    """The :class:`Stack` of a doctor report's ``environment`` (an empty one when there is none)."""
    if not environment:
        return Stack()
    checkouts = environment.get("checkouts") or {}
    packages = environment.get("packages") or {}

    def path(name: str) -> Optional[str]:
        entry = checkouts.get(name)
        return entry.get("path") if isinstance(entry, dict) else None

    mindformers = checkouts.get("mindformers") if isinstance(checkouts.get("mindformers"), dict) else {}
    version = mindformers.get("version") or (packages.get("mindformers") if isinstance(packages, dict) else None)
    python = environment.get("python") if isinstance(environment.get("python"), dict) else {}
    return Stack(mindformers_version=str(version) if version else None, mindformers_dir=path("mindformers"),
                 mindrlhf_dir=path("mindrlhf"), mindspeed_dir=path("mindspeed-llm") or path("mindspeed_llm"),
                 python=python.get("executable") or "python")
