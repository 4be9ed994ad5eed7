"""The built-in demo environment: a fake Ascend tree plus the Python side as data.

``mindpilot doctor --demo`` and the TUI's demo mode use it on machines without NPUs. The host
side (CANN 8.2.RC1, driver, 8 device nodes, ``npu-smi info`` of 8x 910B with 64 GB HBM) is a file
tree read by the same code as a real host; the Python side (packages, checkouts, environment) comes
from ``demo_env.yaml`` since no interpreter there has those packages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from mindpilot import compiled
from mindpilot.datafiles import load_model, package_path
from mindpilot.validators.probe.facts import Checkout, HostInfo, PythonInfo

NPU_SMI_FILE = "npu-smi-info.txt"
ENV_FILE = "demo_env.yaml"


def demo_root() -> Path:
    """The fake Ascend tree shipped with the package."""
    return package_path("validators", "data", "demo_root")


@dataclass
class DemoEnvironment:
    """``demo_env.yaml``: what the Python probe would have reported on the demo machine."""

    __pydantic_config__ = {"extra": "forbid"}

    python: PythonInfo
    """The demo interpreter."""
    site_packages: Optional[str] = None
    """Location shown for every package."""
    package_count: int = 0
    """Total distributions the demo interpreter sees."""
    packages: dict[str, str] = field(default_factory=dict)
    """Installed versions by normalized name."""
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    """Source checkouts by package name."""
    host: HostInfo = field(default_factory=HostInfo)
    """A ModelArts 8-card machine."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables of the demo shell."""


def load_demo_environment(root: Optional[Path] = None) -> DemoEnvironment:
    """Read ``demo_env.yaml`` of ``root`` (default: the shipped demo tree)."""
    path = (root or demo_root()) / ENV_FILE
    return compiled.built(path, "demo_env", lambda: load_model(DemoEnvironment, path))
