"""MindSpore's DryRun of a MindFormers config: which ranks to compile, with which environment, and what they said.

``plan`` ranks layouts by our memory estimate; MindSpore can answer for itself. With ``MS_SIMULATION_LEVEL=1``
it mocks the device, compiles one rank's graph on the host CPU (CANN needed, no NPU) and, with ``GLOG_v=1``,
prints the rank's memory (MindSpore tutorial "DryRun", r2.5 to r2.10)::

    Device MOC memory size: 65536M
    MindSpore Used memory size: 59392M
    Used peak memory usage (without fragments): 23716M
    Actual peak memory usage (with fragments): 26244M

Ranks of one pipeline stage compile the same graph, so one rank per distinct stage is enough. This module is
pure: it chooses ranks, builds each rank's environment, reads a rank's log and turns results into findings;
:mod:`mindpilot.launch.dryrun` runs the job.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Optional

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding
from mindpilot.validators.selftest import quote

SIMULATION_LEVEL = "1"
"""Compile plus every operator's input and output memory, CPU only (level 2 also needs the cards' compute)."""
MARK = "mindpilot-dryrun:"
"""Prefix of the driver's progress lines on the job's console."""
_MEMORY = {
    "device_mb": re.compile(r"Device MOC memory size: (\d+)M"),
    "usable_mb": re.compile(r"MindSpore Used memory size: (\d+)M"),
    "peak_mb": re.compile(r"Used peak memory usage \(without fragments\): (\d+)M"),
    "actual_peak_mb": re.compile(r"Actual peak memory usage \(with fragments\): (\d+)M"),
}
_ERROR = re.compile(r"^(?:\[ERROR\].*|[A-Za-z_][\w.]*(?:Error|Exception): .*)$")
MAX_LOG_LINES = 200_000_000
"""A bound on lines read from one rank's log; with ``GLOG_v=1`` the memory lines come last, after millions."""


def rank_env(rank: int, rank_size: int) -> dict[str, str]:
    """The variables one rank's DryRun needs, on top of the user's environment.

    Under ``MS_SIMULATION_LEVEL`` MindSpore takes the rank and the world size from ``RANK_ID`` and ``RANK_SIZE``
    (mindspore/communication/_comm_helper.py ``_get_rank_helper``, ``_get_size_helper``, 2.7.1) and skips the
    rank table check (management.py ``_check_parallel_envs``); ``GLOG_v=1`` prints the memory lines at INFO.
    """
    return {"MS_SIMULATION_LEVEL": SIMULATION_LEVEL, "RANK_SIZE": str(rank_size), "RANK_ID": str(rank),
            "GLOG_v": "1"}


@dataclass(frozen=True)
class RankChoice:
    """One rank to compile and the pipeline stage it stands for."""

    rank: int
    stage: int


def ranks_to_run(cards: int, pp: int, stage_layers: Optional[list[int]] = None) -> list[RankChoice]:
    """The first rank of every pipeline stage that differs: the first and the last stage always (embedding,
    head), a middle stage only when its layer count is new. Without pipeline, rank 0 and the last rank.

    MindSpore numbers ranks stage by stage: stage ``s`` holds ranks ``s*cards/pp`` to ``(s+1)*cards/pp - 1``.
    """
    if cards < 1 or pp < 1 or cards % pp:
        raise ValueError(f"{cards} cards cannot hold {pp} pipeline stages")
    per_stage = cards // pp
    if pp == 1:
        return [RankChoice(0, 0)] + ([RankChoice(cards - 1, 0)] if cards > 1 else [])
    layers = stage_layers if stage_layers and len(stage_layers) == pp else [0] * pp
    chosen, seen = [RankChoice(0, 0)], set()
    for stage in range(1, pp - 1):
        if layers[stage] not in seen:
            seen.add(layers[stage])
            chosen.append(RankChoice(stage * per_stage, stage))
    return chosen + [RankChoice((pp - 1) * per_stage, pp - 1)]


