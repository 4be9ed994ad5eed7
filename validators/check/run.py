"""One ``check`` run: read each file, find its kind in the registry (:mod:`.kinds`), run that kind's rules, then
the rules that span files (a script's ``--worker_num`` against the config it launches; a MindSpeed-LLM training
script's TP/PP against the conversion script's)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from mindpilot.datafiles import DataFileError, InputBoundError, read_text
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.grpo import resolve_model_yaml, world_size
from mindpilot.validators.check.kinds import GRPO_KEYS, detect_kind, kind_label, kind_named
from mindpilot.validators.check.mindformers import check_mindformers_doc
from mindpilot.validators.check.parallel import Plan
from mindpilot.presets.config_facts import is_pynative, seq_length as config_seq_length
from mindpilot.validators.check.mindspeed_script import cross_check_convert
from mindpilot.validators.check.path_reads import as_launched
from mindpilot.validators.check.pynative import check_world
from mindpilot.validators.check.resources import PATH_RULES, check_paths
from mindpilot.validators.check.scripts import ScriptFacts, worker_vs_product
from mindpilot.validators.findings import Finding, sort_findings


class CheckReport:
    """What ``check`` found: each file with its kind, and the findings (worst first)."""

    def __init__(self) -> None:
        self.files: list[dict[str, str]] = []
        self.findings: list[Finding] = []

    def to_dict(self) -> dict[str, Any]:
        files = [{**entry, "schema": kind_label(entry.get("kind", "unknown"))} for entry in self.files]
        return {"files": files, "findings": [f.to_dict() for f in self.findings]}


class CheckRun:
    """The state one ``run_check`` shares with each kind's rules: settings and findings (``ctx``), the report,
    the parsed documents and the scripts seen so far (for the checks that span files)."""

    def __init__(self, ctx: CheckContext, texts: dict[str, str]) -> None:
        self.ctx = ctx
        self.texts = texts
        self.report = CheckReport()
        self.docs: dict[str, ConfigDoc] = {}
        self.scripts: list[tuple[str, ScriptFacts]] = []
        self._checked_models: set[str] = set()

    def check_model_yaml(self, model_path: str, role: str = "") -> None:
        """Check a MindFormers YAML another config points at (once per run, and not if it is checked anyway)."""
        resolved = str(Path(model_path).resolve())
        if resolved in self._checked_models or any(str(Path(p).resolve()) == resolved for p in self.texts):
            return
        self._checked_models.add(resolved)
        try:
            doc = ConfigDoc.load(model_path)
        except InputBoundError:
            raise
        except DataFileError as exc:
            self.ctx.add("yaml.parse_error", model_path, exc.line, message=exc.message)
            return
        ctx = self.ctx
        sub = CheckContext(cards=None, hbm_gb=ctx.hbm_gb, skip_paths=ctx.skip_paths, lang=ctx.lang)
        check_mindformers_doc(doc, sub)
        ctx.findings.extend(sub.findings)
        self.report.files.append({"file": model_path, "kind": "mindformers", "referenced_by": role})

    def parse(self, path: str, text: str, forced: Optional[str]) -> tuple[bool, Any]:
        """Parse ``path`` as YAML if its kind wants it: ``(usable, data)``; an unusable file is reported here."""
        if forced is None and not path.lower().endswith((".yaml", ".yml")):
            return True, None
        if forced is not None:
            kind = kind_named(forced)
            if kind is None or not kind.parses_yaml or kind.check is None:
                return True, None
        try:
            doc = ConfigDoc(path, text)
        except InputBoundError:
            raise
        except DataFileError as exc:
            self.ctx.add("yaml.parse_error", path, exc.line, message=exc.message)
            self.report.files.append({"file": path, "kind": forced or "yaml"})
            return False, None
        if not isinstance(doc.data, dict):  # empty, a list or a scalar: the framework fails on it
            self.ctx.add("yaml.not_a_mapping", path, 1, **_not_a_mapping(doc.data))
            self.report.files.append({"file": path, "kind": forced or "yaml"})
            return False, None
        self.docs[path] = doc
        return True, doc.data

    def check_file(self, path: str, text: str, forced: Optional[str]) -> None:
        """Read ``path`` as its kind (``forced`` or detected) and run that kind's rules."""
        usable, data = self.parse(path, text, forced)
        if not usable:
            return
        name = forced or detect_kind(path, text, data)
        self.report.files.append({"file": path, "kind": name})
        kind = kind_named(name)
        if kind is None or kind.check is None:
            self.ctx.add("yaml.unknown_kind", path, None)
            return
        kind.check(self, path, text, self.docs.get(path))


