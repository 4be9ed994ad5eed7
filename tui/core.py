"""Thin adapters from the TUI to the core: one function per core call, imported lazily.

Screens call these from thread workers. Importing on first call keeps the app's start-up light, and
gives tests one seam to replace.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from mindpilot.fileio import write_atomic
from mindpilot.datafiles import package_path
from mindpilot.validators.report import DoctorReport
from mindpilot.validators.text.columns import short  # noqa: F401  (re-exported for the screens)

if TYPE_CHECKING:
    from mindpilot.tui.session import Session


def doctor(demo: bool, lang: str) -> DoctorReport:
    """``mindpilot doctor [--demo]``: probe and judge the environment."""
    from mindpilot.validators.doctor import run_doctor

    return run_doctor(demo=demo, lang=lang)


def doctor_argv(session: "Session") -> list[str]:
    """The CLI command that repeats the Environment step."""
    return ["mindpilot", "doctor", *(["--demo"] if session.demo else []), *lang_flag(session.lang)]


def lang_flag(lang: str) -> list[str]:
    """``--lang zh`` when the user works in Chinese (English needs no flag in CI logs)."""
    return ["--lang", "zh"] if lang == "zh" else []


def optional_int(text: str) -> Optional[int]:
    """An integer typed in a field, or None when the field is empty or not a number."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def optional_float(text: str) -> Optional[float]:
    """A number typed in a field, or None when the field is empty or not a number."""
    try:
        return float(text.strip())
    except ValueError:
        return None


def model_ids() -> list[str]:
    """Catalogue ids for the model picker."""
    from mindpilot.presets.models import catalogue

    return list(catalogue())


FRAMEWORKS = ("mindformers", "mindrlhf-grpo", "mindspeed-llm")
"""What the planner plans for (``presets.planner.FRAMEWORKS``); only MindFormers YAMLs can be applied."""


def plan(model: str, cards: int, hbm_gb: float, seq_len: int, lang: str = "en",
         framework: str = "mindformers", pp_interleave_num: int = 1) -> list[dict[str, Any]]:
    """``mindpilot plan``: candidates best first, each as ``Candidate.to_dict(lang)``."""
    from mindpilot.presets.models import get_model
    from mindpilot.presets.planner import plan as run_plan

    return [c.to_dict(lang) for c in run_plan(get_model(model), cards, hbm_gb=hbm_gb, seq_len=seq_len,
                                              framework=framework, pp_interleave_num=pp_interleave_num)]


def apply_candidate(path: str, candidate: dict[str, Any], dry_run: bool) -> str:
    """Write a candidate into the user's YAML (or only diff it); returns the unified diff."""
    from mindpilot.presets.yaml_apply import apply_plan

    return apply_plan(path, candidate.get("parallel_config") or {}, candidate.get("recompute_config") or {},
                      offset=candidate.get("offset"), micro_batch_num=candidate.get("micro_batch_num"),
                      dry_run=dry_run)


def plan_argv(session: "Session", seq_len: Optional[int] = None, apply_pick: Optional[int] = None) -> list[str]:
    """The CLI command that repeats the Plan step: read-only (it writes nothing) unless ``apply_pick`` is given.

    The read-only line names the YAML's sequence length and interleave itself, since without ``--apply`` the CLI
    does not read that YAML; ``apply_pick`` (the ``a`` action's candidate, 1-based) adds ``--pick N --apply YAML``.
    """
    from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH, file_seq_length
    from mindpilot.tui.acquiring import interleave

    model = session.model or "MODEL"
    argv = ["mindpilot", "plan", "--model", model]
    cards = session.cards or session.env_cards()
    hbm = session.hbm_gb or session.env_hbm_gb()
    # No NPU here and nothing typed yet: placeholders, as the step asks for them (never a silent 8 x 64 GB).
    argv += ["--cards", str(cards) if cards else "CARDS", "--hbm", f"{hbm:g}" if hbm else "GB"]
    writes = apply_pick is not None and bool(session.config_path) and session.framework == "mindformers"
    # the CLI reads seq_length (and the interleave) from the --apply YAML, else from a --model YAML
    read_from = session.config_path if writes else (model if model.endswith((".yaml", ".yml")) else None)
    if seq_len and seq_len != ((file_seq_length(read_from) if read_from else None) or DEFAULT_SEQ_LENGTH):
        argv += ["--seq-len", str(seq_len)]
    pp_interleave = interleave(session)
    if pp_interleave > 1 and read_from != session.config_path:
        argv += ["--pp-interleave", str(pp_interleave)]
    argv += ["--framework", session.framework]
    if writes:
        argv += ["--pick", str(apply_pick), "--apply", session.config_path]
    return argv + lang_flag(session.lang)


