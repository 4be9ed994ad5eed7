"""The kinds of file ``check`` recognises, in one ordered registry: each :class:`FileKind` says how to recognise
its files, how to name their schema, and which rules to run on them.

Adding a kind is one call to :func:`register_kind`; ``run_check`` (:mod:`.run`) dispatches through this registry
only, so a registered kind is checked like a built-in one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from mindpilot.validators.check.grpo import check_grpo_doc
from mindpilot.validators.check.mindformers import check_mindformers_doc
from mindpilot.validators.check.mindspeed_rl import check_mindspeed_rl_doc, is_mindspeed_rl
from mindpilot.presets.config_facts import is_pynative
from mindpilot.validators.check.pynative import check_pynative_doc
from mindpilot.validators.check.scripts import check_script, is_launch_script

if TYPE_CHECKING:
    from mindpilot.validators.check.document import ConfigDoc
    from mindpilot.validators.check.run import CheckRun

MINDFORMERS_KEYS = ("parallel_config", "model", "trainer", "run_mode", "runner_config", "recompute_config",
                    "use_parallel", "train_dataset", "pretrained_model_dir")
GRPO_KEYS = ("rl_config", "actor_config", "generate_config", "ref_config")
GRPO_FLAT_KEYS = ("start_lr", "end_lr", "sft_model_path", "num_generations", "num_rollouts")

CheckFunction = Callable[["CheckRun", str, str, Optional["ConfigDoc"]], None]
"""``(run, path, text, parsed document or None) -> None``: runs a kind's rules, adding findings to ``run.ctx``."""


class FileKind(NamedTuple):
    """One kind of file ``check`` recognises: its id, the schema it names to the user, its test and its rules."""

    name: str
    """Stable id (``--json`` ``files[].kind``)."""
    label_en: str
    """The schema the file was read as, in the summary line (``MindFormers 2.x PyNative YAML (parallelism:)``)."""
    label_zh: str
    matches: Callable[[str, str, Any], bool]
    """``(lower-case path, text, parsed YAML or None) -> bool``; the first kind that matches wins."""
    check: Optional[CheckFunction] = None
    """The kind's rules; None means the file is recognised but not checked (a ``yaml.unknown_kind`` note)."""
    parses_yaml: bool = True
    """Whether the file is parsed as YAML before ``check`` runs (a launch script is not)."""

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en


def _is_yaml(name: str, data: Any) -> bool:
    return name.endswith((".yaml", ".yml")) or data is not None


def _is_hydra(name: str, text: str, data: Any) -> bool:
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


def _check_mindformers(run: CheckRun, path: str, text: str, doc: Optional[ConfigDoc]) -> None:
    check_mindformers_doc(doc, run.ctx)


def _check_pynative(run: CheckRun, path: str, text: str, doc: Optional[ConfigDoc]) -> None:
    check_pynative_doc(doc, run.ctx)


def _check_grpo(run: CheckRun, path: str, text: str, doc: Optional[ConfigDoc]) -> None:
    check_grpo_doc(doc, run.ctx, run.check_model_yaml)


def _check_mindspeed_rl(run: CheckRun, path: str, text: str, doc: Optional[ConfigDoc]) -> None:
    check_mindspeed_rl_doc(doc, run.ctx)


def _check_script(run: CheckRun, path: str, text: str, doc: Optional[ConfigDoc]) -> None:
    run.scripts.append((path, check_script(path, text, run.ctx)))  # kept for the checks that span files


FILE_KINDS: list[FileKind] = [
    FileKind("mindspeed_rl", "MindSpeed-RL config (hydra)", "MindSpeed-RL 配置（hydra）", _is_mindspeed_rl_config,
             _check_mindspeed_rl),
    # Other hydra/Megatron YAML uses the same section names with another schema: not checked, said so
    FileKind("unknown", "Megatron/hydra YAML (not checked)", "Megatron/hydra YAML（未检查）", _is_hydra),
    FileKind("grpo", "MindRLHF GRPO config", "MindRLHF GRPO 配置", _is_grpo, _check_grpo),
    FileKind("mindformers_pynative", "MindFormers 2.x PyNative YAML (parallelism:)",
             "MindFormers 2.x PyNative YAML（parallelism:）", _is_pynative, _check_pynative),
    FileKind("mindformers", "MindFormers YAML (parallel_config:)", "MindFormers YAML（parallel_config:）",
             _is_mindformers, _check_mindformers),
    FileKind("script", "launch script", "启动脚本", _is_script, _check_script, parses_yaml=False),
]
"""Every kind ``check`` knows, in the order they are tried; add a kind with :func:`register_kind`."""

UNKNOWN_LABELS = {"en": "schema not recognised", "zh": "不认识的格式"}
OTHER_LABELS = {"yaml": {"en": "YAML that could not be read as a config", "zh": "无法作为配置读取的 YAML"}}
"""Kinds that are not in :data:`FILE_KINDS`: a file that does not parse, or is not a mapping."""


def register_kind(kind: FileKind, before: Optional[str] = None) -> None:
    """Add ``kind`` to :data:`FILE_KINDS`, tried before the kind named ``before`` (else last)."""
    names = [k.name for k in FILE_KINDS]
    FILE_KINDS.insert(names.index(before) if before in names else len(FILE_KINDS), kind)


def kind_named(name: Optional[str]) -> Optional[FileKind]:
    """The registered kind with id ``name`` (the first, for ``unknown``), or None."""
    return next((kind for kind in FILE_KINDS if kind.name == name), None)


def match_kind(path: str, text: str, data: Any = None) -> Optional[FileKind]:
    """The first :class:`FileKind` that recognises the file, or None."""
    name = path.lower()
    return next((kind for kind in FILE_KINDS if kind.matches(name, text, data)), None)


def detect_kind(path: str, text: str, data: Any = None) -> str:
    """The id of the file's kind (``mindformers``, ``mindformers_pynative``, ``grpo``, ``mindspeed_rl``, ``script``,
    or a registered one) or ``unknown``."""
    kind = match_kind(path, text, data)
    return kind.name if kind else "unknown"


def kind_label(name: str, lang: str = "en") -> str:
    """The schema a kind id stands for, as the summary names it."""
    kind = next((k for k in FILE_KINDS if k.name == name and k.name != "unknown"), None)
    if kind:
        return kind.label(lang)
    labels = OTHER_LABELS.get(name, UNKNOWN_LABELS)
    return labels.get(lang, labels["en"])
