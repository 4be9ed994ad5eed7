"""Before anything runs: look in the probed environment for conditions that cause known errors.

``mindpilot diagnose`` without a path asks the doctor's probe (``probe_environment``) for the facts and
applies these rules (texts in ``data/rules/diagnose.yaml``). Each one prevents an error of the
knowledge base: urllib3 2 with botocore (DEFAULT_CIPHERS), torch next to mindspore, set_env.sh not
sourced, msprobe missing for MindRLHF, MindSpore too old for MindFormers.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from packaging.version import InvalidVersion, Version

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding

OBS_SDKS = ("botocore", "boto3", "moxing", "esdk-obs-python")
MINDSPORE_MIN_FOR_MINDFORMERS = Version("2.3")


def _field(facts: Any, name: str) -> Any:
    if isinstance(facts, Mapping):
        return facts.get(name)
    return getattr(facts, name, None)


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def _version(text: Optional[str]) -> Optional[Version]:
    if not text:
        return None
    try:
        return Version(str(text).split("+")[0])
    except InvalidVersion:
        return None


def check_environment(facts: Any, lang: str = "en") -> List[Finding]:
    """Findings for the probe facts ``facts`` (an ``EnvFacts`` or a dict of the same shape)."""
    packages: Dict[str, str] = {_norm(k): str(v) for k, v in (_field(facts, "packages") or {}).items()}
    checkouts = {_norm(k) for k in (_field(facts, "checkouts") or {})}
    findings: List[Finding] = []

    urllib3 = _version(packages.get("urllib3"))
    others = [name for name in OBS_SDKS if name in packages]
    if urllib3 is not None and urllib3 >= Version("2") and others:
        findings.append(make_finding("diagnose.env_urllib3_botocore", lang, urllib3=packages["urllib3"],
                                     other=", ".join(f"{n} {packages[n]}" for n in others)))

    torch = packages.get("torch") or packages.get("torch-npu")
    mindspore = packages.get("mindspore")
    if torch and mindspore:
        findings.append(make_finding("diagnose.env_torch_and_mindspore", lang, torch=torch, mindspore=mindspore))

    if _field(facts, "set_env_sourced") is False:
        findings.append(make_finding("diagnose.env_set_env_not_sourced", lang))

    has_rlhf = "mindrlhf" in packages or "mindrlhf" in checkouts
    has_probe = "mindstudio-probe" in packages or "msprobe" in packages
    if has_rlhf and not has_probe:
        findings.append(make_finding("diagnose.env_msprobe_missing", lang))

    ms_version = _version(mindspore)
    has_mf = "mindformers" in packages or "mindformers" in checkouts
    if ms_version is not None and has_mf and ms_version < MINDSPORE_MIN_FOR_MINDFORMERS:
        findings.append(make_finding("diagnose.env_mindspore_too_old", lang, mindspore=mindspore))
    return findings


def probe_and_check(lang: str = "en", python: Optional[str] = None, timeout: float = 20.0) -> List[Finding]:
    """Probe this machine with the doctor's probe and check it.

    Raises:
        RuntimeError: the probe is not available or failed (the CLI exits with code 3).
    """
    try:
        from mindpilot.validators.probe import probe_environment
    except ImportError as exc:
        raise RuntimeError(f"the environment probe is not available: {exc}") from exc
    try:
        facts = probe_environment(python=python, timeout=timeout)
    except Exception as exc:  # the probe runs foreign interpreters; any failure means "cannot probe"
        raise RuntimeError(f"probing the environment failed: {exc}") from exc
    return check_environment(facts, lang)
