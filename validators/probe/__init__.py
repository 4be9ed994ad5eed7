"""Probe an environment from the outside: Python packages and checkouts, CANN, driver, NPUs, host.

Never imports mindspore, torch or mindformers into mindpilot's process: the Python side runs in a
subprocess of the target interpreter with a timeout. Host facts are read under a root directory
so that tests and the demo can use a fake Ascend tree.
"""

from importlib import import_module
from typing import Any

_HOMES = {"demo_root": "demo", "probe_environment": "environment", "Checkout": "facts", "EnvFacts": "facts",
          "HostInfo": "facts", "Npu": "facts", "NpuProcess": "facts", "PythonInfo": "facts",
          "parse_npu_smi": "npu_smi", "ProbeError": "pyenv"}
"""Where each name of the package lives. Imported on first use: ``diagnose`` reads only ``probe.ascend`` (where
CANN is), and importing the whole probe (its dataclasses, the environment probe) for it cost ~15 ms a run."""

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
