"""What is installed where ``diagnose`` runs, for rules that name a pair of versions that must match.

An ``undefined symbol`` in ``libtorch_npu.so`` means torch and torch_npu (or torch_npu and CANN) do not
fit; the fix names both versions. The log may print them (a rule's ``facts``); this host's own answer is
``{installed_torch}``, ``{installed_torch_npu}``, ``{installed_cann}`` ... in a rule's texts: the package
version in the interpreter running mindpilot (from its metadata, nothing imported) and the CANN toolkit
as ``doctor`` finds it. A log copied from another machine says so itself: the texts say "installed here".

The job may have run under another interpreter than mindpilot's (a conda env, a venv): ``diagnose --python PY``
asks that interpreter instead, through ``doctor``'s probe (a subprocess reading package metadata; nothing is
imported into this process), and each version then names the interpreter it was read from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, Iterable, Optional, Set

INSTALLED = re.compile(r"\{installed_(\w+)\}")
"""A placeholder for an installed version: ``{installed_torch_npu}``."""


def names_in(texts: Iterable[str]) -> Set[str]:
    """The package names whose installed version ``texts`` ask for."""
    return {name for text in texts for name in INSTALLED.findall(text)}


_NONE = {"cann": {"zh": "本机未找到 CANN toolkit", "en": "no CANN toolkit found here"},
         "missing": {"zh": "本机未安装", "en": "not installed here"},
         "broken": {"zh": "本机无法读取", "en": "unreadable here"}}
_IN = {"zh": "{version}（{python} 中）", "en": "{version} (in {python})"}
_NOT_IN = {"zh": "{python} 中未安装", "en": "not installed in {python}"}


def installed_version(name: str, lang: str = "en") -> str:
    """The version of ``name`` here (``cann``: the toolkit's), or a few words saying there is none."""
    lang = "zh" if lang == "zh" else "en"
    if name == "cann":
        from mindpilot.validators.probe.ascend import find_cann

        version = find_cann(Path("/"), os.environ)[0]
        return version or _NONE["cann"][lang]
    from importlib import metadata

    try:
        return metadata.version(name.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return _NONE["missing"][lang]
    except Exception:  # a broken distribution's metadata: say so, never fail the diagnosis
        return _NONE["broken"][lang]


def installed_for(texts: Iterable[str], known: Dict[str, str], lang: str = "en") -> Dict[str, str]:
    """``{installed_<name>: version}`` for the names ``texts`` ask for (``known`` caches answers)."""
    values = {}
    for name in names_in(texts):
        if name not in known:
            known[name] = installed_version(name, lang)
        values[f"installed_{name}"] = known[name]
    return values


def probed_versions(python: str, names: Iterable[str], lang: str = "en", timeout: float = 20.0,
                    environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """``{name: version}`` for ``names`` as the interpreter ``python`` has them (``cann``: the host's toolkit),
    each version followed by the interpreter it was read from; to seed :func:`installed_for`'s ``known``.

    Raises:
        ProbeError: the interpreter cannot be run or gives no valid answer (``doctor``'s probe).
    """
    from mindpilot.validators.probe.pyenv import probe_python

    lang = "zh" if lang == "zh" else "en"
    wanted = sorted({name for name in names if name != "cann"})
    answer = probe_python(python, timeout, environ, extra_packages=tuple(_dist(name) for name in wanted))
    where = answer.executable or python
    versions = {}
    for name in wanted:
        found = answer.packages.get(_dist(name))
        versions[name] = (_IN[lang].format(version=found.version, python=where) if found is not None
                          else _NOT_IN[lang].format(python=where))
    return versions


def _dist(name: str) -> str:
    """The PEP 503 name the probe reports a placeholder's package under: ``torch_npu`` -> ``torch-npu``."""
    return re.sub(r"[-_.]+", "-", name).lower()
