"""``mindpilot check``: find, before launch, the config mistakes MindFormers, MindRLHF and MindSpeed-LLM
only report after minutes of graph compilation on every card.

:func:`check_files` detects what each file is (MindFormers YAML with ``parallel_config:``, MindFormers 2.x
PyNative YAML with ``parallelism:``, GRPO config, launch script; see :data:`FILE_KINDS`), runs the rules of its
kind, then the rules that span files (a script's ``--worker_num`` against the config it
launches; a MindSpeed-LLM training script's TP/PP against the conversion script's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional, Sequence, Union

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.grpo import check_grpo_doc, resolve_model_yaml, world_size
from mindpilot.validators.check.mindformers import check_mindformers_doc, check_mindformers_yaml
from mindpilot.validators.check.mindspeed_rl import check_mindspeed_rl_doc, is_mindspeed_rl
from mindpilot.validators.check.parallel import Plan
from mindpilot.validators.check.pynative import check_pynative_doc, check_world, is_pynative
from mindpilot.validators.check.scripts import (ScriptFacts, check_script, cross_check_convert, is_launch_script,
                                                worker_vs_product)
from mindpilot.datafiles import DataFileError, InputBoundError, read_text
from mindpilot.validators.findings import Finding, sort_findings

__all__ = ["check_files", "check_mindformers_yaml", "run_check", "detect_kind", "match_kind", "kind_label",
           "register_kind", "FileKind", "FILE_KINDS", "CheckReport"]

MINDFORMERS_KEYS = ("parallel_config", "model", "trainer", "run_mode", "runner_config", "recompute_config",
                    "use_parallel", "train_dataset", "pretrained_model_dir")
GRPO_KEYS = ("rl_config", "actor_config", "generate_config", "ref_config")
GRPO_FLAT_KEYS = ("start_lr", "end_lr", "sft_model_path", "num_generations", "num_rollouts")
YAML_KINDS = ("mindformers", "mindformers_pynative", "grpo", "mindspeed_rl")
"""Kinds whose files are parsed as YAML before their rules run."""


class CheckReport:
    """What ``check`` found: each file with its kind, and the findings (worst first)."""

    def __init__(self) -> None:
        self.files: list[dict[str, str]] = []
        self.findings: list[Finding] = []

    def to_dict(self) -> dict[str, Any]:
        files = [{**entry, "schema": kind_label(entry.get("kind", "unknown"))} for entry in self.files]
        return {"files": files, "findings": [f.to_dict() for f in self.findings]}


class FileKind(NamedTuple):
    """One kind of file ``check`` recognises: its id, the schema it names to the user, and its test."""

    name: str
    """Stable id (``--json`` ``files[].kind``; rules are chosen by it)."""
    label_en: str
    """The schema the file was read as, in the summary line (``MindFormers 2.x PyNative YAML (parallelism:)``)."""
    label_zh: str
    matches: Callable[[str, str, Any], bool]
    """``(lower-case path, text, parsed YAML or None) -> bool``; the first kind that matches wins."""

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en


def _is_yaml(name: str, data: Any) -> bool:
    return name.endswith((".yaml", ".yml")) or data is not None


def _is_mindspeed_rl(name: str, text: str, data: Any) -> bool:
    return _is_yaml(name, data) and isinstance(data, dict) and ("megatron_training" in data or "defaults" in data)


def _is_grpo(name: str, text: str, data: Any) -> bool:
    if not _is_yaml(name, data) or not isinstance(data, dict):
        return False
    if any(key in data for key in GRPO_KEYS) or ("start_lr" in data or "sft_model_path" in data) \
            and "model" not in data and "parallel_config" not in data:
        return True
    return not any(key in data for key in MINDFORMERS_KEYS) and sum(key in data for key in GRPO_FLAT_KEYS) >= 2


def _is_mindformers(name: str, text: str, data: Any) -> bool:
    if not _is_yaml(name, data) or not isinstance(data, dict):
        return False
    # `model: Qwen/Qwen2.5-7B` alone is how vLLM and other serving configs start, not a MindFormers config
    return any(key in data for key in MINDFORMERS_KEYS if key != "model") or isinstance(data.get("model"), dict)


def _is_pynative(name: str, text: str, data: Any) -> bool:
    return _is_yaml(name, data) and is_pynative(data)


def _is_script(name: str, text: str, data: Any) -> bool:
    return not _is_yaml(name, data) and is_launch_script(text, name)


def _is_mindspeed_rl_config(name: str, text: str, data: Any) -> bool:
    return _is_yaml(name, data) and isinstance(data, dict) and is_mindspeed_rl(data)


FILE_KINDS: list[FileKind] = [
    FileKind("mindspeed_rl", "MindSpeed-RL config (hydra)", "MindSpeed-RL 配置（hydra）", _is_mindspeed_rl_config),
    # Other hydra/Megatron YAML uses the same section names with another schema: not checked, said so
    FileKind("unknown", "Megatron/hydra YAML (not checked)", "Megatron/hydra YAML（未检查）", _is_mindspeed_rl),
    FileKind("grpo", "MindRLHF GRPO config", "MindRLHF GRPO 配置", _is_grpo),
    FileKind("mindformers_pynative", "MindFormers 2.x PyNative YAML (parallelism:)",
             "MindFormers 2.x PyNative YAML（parallelism:）", _is_pynative),
    FileKind("mindformers", "MindFormers YAML (parallel_config:)", "MindFormers YAML（parallel_config:）",
             _is_mindformers),
    FileKind("script", "launch script", "启动脚本", _is_script),
]
"""Every kind ``check`` knows, in the order they are tried; add a kind with :func:`register_kind`."""

UNKNOWN_LABELS = {"en": "schema not recognised", "zh": "不认识的格式"}
OTHER_LABELS = {"yaml": {"en": "YAML that could not be read as a config", "zh": "无法作为配置读取的 YAML"}}
"""Kinds that are not in :data:`FILE_KINDS`: a file that does not parse, or is not a mapping."""


def register_kind(kind: FileKind, before: Optional[str] = None) -> None:
    """Add ``kind`` to :data:`FILE_KINDS`, tried before the kind named ``before`` (else last)."""
    names = [k.name for k in FILE_KINDS]
    FILE_KINDS.insert(names.index(before) if before in names else len(FILE_KINDS), kind)


def match_kind(path: str, text: str, data: Any = None) -> Optional[FileKind]:
    """The first :class:`FileKind` that recognises the file, or None."""
    name = path.lower()
    return next((kind for kind in FILE_KINDS if kind.matches(name, text, data)), None)


def detect_kind(path: str, text: str, data: Any = None) -> str:
    """The id of the file's kind (``mindformers``, ``mindformers_pynative``, ``grpo``, ``mindspeed_rl``, ``script``) or ``unknown``."""
    kind = match_kind(path, text, data)
    return kind.name if kind else "unknown"


