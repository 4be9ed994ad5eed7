"""Probe an environment from the outside: Python packages and checkouts, CANN, driver, NPUs, host.

Never imports mindspore, torch or mindformers into mindpilot's process: the Python side runs in a
subprocess of the target interpreter with a timeout. Host facts are read under a root directory
so that tests and the demo can use a fake Ascend tree.
"""

from mindpilot.validators.probe.demo import demo_root
from mindpilot.validators.probe.environment import probe_environment
from mindpilot.validators.probe.facts import Checkout, EnvFacts, HostInfo, Npu, NpuProcess, PythonInfo
from mindpilot.validators.probe.npu_smi import parse_npu_smi
from mindpilot.validators.probe.pyenv import ProbeError

__all__ = ["Checkout", "EnvFacts", "HostInfo", "Npu", "NpuProcess", "ProbeError", "PythonInfo",
           "demo_root", "parse_npu_smi", "probe_environment"]
