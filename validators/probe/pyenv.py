"""Probe a Python environment from the outside: run ``pyenv_script.py`` in it, with a timeout.

The target interpreter is a subprocess, so mindpilot never imports mindspore, torch or
mindformers itself, and a hung interpreter is killed (with its whole process group) after
``timeout`` seconds instead of hanging the doctor. Its answer is another interpreter's output, so it is
checked in one place (:class:`ProbeAnswer`): a wrong type is one line, never a traceback further on.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from mindpilot.datafiles import DataFileError, parse_bounded, validate
from mindpilot.validators.probe.facts import PackageInfo
from mindpilot.validators.probe.subprocesses import OutputTooLarge, ProcessTimeout, run_captured

SCRIPT = Path(__file__).with_name("pyenv_script.py")

PROBED_PACKAGES = (
    "mindspore", "mindformers", "mindrlhf", "vllm", "vllm-mindspore", "msadapter", "mindspore-gs",
    "torch", "torch-npu", "transformers", "tokenizers", "safetensors", "urllib3", "boto3", "botocore",
    "ray", "mindstudio-probe", "modelscope", "numpy", "hyper-parallel", "mindspeed",
)
"""Distributions the doctor reports, by PEP 503 normalized name."""
CHECKOUT_PACKAGES = ("mindformers", "mindrlhf", "msadapter")
"""Packages users run from git clones on ``PYTHONPATH`` (e.g. ``$MINDRLHF_FILE:$MINDFORMERS_FILE:$MSADAPTER_PATH``)."""


class ProbeError(Exception):
    """The environment could not be probed (exit code 3)."""


@dataclass
class ProbeAnswer:
    """What ``pyenv_script.py`` prints, checked field by field (other keys are ignored)."""

    executable: Optional[str] = None
    version: str = "?"
    prefix: Optional[str] = None
    packages: Dict[str, PackageInfo] = field(default_factory=dict)
    """Installed distributions by normalized name."""
    package_count: int = 0
    checkout_candidates: Dict[str, List[str]] = field(default_factory=dict)
    version_maps: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    import_origins: Dict[str, str] = field(default_factory=dict)


def probe_python(python: Optional[str], timeout: float, environ: Optional[Mapping[str, str]] = None,
                 extra_packages: tuple[str, ...] = ()) -> ProbeAnswer:
    """Run the probe script under ``python`` (default: this interpreter) and return its checked answer.

    Raises:
        ProbeError: the interpreter is missing, crashed, printed no JSON or JSON of the wrong shape, or
            timed out.
    """
    executable = resolve_python(python, environ if environ is not None else os.environ)
    env = dict(os.environ if environ is None else environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # do not write into someone else's environment
    env.pop("PYTHONSTARTUP", None)
    argv = [executable, "-c", _script_source(), json.dumps(list(PROBED_PACKAGES) + list(extra_packages)),
            json.dumps(list(CHECKOUT_PACKAGES))]
    try:
        done = run_captured(argv, timeout=timeout, env=env)
    except OutputTooLarge as exc:
        raise ProbeError(f"{exc} (a sitecustomize or .pth file that prints in a loop?); try: {executable} -c pass") \
            from None
    except ProcessTimeout:
        raise ProbeError(f"{executable} did not answer within {timeout:g} s and was killed "
                         f"(a hanging .pth file or sitecustomize?); try: {executable} -c pass") from None
    except OSError as exc:
        hint = "" if os.sep in executable else " (not a command on PATH, nor a conda env name)"
        raise ProbeError(f"cannot run {executable}: {exc.strerror or exc}{hint}") from None
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:]) or f"exit status {done.returncode}"
        raise ProbeError(f"the probe failed under {executable}: {tail}")
    try:
        document = parse_bounded(executable, lambda: json.loads(done.stdout))
    except DataFileError as exc:  # nested past the bound: a hostile interpreter, not a probe result
        raise ProbeError(f"{executable} printed an unexpected probe result ({exc.message})") from None
    except ValueError:
        raise ProbeError(f"{executable} printed no probe result (is it a Python >= 3.8?)") from None
    if not isinstance(document, dict):
        raise ProbeError(f"{executable} printed an unexpected probe result")
    try:
        return validate(ProbeAnswer, document, executable)
    except DataFileError as exc:  # names the key: "packages.mindspore.version: Input should be a valid string"
        raise ProbeError(f"{executable} printed an unexpected probe result ({exc.key}: {exc.message})") from None


def _script_source() -> str:
    return SCRIPT.read_text(encoding="utf-8")


CONDA_ROOTS = ("~/anaconda3", "~/miniconda3", "/home/ma-user/anaconda3", "/opt/conda")
"""Conda installations searched for ``--python <env name>`` (ModelArts: ``/home/ma-user/anaconda3``)."""


def resolve_python(python: Optional[str], environ: Mapping[str, str]) -> str:
    """The interpreter path for ``--python``: a path, a command on ``PATH``, or a conda env name.

    ``--python MindSpore`` finds ``/home/ma-user/anaconda3/envs/MindSpore/bin/python`` (a ModelArts notebook's
    conda env); anything not found is returned unchanged, so the error names what the user typed.
    """
    if not python:
        return sys.executable
    if os.sep in python:
        return _interpreter_in(python)
    found = shutil.which(python, path=environ.get("PATH", ""))
    if found:
        return found
    roots = list(CONDA_ROOTS)
    if environ.get("CONDA_EXE"):
        roots.insert(0, os.path.dirname(os.path.dirname(environ["CONDA_EXE"])))
    for root in roots:
        candidate = os.path.join(os.path.expanduser(root), "envs", python, "bin", "python")
        if os.path.isfile(candidate):
            return candidate
    if os.path.exists(python):  # a file or env dir in the current directory, typed without ./
        return _interpreter_in(os.path.join(os.curdir, python))
    return python


def _interpreter_in(path: str) -> str:
    """``path`` itself, or ``path/bin/python`` when it is a venv or conda env directory.

    Raises:
        ProbeError: ``path`` is a directory without ``bin/python``.
    """
    if not os.path.isdir(path):
        return path
    candidate = os.path.join(path, "bin", "python")
    if os.path.isfile(candidate):
        return candidate
    raise ProbeError(f"{path} is a directory, not a Python interpreter (and has no bin/python)")
