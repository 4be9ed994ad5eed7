"""Host facts: CPUs, memory, free disk of the work directory, and ModelArts detection."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from mindpilot.validators.probe.ascend import under
from mindpilot.validators.probe.facts import HostInfo

MODELARTS_HOME = "/home/ma-user"
MODELARTS_WORK = "/home/ma-user/work"

_GIB = 1024 ** 3


def is_modelarts(root: Path, environ: Mapping[str, str]) -> bool:
    """A ModelArts notebook: the ``ma-user`` home exists, or ``MA_*`` variables are set."""
    return under(root, MODELARTS_HOME).is_dir() or any(name.startswith("MA_") for name in environ)


def host_info(root: Path, modelarts: bool) -> HostInfo:
    """CPU count, total memory and free disk (of ``/home/ma-user/work`` on ModelArts, else cwd)."""
    import psutil

    work = under(root, MODELARTS_WORK)
    work_dir = work if modelarts and work.is_dir() else Path(os.getcwd())
    info = HostInfo(cpus=psutil.cpu_count(), work_dir=str(work_dir))
    try:
        info.mem_gb = round(psutil.virtual_memory().total / _GIB, 1)
    except (OSError, RuntimeError):
        pass
    try:
        info.disk_free_gb = round(psutil.disk_usage(str(work_dir)).free / _GIB, 1)
    except OSError:
        pass
    return info
