"""Checks before msrun starts: each a finding with a fix; errors block the launch unless ``--force``.

Users lose minutes to hours on things a few syscalls can see: a port still held by the last run,
workers that outlived msrun, eight workers on a node with two cards, a checkpoint "file" that is a
directory (``IsADirectoryError``), a tokenizer download without ``merges.txt``. Texts:
``validators/data/rules/preflight.yaml``. The config YAML itself is judged by
``mindpilot.validators.check`` when it is installed (the seam is :func:`_config_findings`).
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
from pathlib import Path
from typing import Any, Optional

import psutil

from mindpilot.launch.command import MSRUN_DEFAULT_PORT, find_msrun
from mindpilot.launch.job_guard import JOB_ENV
from mindpilot.presets.preset import Preset
from mindpilot.validators.catalog import make_finding
from mindpilot.datafiles import DataFileError, read_yaml
from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.check.tokenizer import tokenizer_findings

PARALLEL_KEYS = ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel")
"""Factors of MindFormers' device_num check (check_rules.py; expert_parallel is not one)."""


def port_in_use(port: int, host: str = "") -> tuple[bool, Optional[int]]:
    """``(in use, pid of the listener when known)``: a listening socket, or a bind that fails."""
    owner = None
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                return True, conn.pid
    except (psutil.AccessDenied, OSError):
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE, owner
    finally:
        probe.close()
    return False, owner