def _not_a_mapping(data: Any) -> dict[str, str]:
    """The ``what`` words of ``yaml.not_a_mapping`` for what the file holds instead of a mapping."""
    if data is None:
        return {"what_en": "is empty (or only comments)", "what_zh": "是空的（或只有注释）"}
    if isinstance(data, list):
        return {"what_en": "is a list", "what_zh": "是一个列表"}
    return {"what_en": f"is a single value ({type(data).__name__})", "what_zh": f"只是单个值（{type(data).__name__}）"}


def _read(path: str) -> str:
    target = Path(path)
    if not target.is_file():
        raise DataFileError(path, None, None, "no such file" if not target.exists() else "not a file")
    return read_text(target)


def run_check(paths: Sequence[Union[str, Path]], cards: Optional[int] = None, hbm_gb: Optional[float] = None,
              skip_paths: bool = False, lang: str = "en", kinds: Optional[dict[str, str]] = None) -> CheckReport:
    """Check every file; a file that is missing raises :class:`DataFileError`, one that does not parse
    is reported as a ``yaml.parse_error`` finding. ``kinds`` forces a kind id per path."""
    ctx = CheckContext(cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
    run = CheckRun(ctx, {str(p): _read(str(p)) for p in paths})
    for path, text in run.texts.items():
        run.check_file(path, text, (kinds or {}).get(path))
    from mindpilot.validators.knowledge import load_learned

    if load_learned():  # releases learned on this machine: what the rules miss (most machines have none)
        from mindpilot.validators.check.learned import add_learned_notes

        add_learned_notes(run.report.files, run.docs, ctx)
    _cross_check(run.scripts, run.docs, ctx)
    run.report.findings = sort_findings(ctx.findings)
    return run.report


def _launched_config(path: str, facts: ScriptFacts, docs: dict[str, ConfigDoc]) -> Optional[ConfigDoc]:
    """The config a launch script runs: the one its command line names, else the only config checked."""
    if not facts.config:
        return next(iter(docs.values())) if len(docs) == 1 else None
    located = resolve_model_yaml(path, facts.config)
    if located is None:
        return None
    target = next((d for p, d in docs.items() if Path(p).resolve() == located.resolve()), None)
    if target is not None:
        return target
    try:
        return ConfigDoc.load(located)
    except DataFileError:
        return None


def _cross_check(scripts: list[tuple[str, ScriptFacts]], docs: dict[str, ConfigDoc], ctx: CheckContext) -> None:
    cross_check_convert(scripts, ctx)
    for path, facts in scripts:
        target = _launched_config(path, facts, docs) if facts.worker_num else None
        if target is None or not isinstance(target.data, dict):
            continue
        if is_pynative(target.data):
            _pynative_world(target, facts.worker_num, ctx)
        elif any(k in target.data for k in GRPO_KEYS):
            worker_vs_product(path, facts, world_size(target), target.path, ctx, kind="grpo")
        elif target.value("use_parallel") is True:
            worker_vs_product(path, facts, Plan(target).product, target.path, ctx)
        if any(doc is target for doc in docs.values()):
            _paths_as_launched(target, facts, ctx)


def _paths_as_launched(doc: ConfigDoc, facts: ScriptFacts, ctx: CheckContext) -> None:
    """The config's path findings again, for the run its launch command makes (``--run_mode predict`` reads the
    tokenizer, ``--train_dataset_dir`` replaces the YAML's dataset)."""
    launched = as_launched(doc.data, facts.run_args)
    if launched is doc.data or is_pynative(doc.data) or any(k in doc.data for k in GRPO_KEYS):
        return
    ctx.findings[:] = [f for f in ctx.findings if not (f.file == doc.path and f.rule in PATH_RULES)]
    view = copy.copy(doc)
    view.data = launched
    check_paths(view, ctx, config_seq_length(launched))


def _pynative_world(doc: ConfigDoc, workers: int, ctx: CheckContext) -> None:
    """A PyNative config launched on ``workers`` processes: its world size is that, whatever ``--cards`` says."""
    if ctx.cards == workers:
        return
    ctx.findings[:] = [f for f in ctx.findings if not (f.rule == "pynative.cards_unknown" and f.file == doc.path)]
    sub = CheckContext(cards=workers, hbm_gb=ctx.hbm_gb, skip_paths=ctx.skip_paths, lang=ctx.lang)
    check_world(doc, sub)
    ctx.findings.extend(sub.findings)


def check_files(paths: Sequence[Union[str, Path]], cards: Optional[int] = None, hbm_gb: Optional[float] = None,
                skip_paths: bool = False, lang: str = "en", kinds: Optional[dict[str, str]] = None) -> list[Finding]:
    """Findings for ``paths`` (worst first); see :func:`run_check`."""
    return run_check(paths, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang, kinds=kinds).findings
