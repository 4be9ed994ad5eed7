"""Parse ``npu-smi info``: chips, health, HBM, and the process table.

Three real layouts exist: 910A/910B with an ``HBM-Usage(MB)`` column;
310P inference cards without HBM, whose second header row reads ``Chip    Device``; and outputs
followed by a process table or ``No running processes found in NPU N``. Rather than trusting
column positions, the parser reads ``|``-separated cells: a chip is a pair of rows, the first
``| <id> <name> | <health> | ...``, the second ``| <chip> [device] | <bus-id> | ... a / b [c / d]``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Mapping, Optional

from mindpilot.validators.probe.facts import Npu, NpuProcess, NpuSmiInfo
from mindpilot.validators.probe.subprocesses import ProcessTimeout, run_captured

_FIRST_ROW = re.compile(r"^(\d+)\s+(\S.*?)$")
_HEALTH = re.compile(r"^[A-Za-z][A-Za-z ]*$")
_SECOND_ROW = re.compile(r"^(\d+)(?:\s+(\d+))?$")
_BUS_ID = re.compile(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]$")
_PAIR = re.compile(r"(\d+)\s*/\s*(\d+)")
_VERSION = re.compile(r"npu-smi\s+(\S+)(?:\s+Version:\s*(\S+))?", re.IGNORECASE)
_NO_PROCESS = re.compile(r"No running processes found in NPU\s+(\d+)", re.IGNORECASE)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_npu_smi(text: str) -> NpuSmiInfo:
    """Parse the text of ``npu-smi info``; unknown lines are skipped, never fatal."""
    info = NpuSmiInfo()
    has_hbm_column = "HBM-Usage" in text
    in_process_table = False
    pending: Optional[tuple[int, str, str]] = None
    for raw in text.splitlines():
        line = raw.strip()
        version = _VERSION.search(line)
        if version and info.version is None:
            info.version = version.group(2) or version.group(1)
            continue
        if not line.startswith("|"):
            pending = None if not line.startswith("+") else pending
            continue
        cells = _cells(line)
        if "Process id" in line:
            in_process_table = True
            continue
        if in_process_table:
            _read_process_row(cells, info)
            continue
        first = _FIRST_ROW.match(cells[0]) if cells else None
        if first and len(cells) >= 2 and _HEALTH.match(cells[1]) and not _SECOND_ROW.match(cells[0]):
            pending = (int(first.group(1)), first.group(2).strip(), cells[1])
            continue
        second = _SECOND_ROW.match(cells[0]) if cells else None
        if pending and second and len(cells) >= 3 and _BUS_ID.match(cells[1]):
            npu_id, name, health = pending
            pairs = [(int(a), int(b)) for a, b in _PAIR.findall(" ".join(cells[2:]))]
            npu = Npu(id=npu_id, chip=int(second.group(1)), name=name, health=health, bus_id=cells[1])
            if pairs:
                npu.memory_used_mb, npu.memory_total_mb = pairs[0]
            if has_hbm_column and len(pairs) >= 2:
                npu.hbm_used_mb, npu.hbm_total_mb = pairs[1]
            info.npus.append(npu)
            pending = None
    return info


def _read_process_row(cells: list[str], info: NpuSmiInfo) -> None:
    if len(cells) < 4 or not cells[1].isdigit():
        return
    ids = cells[0].split()
    if not ids or not ids[0].isdigit():
        return
    memory = re.match(r"\d+", cells[3])
    info.processes.append(NpuProcess(npu=int(ids[0]), pid=int(cells[1]), name=cells[2],
                                     memory_mb=int(memory.group()) if memory else None))


FALLBACK_LOCATIONS = ("/usr/local/sbin/npu-smi", "/usr/local/bin/npu-smi", "/usr/bin/npu-smi")
"""Where the driver installs ``npu-smi`` when a user's ``PATH`` (ModelArts ``ma-user``) lacks it."""


def find_npu_smi(environ: Mapping[str, str], root: Path = Path("/")) -> Optional[str]:
    """``npu-smi`` on ``PATH``, else at the driver's usual locations under ``root``."""
    path = shutil.which("npu-smi", path=environ.get("PATH", ""))
    if path:
        return path
    for location in FALLBACK_LOCATIONS:
        candidate = root / location.lstrip("/")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def run_npu_smi(environ: Mapping[str, str], timeout: float = 10.0,
                root: Path = Path("/")) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """Run ``npu-smi info``; returns (path, output, problem), all None when there is no npu-smi."""
    path = find_npu_smi(environ, root)
    if path is None:
        return None, None, None
    try:
        done = run_captured([path, "info"], timeout=timeout, env=environ)
    except ProcessTimeout as exc:
        return path, None, str(exc)
    except OSError as exc:
        return path, None, f"npu-smi: {exc}"
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["failed"]
        return path, None, f"npu-smi info exited with {done.returncode}: {tail[0]}"
    return path, done.stdout, None


def read_npu_smi_file(path: Path) -> NpuSmiInfo:
    """Parse a saved ``npu-smi info`` output (the demo tree ships one)."""
    return parse_npu_smi(path.read_text(encoding="utf-8", errors="replace"))