def pick_free_port(host: str = "") -> int:
    """A port nobody listens on now (from the kernel's ephemeral range, always within 1024-65535)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def leftover_processes() -> list[psutil.Process]:
    """msrun processes and MindSpore scheduler/workers (``MS_ROLE`` set by msrun) still running."""
    mine = {os.getpid()}
    try:
        mine |= {p.pid for p in psutil.Process().parents()}
    except psutil.Error:
        pass
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if process.pid in mine:
            continue
        try:
            cmdline = process.info.get("cmdline") or []
            is_msrun = any(os.path.basename(part) == "msrun" for part in cmdline[:2])
            if is_msrun or process.environ().get("MS_ROLE") in ("MS_WORKER", "MS_SCHED"):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def preflight(preset: Preset, facts: Any = None, *, lang: str = "en", log_dir: Optional[str] = None,
              master_port: Optional[int] = None, probe_error: Optional[str] = None,
              msrun: Optional[str] = None, check_config: bool = True) -> list[Finding]:
    """Every preflight finding for launching ``preset`` on this node."""
    cwd = Path(preset.workdir).expanduser() if preset.workdir else Path.cwd()
    findings: list[Finding] = []
    if not (msrun or find_msrun()):
        findings.append(make_finding("preflight.msrun_missing", lang))
    if not preset.join:
        findings.append(make_finding("preflight.join_false", lang))
    findings += _port_findings(preset, master_port, lang)
    findings += _process_findings(lang)
    findings += _worker_findings(preset, facts, probe_error, lang)
    findings += _dir_findings(Path(log_dir or preset.log_dir), cwd, preset.min_free_gb, lang)
    findings += _path_findings(preset, cwd, lang)
    if preset.config and check_config:
        findings += _config_findings(_absolute(preset.resolve(preset.config), cwd), preset, facts, lang)
    return findings


def _port_findings(preset: Preset, master_port: Optional[int], lang: str) -> list[Finding]:
    port = master_port if master_port is not None else preset.master_port
    if port is None:
        port = MSRUN_DEFAULT_PORT  # what the command will use (command.msrun_flags)
    if (preset.node_rank or 0) != 0:
        return []  # the scheduler listens on the master node only
    busy, owner = port_in_use(port)
    if not busy:
        return []
    who = (f"PID {owner}." if owner else "")
    return [make_finding("preflight.port_in_use", lang, port=port, free=pick_free_port(), owner=who)]


def _process_findings(lang: str) -> list[Finding]:
    left = [p for p in leftover_processes() if not _is_tracked_elsewhere(p)]
    if not left:
        return []
    pids = " ".join(str(p.pid) for p in left[:12])
    return [make_finding("preflight.leftover_processes", lang, count=len(left), pids=pids)]


def _is_tracked_elsewhere(process: psutil.Process) -> bool:
    # Processes of a job mindpilot still runs are not leftovers of a crashed run.
    try:
        return bool(process.environ().get(JOB_ENV)) and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, OSError):
        return False


def _worker_findings(preset: Preset, facts: Any, probe_error: Optional[str], lang: str) -> list[Finding]:
    findings = []
    local, total = preset.local_worker_num, preset.cards
    if local > total:
        findings.append(make_finding("preflight.local_exceeds_total", lang, local=local, total=total))
    elif preset.nodes > 1 and preset.local_cards is None and total % preset.nodes:
        findings.append(make_finding("preflight.nodes_uneven", lang, total=total, nodes=preset.nodes))
    if preset.nodes > 1 and _is_loopback(preset.master_addr):
        findings.append(make_finding("preflight.master_addr_loopback", lang, addr=preset.master_addr,
                                     nodes=preset.nodes))
    if preset.parallel:
        product, formula = _product(preset.parallel)
        if product != total:
            findings.append(make_finding("preflight.parallel_mismatch", lang, product=product, cards=total,
                                         formula=formula))
    if preset.device == "npu":
        npus = _npu_count(facts)
        if npus is None:
            findings.append(make_finding("preflight.npu_count_unknown", lang,
                                         reason=probe_error or "no NPU information from the probe"))
        elif npus == 0:
            findings.append(make_finding("preflight.no_npus", lang, local=local))
        elif local > npus:
            findings.append(make_finding("preflight.too_many_workers", lang, local=local, npus=npus))
        findings += _npu_process_findings(facts, lang)
    return findings


def _is_loopback(address: str) -> bool:
    """An address that means "this machine" on every node, so other nodes never reach the scheduler."""
    return address.lower() in ("localhost", "::1", "0.0.0.0") or address.startswith("127.")


def _npu_process_findings(facts: Any, lang: str) -> list[Finding]:
    """Processes the doctor's probe saw in npu-smi's process table."""
    if facts is None:
        return []
    processes = facts.get("npu_processes") if isinstance(facts, dict) else getattr(facts, "npu_processes", None)
    rows = []
    for process in processes or []:
        get = process.get if isinstance(process, dict) else (lambda key, p=process: getattr(p, key, None))
        if get("pid"):
            memory = f", {get('memory_mb')} MB" if get("memory_mb") else ""
            rows.append((int(get("pid")), f"{get('pid')} {get('name') or ''} (NPU {get('npu')}{memory})"))
    if not rows:
        return []
    return [make_finding("preflight.npu_busy", lang, count=len(rows), procs="; ".join(text for _, text in rows[:8]),
                         pids=" ".join(str(pid) for pid, _ in rows[:8]))]


def _product(parallel: dict[str, Any]) -> tuple[int, str]:
    product, parts = 1, []
    for key in PARALLEL_KEYS:
        value = parallel.get(key)
        if isinstance(value, int) and value > 0:
            product *= value
            parts.append(f"{key}={value}")
    return product, " x ".join(parts) + f" = {product}"


def _npu_count(facts: Any) -> Optional[int]:
    if facts is None:
        return None
    count = facts.get("npu_count") if isinstance(facts, dict) else getattr(facts, "npu_count", None)
    return count if isinstance(count, int) else None


_LABELS = {
    "script": ("任务脚本", "task script"), "config": ("配置文件", "config file"), "input": ("输入路径", "input path"),
    "output": ("输出检查点路径", "output checkpoint path"), "output dir": ("输出目录", "output directory"),
    "log_dir": ("日志目录", "log directory"), "tokenizer_dir": ("分词器目录", "tokenizer directory"),
}


def _label(key: str, lang: str) -> str:
    zh, en = _LABELS.get(key, (key, key))
    return zh if lang == "zh" else en


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _dir_findings(log_dir: Path, cwd: Path, min_free_gb: float, lang: str) -> list[Finding]:
    target = _absolute(str(log_dir), cwd)
    if target.exists() and not target.is_dir():
        return [make_finding("preflight.path_is_file", lang, what=_label("log_dir", lang), path=target)]
    existing = _nearest_existing(target)
    if not os.access(existing, os.W_OK | os.X_OK):
        return [make_finding("preflight.log_dir_not_writable", lang, path=target,
                             reason=f"{existing}: permission denied")]
    free_gb = shutil.disk_usage(existing).free / 1e9
    if free_gb < min_free_gb:
        return [make_finding("preflight.disk_low", lang, path=existing, free=round(free_gb, 1))]
    return []


def _absolute(path: str, cwd: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else cwd / candidate


def _path_findings(preset: Preset, cwd: Path, lang: str) -> list[Finding]:
    findings = []
    wants_file = [("script", preset.resolve(preset.script))]
    if preset.config:
        wants_file.append(("config", preset.resolve(preset.config)))
    for what, raw in wants_file:
        path = _absolute(raw, cwd)
        if not path.exists():
            findings.append(make_finding("preflight.path_missing", lang, what=_label(what, lang), path=path, cwd=cwd))
        elif path.is_dir():
            findings.append(make_finding("preflight.path_is_directory", lang, what=_label(what, lang), path=path))
    for raw in preset.input_files:
        path = _absolute(raw, cwd)
        if not path.exists():
            findings.append(make_finding("preflight.path_missing", lang, what=_label("input", lang), path=path, cwd=cwd))
    for raw in preset.output_files:
        path = _absolute(raw, cwd)
        if path.is_dir():
            findings.append(make_finding("preflight.path_is_directory", lang, what=_label("output", lang), path=path))
    for raw in preset.output_dirs:
        path = _absolute(raw, cwd)
        if path.exists() and not path.is_dir():
            findings.append(make_finding("preflight.path_is_file", lang, what=_label("output dir", lang), path=path))
    if preset.tokenizer_dir:
        findings += tokenizer_findings(_absolute(preset.tokenizer_dir, cwd), preset.model or "", cwd, lang)
    return findings


def _config_findings(path: Path, preset: Preset, facts: Any, lang: str) -> list[Finding]:
    if not path.is_file():
        if not path.exists() or path.is_dir():
            return []  # reported as path_missing / path_is_directory already
        import stat

        mode = path.stat().st_mode
        what = {"zh": "设备" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "管道（FIFO）或其他特殊文件",
                "en": "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a FIFO or another special file"}
        return [make_finding("preflight.config_not_regular", lang, file=str(path), path=path,
                             what=what.get(lang, what["en"]))]
    try:
        from mindpilot.validators.check import check_files
    except ImportError:
        return _own_config_product(path, preset, lang)
    hbm = facts.get("hbm_gb_per_card") if isinstance(facts, dict) else getattr(facts, "hbm_gb_per_card", None)
    return list(check_files([str(path)], cards=preset.cards, hbm_gb=hbm, lang=lang))


def _own_config_product(path: Path, preset: Preset, lang: str) -> list[Finding]:
    """Without the check engine: at least the YAML's dp x mp x pp (x cp) against worker_num."""
    try:
        document = read_yaml(path)
    except DataFileError:
        return [make_finding("preflight.config_check_unavailable", lang, path=path)]
    parallel = (document or {}).get("parallel_config") if isinstance(document, dict) else None
    findings = [make_finding("preflight.config_check_unavailable", lang, path=path)]
    if isinstance(parallel, dict):
        product, formula = _product(dict(parallel))
        if product != preset.cards:
            findings.append(make_finding("preflight.parallel_mismatch", lang, file=str(path), product=product,
                                         cards=preset.cards, formula=formula))
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    """The errors among ``findings`` (what ``--force`` overrides)."""
    return [f for f in findings if f.severity is Severity.ERROR]
