"""Ascend host facts read from files under a root: CANN toolkit, NNAL, driver, device nodes.

Everything is read relative to ``root`` (``/`` on a real host, a fake tree in tests and the demo),
so no NPU is needed to test it. Paths in the results are host paths (``/usr/local/Ascend/...``),
not the fake tree's location on disk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Optional

TOOLKIT_CANDIDATES = (
    "/usr/local/Ascend/ascend-toolkit/latest",
    "/usr/local/Ascend/cann/latest",
    "/home/ma-user/Ascend/ascend-toolkit/latest",
)
"""Where CANN toolkits are installed when ``ASCEND_HOME_PATH`` is not set."""
INFO_FILE = "ascend_toolkit_install.info"
NNAL_SET_ENV = "/usr/local/Ascend/nnal/atb/set_env.sh"
DRIVER_INFO = "/usr/local/Ascend/driver/version.info"
SOURCED_MARKERS = ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME", "ASCEND_OPP_PATH")
"""Variables that ``ascend-toolkit/set_env.sh`` exports; any of them means it was sourced."""

_VERSION_LINE = re.compile(r"^\s*(?:package_)?version\s*=\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def under(root: Path, host_path: str) -> Path:
    """The file that holds ``host_path`` when the host's ``/`` is ``root``."""
    return root / host_path.lstrip("/")


def read_version(path: Path) -> Optional[str]:
    """The ``version=`` value of an Ascend ``*.info`` file, None if absent or unreadable."""
    try:
        match = _VERSION_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return match.group(1) if match else None


def find_cann(root: Path, environ: Mapping[str, str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(version, info file host path, toolkit host path) of the CANN toolkit, or Nones.

    ``ASCEND_HOME_PATH`` wins (what ``set_env.sh`` chose); then the usual install locations.
    The info file sits in ``<toolkit>/<arch>-linux/`` (``aarch64``, ``x86_64``; some installs show
    ``arm64-linux``), or directly in the toolkit directory on some versions.
    """
    homes = [environ[name] for name in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME") if environ.get(name)]
    for home in homes + list(TOOLKIT_CANDIDATES):
        directory = under(root, home)
        if not directory.is_dir():
            continue
        for info in sorted(directory.glob(f"*-linux/{INFO_FILE}")) + [directory / INFO_FILE]:
            version = read_version(info)
            if version:
                host_info = "/" + str(info.relative_to(root)) if root != Path("/") else str(info)
                return version, host_info, home
    return None, None, None


def nnal_present(root: Path) -> bool:
    """NNAL/ATB installed (MindSpeed-LLM sources its ``set_env.sh`` too)."""
    return under(root, NNAL_SET_ENV).is_file()


def driver_version(root: Path) -> Optional[str]:
    """Driver version from ``/usr/local/Ascend/driver/version.info``."""
    return read_version(under(root, DRIVER_INFO))


def davinci_count(root: Path) -> int:
    """Number of ``/dev/davinciN`` nodes (``davinci_manager`` is not a card)."""
    dev = under(root, "/dev")
    try:
        return sum(1 for entry in dev.iterdir() if re.fullmatch(r"davinci\d+", entry.name))
    except OSError:
        return 0


def set_env_sourced(environ: Mapping[str, str]) -> bool:
    """Whether the toolkit's ``set_env.sh`` has been sourced into this environment."""
    return any(environ.get(name) for name in SOURCED_MARKERS)