def kind_label(name: str, lang: str = "en") -> str:
    """The schema a kind id stands for, as the summary names it."""
    kind = next((k for k in FILE_KINDS if k.name == name and k.name != "unknown"), None)
    if kind:
        return kind.label(lang)
    labels = OTHER_LABELS.get(name, UNKNOWN_LABELS)
    return labels.get(lang, labels["en"])


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
    is reported as a ``yaml.parse_error`` finding."""
    ctx = CheckContext(cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
    report = CheckReport()
    docs: dict[str, ConfigDoc] = {}
    scripts: list[tuple[str, ScriptFacts]] = []
    checked_models: set[str] = set()
    texts = {str(p): _read(str(p)) for p in paths}

    def check_model_yaml(model_path: str, role: str = "") -> None:
        resolved = str(Path(model_path).resolve())
        if resolved in checked_models or any(str(Path(p).resolve()) == resolved for p in texts):
            return
        checked_models.add(resolved)
        try:
            doc = ConfigDoc.load(model_path)
        except InputBoundError:
            raise
        except DataFileError as exc:
            ctx.add("yaml.parse_error", model_path, exc.line, message=exc.message)
            return
        sub = CheckContext(cards=None, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
        check_mindformers_doc(doc, sub)
        ctx.findings.extend(sub.findings)
        report.files.append({"file": model_path, "kind": "mindformers", "referenced_by": role})

    for path, text in texts.items():
        kind = (kinds or {}).get(path)
        data = None
        if kind is None and path.lower().endswith((".yaml", ".yml")) or kind in YAML_KINDS:
            try:
                doc = ConfigDoc(path, text)
            except InputBoundError:
                raise
            except DataFileError as exc:
                ctx.add("yaml.parse_error", path, exc.line, message=exc.message)
                report.files.append({"file": path, "kind": kind or "yaml"})
                continue
            if not isinstance(doc.data, dict):  # empty, a list or a scalar: the framework fails on it
                ctx.add("yaml.not_a_mapping", path, 1, **_not_a_mapping(doc.data))
                report.files.append({"file": path, "kind": kind or "yaml"})
                continue
            docs[path] = doc
            data = doc.data
        kind = kind or detect_kind(path, text, data)
        report.files.append({"file": path, "kind": kind})
        if kind == "mindformers":
            check_mindformers_doc(docs[path], ctx)
        elif kind == "mindformers_pynative":
            check_pynative_doc(docs[path], ctx)
        elif kind == "grpo":
            check_grpo_doc(docs[path], ctx, check_model_yaml)
        elif kind == "mindspeed_rl":
            check_mindspeed_rl_doc(docs[path], ctx)
        elif kind == "script":
            scripts.append((path, check_script(path, text, ctx)))
        else:
            ctx.add("yaml.unknown_kind", path, None)
    from mindpilot.validators.knowledge import load_learned

    if load_learned():  # releases learned on this machine: what the rules miss (most machines have none)
        from mindpilot.validators.check.learned import add_learned_notes

        add_learned_notes(report.files, docs, ctx)
    _cross_check(scripts, docs, ctx)
    report.findings = sort_findings(ctx.findings)
    return report


def _cross_check(scripts: list[tuple[str, ScriptFacts]], docs: dict[str, ConfigDoc], ctx: CheckContext) -> None:
    cross_check_convert(scripts, ctx)
    for path, facts in scripts:
        if not facts.worker_num:
            continue
        target: Optional[ConfigDoc] = None
        if facts.config:
            located = resolve_model_yaml(path, facts.config)
            if located is not None:
                target = next((d for p, d in docs.items() if Path(p).resolve() == located.resolve()), None)
                if target is None:
                    try:
                        target = ConfigDoc.load(located)
                    except DataFileError:
                        target = None
        elif len(docs) == 1:
            target = next(iter(docs.values()))
        if target is None:
            continue
        if isinstance(target.data, dict) and is_pynative(target.data):
            _pynative_world(target, facts.worker_num, ctx)
        elif isinstance(target.data, dict) and any(k in target.data for k in GRPO_KEYS):
            worker_vs_product(path, facts, world_size(target), target.path, ctx, kind="grpo")
        elif isinstance(target.data, dict) and target.value("use_parallel") is True:
            worker_vs_product(path, facts, Plan(target).product, target.path, ctx)


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