def memory_gb(candidate: dict[str, Any]) -> Optional[float]:
    """Memory per card of a candidate, whether the planner gives a number or a dict of terms."""
    value = candidate.get("memory_gb_per_card")
    if isinstance(value, dict):
        value = value.get("total", value.get("total_gb"))
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def usable_gb(candidate: dict[str, Any], hbm_gb: float) -> float:
    """The GB per card a candidate must fit in: the planner's usable HBM (as ``mindpilot plan`` shows), else HBM."""
    memory = candidate.get("memory_gb_per_card")
    try:
        return float(memory["usable"]) if isinstance(memory, dict) and memory.get("usable") else hbm_gb
    except (TypeError, ValueError):
        return hbm_gb


def layout(candidate: dict[str, Any]) -> dict[str, int]:
    """dp/mp/pp/cp/ep of a candidate from its MindFormers ``parallel_config``."""
    config = candidate.get("parallel_config") or {}
    return {
        "dp": int(config.get("data_parallel", 1)),
        "mp": int(config.get("model_parallel", 1)),
        "pp": int(config.get("pipeline_stage", 1)),
        "cp": int(config.get("context_parallel", 1)),
        "ep": int(config.get("expert_parallel", 1)),
    }


DEMO_CONFIG = "finetune_qwen2_5_7b.yaml"
"""The demo's MindFormers YAML (``tui/demo/``): a real Qwen2.5-7B config with two first-run mistakes."""


def demo_config() -> str:
    """A fresh, writable copy of the demo YAML (Plan may write into it), in this process's own demo directory.

    Each session has its own copy (concurrent demos never rewrite each other's), and a fresh copy drops the
    backups Plan's writes left of the previous one: they were backups of our own demo file, not the user's.
    """
    from mindpilot.tui.acquiring import demo_session_dir

    source = package_path("tui", "demo", DEMO_CONFIG)
    target = demo_session_dir() / DEMO_CONFIG
    for backup in list(target.parent.glob(DEMO_CONFIG + ".bak*"))[:MAX_DEMO_BACKUPS]:
        backup.unlink()
    write_atomic(target, source.read_text(encoding="utf-8"))
    return str(target)


MAX_DEMO_BACKUPS = 1000
"""Backups of the demo YAML removed at most per fresh copy (the loop is bounded, as any over a directory)."""


def check(paths: list[str], cards: Optional[int], hbm_gb: Optional[float], skip_paths: bool,
          lang: str) -> list[Any]:
    """``mindpilot check``: findings for config files and launch scripts (any input, as the CLI)."""
    from mindpilot.launch.router import analyse

    return analyse(paths, lang, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths).findings


def check_argv(session: "Session", paths: Optional[list[str]] = None, skip_paths: bool = False) -> list[str]:
    """The CLI command that repeats the Check step."""
    files = paths if paths else ([session.config_path] if session.config_path else ["FILE"])
    argv = ["mindpilot", "check", *files]
    cards = session.cards or session.env_cards()
    hbm = session.hbm_gb or session.env_hbm_gb()
    if cards:
        argv += ["--cards", str(cards)]
    if hbm:
        argv += ["--hbm", f"{hbm:g}"]
    if skip_paths:
        argv.append("--skip-paths")
    return argv + lang_flag(session.lang)


def diagnose(paths: list[str], lang: str) -> Any:
    """``mindpilot diagnose``: findings, root cause and consequences, through the CLI's router."""
    from mindpilot.launch.router import analyse

    return analyse(paths, lang)


def diagnose_argv(session: "Session", paths: Optional[list[str]] = None) -> list[str]:
    """The CLI command that repeats the Diagnose step."""
    files = paths if paths else ([session.log_dir] if session.log_dir else ["LOG_DIR"])
    return ["mindpilot", "diagnose", *files, *lang_flag(session.lang)]
