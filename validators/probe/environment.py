"""``probe_environment``: gather every fact about one environment (Python side and host side).

The Python side comes from a subprocess of the target interpreter (``pyenv``), checkouts from
``git``, the host side from files under ``root`` plus ``npu-smi`` and psutil. In demo mode the
host side is the shipped fake tree and the Python side comes from ``demo_env.yaml``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Optional

from mindpilot.validators.probe import ascend
from mindpilot.validators.probe.demo import NPU_SMI_FILE, demo_root, load_demo_environment
from mindpilot.validators.probe.facts import EnvFacts, NpuSmiInfo, PackageInfo, PythonInfo
from mindpilot.validators.probe.git import checkout_facts
from mindpilot.validators.probe.host import host_info, is_modelarts
from mindpilot.validators.probe.npu_smi import parse_npu_smi, read_npu_smi_file, run_npu_smi
from mindpilot.validators.probe.pyenv import CHECKOUT_PACKAGES, probe_python
from mindpilot.redact import redact_env, redact_model, secret_values

ENV_PREFIXES = ("ASCEND_", "MA_", "HCCL_", "MS_", "GLOG_", "RANK_", "DEVICE_", "MINDFORMERS_", "MINDRLHF_",
                "MSADAPTER_", "OBS_", "AWS_", "S3_", "HF_", "MODELSCOPE_", "NPU_", "ATB_")
ENV_NAMES = ("PYTHONPATH", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "LD_LIBRARY_PATH")
"""Environment variables worth showing in a report (secret ones appear as ``***``)."""


def probe_environment(python: Optional[str] = None, root: str = "/", demo: bool = False,
                      timeout: float = 20.0) -> EnvFacts:
    """Probe the Python environment of ``python`` and the Ascend host under ``root``.

    Raises:
        ProbeError: the interpreter cannot be run, crashes, or does not answer within ``timeout``.
    """
    return probe_with(python=python, root=root, demo=demo, timeout=timeout, environ=os.environ)


def probe_with(python: Optional[str], root: str, demo: bool, timeout: float,
               environ: Mapping[str, str]) -> EnvFacts:
    """:func:`probe_environment` with an explicit environment (tests pass their own)."""
    if demo:
        facts = _demo_python_side()
        environ = facts.env
        root_path = demo_root()
    else:
        root_path = Path(root)
        facts = _python_side(python, timeout, environ)
        facts.env = {name: value for name, value in environ.items()
                     if name.startswith(ENV_PREFIXES) or name in ENV_NAMES}
    facts.root = str(root_path) if not demo else "/"
    facts.demo = demo
    _host_side(facts, root_path, environ, demo, timeout)
    secrets = secret_values(environ)
    facts.env = redact_env(facts.env)
    return redact_model(facts, secrets, log=False)


def _python_side(python: Optional[str], timeout: float, environ: Mapping[str, str]) -> EnvFacts:
    answer = probe_python(python, timeout, environ)  # checked there, field by field
    details = answer.packages
    facts = EnvFacts(
        python=PythonInfo(executable=answer.executable or python or "", version=answer.version,
                          prefix=answer.prefix),
        packages={key: info.version for key, info in details.items()},
        package_details=dict(details),
        package_count=answer.package_count,
        import_origins=dict(answer.import_origins),
        version_maps=dict(answer.version_maps),
    )
    origins = facts.import_origins
    for name in CHECKOUT_PACKAGES:
        candidates = list(answer.checkout_candidates.get(name, []))
        editable = details[name].editable if name in details else None
        if editable and editable not in candidates:
            candidates.append(editable)
        if not candidates:
            continue
        # Prefer the checkout Python would import; else the first on the path.
        imported = [c for c in candidates if origins.get(name, "").startswith(os.path.join(c, name))]
        chosen = imported[0] if imported else candidates[0]
        facts.checkouts[name] = checkout_facts(name, chosen, imported=bool(imported))
        facts.checkouts[name].shadowed = [c for c in candidates if c != chosen]
    return facts


def _demo_python_side() -> EnvFacts:
    demo = load_demo_environment()
    location = demo.site_packages
    return EnvFacts(
        python=demo.python,
        packages=dict(demo.packages),
        package_details={name: PackageInfo(name=name, version=version, location=location)
                         for name, version in demo.packages.items()},
        package_count=demo.package_count,
        import_origins={name: f"{c.path}/{name}" for name, c in demo.checkouts.items()},
        checkouts={name: replace(c, imported=True) for name, c in demo.checkouts.items()},
        host=demo.host,
        env=dict(demo.env),
    )


def _host_side(facts: EnvFacts, root: Path, environ: Mapping[str, str], demo: bool, timeout: float) -> None:
    facts.cann_version, facts.cann_path, facts.cann_home = ascend.find_cann(root, environ)
    facts.nnal = ascend.nnal_present(root)
    facts.nnal_sourced = bool(environ.get("ATB_HOME_PATH"))
    facts.driver_version = ascend.driver_version(root)
    facts.davinci_count = ascend.davinci_count(root)
    facts.set_env_sourced = ascend.set_env_sourced(environ)
    facts.modelarts = is_modelarts(root, environ)
    smi = _npu_smi(facts, root, environ, demo, timeout)
    facts.npu_smi_version = smi.version
    facts.npus = smi.npus
    facts.npu_processes = smi.processes
    facts.npu_count = len(smi.npus) or facts.davinci_count
    totals = [npu.hbm_total_mb for npu in smi.npus if npu.hbm_total_mb]
    facts.hbm_gb_per_card = round(max(totals) / 1024, 1) if totals else None
    if facts.driver_version is None and smi.version:
        facts.driver_version = smi.version
    if not demo:
        facts.host = host_info(root, facts.modelarts)


def _npu_smi(facts: EnvFacts, root: Path, environ: Mapping[str, str], demo: bool, timeout: float) -> NpuSmiInfo:
    if demo:
        facts.npu_smi = "demo"
        return read_npu_smi_file(root / NPU_SMI_FILE)
    path, output, problem = run_npu_smi(environ, timeout=min(timeout, 10.0), root=root)
    facts.npu_smi = path
    if problem:
        facts.notes.append(problem)
    return parse_npu_smi(output) if output else NpuSmiInfo()