@dataclass
class RankResult:
    """What one rank's DryRun printed."""

    rank: int
    stage: int
    exit_code: Optional[int] = None
    device_mb: Optional[int] = None
    usable_mb: Optional[int] = None
    peak_mb: Optional[int] = None
    actual_peak_mb: Optional[int] = None
    error: str = ""
    """The first error line, when the rank failed."""
    log: str = ""
    estimate_gb: Optional[float] = None
    """``plan``'s estimate for this stage, when known."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_rank_log(lines: Iterable[str], rank: int, stage: int) -> RankResult:
    """The memory figures and the first error of one rank's log (one pass, bounded)."""
    result = RankResult(rank=rank, stage=stage)
    for count, line in enumerate(lines):
        if count >= MAX_LOG_LINES:
            break
        if "memory" in line:
            for key, pattern in _MEMORY.items():
                found = pattern.search(line)
                if found:
                    setattr(result, key, int(found.group(1)))
        if not result.error and ("ERROR" in line or "Error" in line or "Exception" in line):
            text = quote(line)
            if _ERROR.match(text) and "memory" not in text:
                result.error = text
    return result


@dataclass
class DryRunReport:
    """Every rank of one DryRun, and against what they were judged."""

    config: str
    model: str
    cards: int
    layout: dict[str, int]
    hbm_gb: float
    ranks: list[RankResult] = field(default_factory=list)
    job: str = ""

    def fits(self) -> bool:
        """Every rank compiled and its peak (with fragments) is within the card's memory."""
        return bool(self.ranks) and all(
            r.exit_code == 0 and r.actual_peak_mb is not None and r.actual_peak_mb / 1024 <= self.hbm_gb
            for r in self.ranks)

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "model": self.model, "cards": self.cards, "layout": self.layout,
                "hbm_gb": self.hbm_gb, "job": self.job, "fits": self.fits(),
                "ranks": [rank.to_dict() for rank in self.ranks]}


def _gb(mb: Optional[int]) -> str:
    return f"{mb / 1024:.1f}" if mb is not None else "?"


def dryrun_findings(report: DryRunReport, lang: str) -> list[Finding]:
    """Per stage: the framework's peak against the card and against our estimate; a failed rank's root cause."""
    findings: list[Finding] = []
    for rank in report.ranks:
        values = {"stage": rank.stage, "rank": rank.rank, "peak": _gb(rank.peak_mb),
                  "actual": _gb(rank.actual_peak_mb), "hbm": f"{report.hbm_gb:g}", "log": rank.log,
                  "estimate": f"{rank.estimate_gb:.1f}" if rank.estimate_gb is not None else "?",
                  "error": rank.error or "-", "code": rank.exit_code}
        extra = {"stage": rank.stage, "rank": rank.rank}
        if rank.exit_code is None:  # the job ended (stopped, killed) before the driver reached this rank
            findings.append(make_finding("dryrun.rank_not_run", lang, extra=extra, **values))
        elif rank.exit_code != 0:
            findings.append(make_finding("dryrun.rank_failed", lang, extra=extra, **values))
            findings += _diagnosed(rank.log, lang)
        elif rank.actual_peak_mb is None:
            findings.append(make_finding("dryrun.no_memory_lines", lang, file=rank.log or None, extra=extra,
                                         **values))
        else:
            fits = rank.actual_peak_mb / 1024 <= report.hbm_gb
            findings.append(make_finding("dryrun.stage_fits" if fits else "dryrun.stage_over", lang,
                                         extra=extra, **values))
    return findings


def _diagnosed(log: str, lang: str) -> list[Finding]:
    """The knowledge base's root cause in a failed rank's log (none when it knows nothing of it)."""
    if not log:
        return []
    from mindpilot.validators.kb.diagnose import DiagnoseInputError, diagnose_paths

    try:
        report = diagnose_paths([log], lang)
    except DiagnoseInputError:
        return []
    if report.root_cause is None:
        return []
    return [finding for finding in report.findings if finding.rule == report.root_cause.rule][:1]


def layout_of(document: Any) -> Optional[dict[str, int]]:
    """``dp``, ``mp``, ``pp``, ``cp`` of a graph-mode MindFormers YAML (``parallel_config``), or None."""
    section = document.get("parallel_config") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        return None
    values = {}
    for short, key in (("dp", "data_parallel"), ("mp", "model_parallel"), ("pp", "pipeline_stage"),
                       ("cp", "context_parallel")):
        value = section.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return None
        values[short] = value
    return values
