"""One DryRun of a MindFormers config from start to verdict, as an iterator the CLI and the TUI both follow.

:func:`prepare_dryrun` says whether the config can be DryRun here (its layout, CANN, the checkout) and chooses
the ranks; :func:`follow_dryrun` starts the job and yields its console text, then the report and findings,
and keeps the result. ``check --dryrun``, ``plan --verify`` and the TUI's Plan step are thin adapters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from mindpilot.launch.dryrun import DEFAULT_RANK_TIMEOUT, ENTRY, cann_toolkit


class DryRunRefused(Exception):
    """This config cannot be DryRun here; ``environment`` is True when the host lacks CANN (exit 3, else 2)."""

    def __init__(self, message: str, environment: bool = False) -> None:
        super().__init__(message)
        self.environment = environment


@dataclass
class PreparedDryRun:
    """What the job needs, decided before it starts."""

    config: str
    python: str
    checkout: str
    layout: dict
    cards: int
    model: Optional[str]
    choices: list
    estimates: list = field(default_factory=list)
    """``plan``'s GB per stage for this layout (empty when the model or layout is unknown to the planner)."""


def prepare_dryrun(config: str, python: Optional[str], checkout: Optional[str], hbm: float, lang: str,
                   again: str) -> PreparedDryRun:
    """Check the config, the host and the checkout; choose the ranks and take ``plan``'s estimate.

    ``lang`` is unused here: a refusal's text is English; the CLI and the TUI say "no CANN" in their own words.

    Raises:
        DryRunRefused: a PyNative config, no layout, no CANN (``again`` is the command to run elsewhere), no
            ``run_mindformer.py`` in the checkout.
        DataFileError: the config is missing or does not parse.
    """
    from mindpilot.presets.config_facts import is_pynative, read_config
    from mindpilot.validators.dryrun import layout_of, ranks_to_run
    from mindpilot.validators.probe.pyenv import resolve_python

    document = read_config(config)
    if is_pynative(document):
        raise DryRunRefused(f"{config}: a PyNative (parallelism:) config; DryRun compiles graph-mode configs "
                            "(PyNative scripts need MindSpore's dryrun mock interface)")
    layout = layout_of(document)
    if layout is None:
        raise DryRunRefused(f"{config}: no parallel_config with positive integers; DryRun needs the layout")
    cards = layout["dp"] * layout["mp"] * layout["pp"] * layout["cp"]
    if cards > 1 and document.get("use_parallel") is not True:
        # Without use_parallel MindFormers builds a one-card job whatever RANK_SIZE says
        # (mindformers/core/context/build_context.py:69, 1.7.0): every rank would compile one stand-alone graph.
        raise DryRunRefused(f"{config}: parallel_config asks for {cards} cards but use_parallel is not True; "
                            "set use_parallel: True to DryRun the parallel job")
    if cann_toolkit() is None:
        raise DryRunRefused(f"DryRun needs the CANN toolkit (no NPU needed); on a host with CANN run: {again}",
                            environment=True)
    folder = str(Path(checkout or ".").expanduser().resolve())
    if not (Path(folder) / ENTRY).is_file():
        raise DryRunRefused(f"no {ENTRY} in {folder}: give the MindFormers checkout with --checkout DIR")
    model, estimates, stage_layers = stage_estimates(config, document, layout, hbm)
    return PreparedDryRun(config=config, python=resolve_python(python, os.environ), checkout=folder, layout=layout,
                          cards=cards, model=model, choices=ranks_to_run(cards, layout["pp"], stage_layers),
                          estimates=estimates)


def stage_estimates(config: str, document: Any, layout: dict, hbm: float) -> tuple[Optional[str], list, list]:
    """``(model name, GB per stage, layers per stage)`` of ``plan``'s estimate for this layout (empty if unknown)."""
    from mindpilot.presets.config_facts import interleave, seq_length_or_default
    from mindpilot.presets.memory import gb
    from mindpilot.presets.models import get_model
    from mindpilot.presets.planner import plan

    try:
        arch = get_model(config)
        candidates = plan(arch, layout["dp"] * layout["mp"] * layout["pp"] * layout["cp"], hbm_gb=hbm,
                          seq_len=seq_length_or_default(document), pp_interleave_num=interleave(document))
    except (KeyError, ValueError):
        return None, [], []
    wanted = tuple(layout[key] for key in ("dp", "mp", "pp", "cp"))
    for candidate in candidates:
        if (candidate.dp, candidate.mp, candidate.pp, candidate.cp) == wanted:
            return arch.name, [gb(stage.total) for stage in candidate.stages], list(candidate.stage_layers)
    return arch.name, [], []


def follow_dryrun(prepared: PreparedDryRun, lang: str, hbm: Optional[float] = None,
                  timeout: Optional[float] = None, stop: Callable[[], bool] = lambda: False,
                  ) -> Iterator[tuple[str, Any]]:
    """Start the job; yield ``("started", record)``, ``("text", console text)``..., then ``("done", (report,
    findings))`` once it ended (nothing more when ``stop()`` ends the watch: the job goes on).

    ``hbm`` None: judge against the card MindSpore simulated ("Device MOC memory size"), else 64 GB.

    Raises:
        LaunchError: the job could not start.
    """
    from mindpilot.launch.tool_jobs import console_chunks
    from mindpilot.launch.dryrun import read_ranks, save_record, start_dryrun
    from mindpilot.validators.dryrun import DryRunReport, dryrun_findings

    record = start_dryrun(prepared.python, prepared.checkout, prepared.config, prepared.cards, prepared.choices,
                          timeout or DEFAULT_RANK_TIMEOUT)
    yield "started", record
    for record, text in console_chunks(record.id, chunk=1 << 20, stop=stop):  # noqa: B020 (one start)
        if text:
            yield "text", text
    if record.status not in ("succeeded", "failed", "stopped", "lost"):
        return  # stopped watching; the job goes on
    ranks = read_ranks(record, prepared.choices)
    device = next((rank.device_mb for rank in ranks if rank.device_mb), None)
    card = hbm if hbm is not None else (device / 1024 if device else 64.0)
    for rank in ranks:
        rank.estimate_gb = prepared.estimates[rank.stage] if rank.stage < len(prepared.estimates) else None
    report = DryRunReport(config=str(Path(prepared.config).resolve()),
                          model=prepared.model or Path(prepared.config).stem, cards=prepared.cards,
                          layout=prepared.layout, hbm_gb=card, ranks=ranks, job=record.id)
    try:
        save_record(report)
    except OSError:  # an unsafe or full data directory: the verdict stands, only the record is lost
        pass
    yield "done", (report, dryrun_findings(report, lang))
