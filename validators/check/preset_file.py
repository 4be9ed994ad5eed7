"""``mindpilot check PRESET``: the preset, every file it names, and the card counts across all of them.

A preset says ``cards: 2``; its config says ``dp*mp*pp``; its MindSpeed-LLM arguments say TP and PP; its
conversion script says the TP/PP the weights were cut for; ``--cards`` says what CI expects. Each of
these is checked against the preset's card count, the config and scripts go through the same rules as
``check FILE``, and (unless ``skip_paths``) the script, tokenizer and inputs must exist. An invalid
preset is a finding with its file and line, so a CI report shows it where it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from mindpilot.validators.check import CheckReport, run_check
from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.datafiles import DataFileError, InputBoundError, line_of, read_text, read_yaml
from mindpilot.validators.findings import sort_findings

PARALLEL_KEYS = ("data_parallel", "model_parallel", "pipeline_stage", "context_parallel")


_TOP_LEVEL_SCRIPT = re.compile(r'^["\']?script["\']?[ \t]*:', re.MULTILINE)


def is_preset_target(target: str) -> bool:
    """A built-in preset name, or a YAML/JSON file with a top-level ``script`` key (no framework config has one).

    Decided from the text, without parsing it: a hostile file is parsed (and refused) once, by the check.
    """
    from mindpilot.presets.preset import builtin_presets

    path = Path(target)
    if not path.exists():
        return target in builtin_presets()
    if not path.is_file() or not target.lower().endswith((".yaml", ".yml", ".json")):
        return False
    try:
        text = read_text(path)
    except DataFileError:
        return False  # `check` reports it as it does for any file
    if target.lower().endswith(".json"):
        return text.lstrip().startswith("{") and '"script"' in text
    return _TOP_LEVEL_SCRIPT.search(text) is not None


def check_targets(targets: Sequence[Union[str, Path]], cards: Optional[int] = None, hbm_gb: Optional[float] = None,
                  skip_paths: bool = False, lang: str = "en") -> CheckReport:
    """:func:`run_check` over the config and script files, :func:`check_preset_target` over the presets."""
    names = [str(t) for t in targets]
    presets = [name for name in names if is_preset_target(name)]
    others = [name for name in names if name not in presets]
    report = run_check(others, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang) if others \
        else CheckReport()
    for name in presets:
        sub = check_preset_target(name, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
        report.files += sub.files
        report.findings += sub.findings
    report.findings = sort_findings(report.findings)
    return report


def check_preset_target(target: str, cards: Optional[int] = None, hbm_gb: Optional[float] = None,
                        skip_paths: bool = False, lang: str = "en") -> CheckReport:
    """Load the preset ``target`` (built-in name or file) and check it; a load error becomes a finding."""
    from mindpilot.presets.preset import builtin_presets, load_preset

    source = str(builtin_presets()[target]) if not Path(target).exists() else target
    try:
        preset = load_preset(source)
    except InputBoundError:
        raise  # past a bound (size, depth, aliases): one line and exit 2, as for any file
    except DataFileError as exc:
        ctx = CheckContext(lang=lang)
        message = f"{exc.key}: {exc.message}" if exc.key else exc.message
        ctx.add("preset.invalid", exc.file, exc.line, message=message)
        report = CheckReport()
        report.files.append({"file": source, "kind": "preset"})
        report.findings = ctx.findings
        return report
    return check_preset(preset, source, cards=cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)


def check_preset(preset: Any, source: str = "preset", cards: Optional[int] = None, hbm_gb: Optional[float] = None,
                 skip_paths: bool = False, lang: str = "en") -> CheckReport:
    """Check a :class:`~mindpilot.presets.preset.Preset` (from a file, or built in a TUI session).

    Relative paths are relative to the preset's ``workdir`` (else the current directory), as at launch.
    """
    ctx = CheckContext(cards=preset.cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
    document = _document(source)

    def where(*keys: Union[str, int]) -> Optional[int]:
        return line_of(document, list(keys)) if document is not None else None

    report = CheckReport()
    report.files.append({"file": source, "kind": "preset", "cards": preset.cards})
    if cards is not None and cards != preset.cards:
        ctx.add("preset.cards_flag", source, where("cards"), cards=cards, preset_cards=preset.cards)
    _layout_findings(preset, source, where, ctx)
    cwd = Path(preset.workdir).expanduser() if preset.workdir else Path.cwd()
    checked: list[str] = []
    named = ([("config", preset.config, ["config"])] if preset.config else []) + \
        [("related", value, ["related_files", i]) for i, value in enumerate(preset.related_files)]
    for what, raw, keys in named:
        path = _absolute(preset.resolve(raw), cwd)
        if path.is_file():
            checked.append(str(path))
        else:  # the files check reads must be there even on CI: they are what it checks
            ctx.add("preflight.path_missing", source, where(*keys), what=_label(what, lang), path=path, cwd=cwd)
    script = _absolute(preset.resolve(preset.script), cwd)
    if script.suffix == ".sh" and script.is_file():  # a launch script (MindSpeed-LLM's, run with bash): its rules too
        checked.append(str(script))
    if checked:
        sub = run_check(checked, cards=preset.cards, hbm_gb=hbm_gb, skip_paths=skip_paths, lang=lang)
        report.files += sub.files
        ctx.findings += sub.findings
        _config_parallel(preset, checked[0] if preset.config else None, source, where, ctx)
    _mindspeed_findings(preset, source, where, checked, ctx)
    _config_argument(preset, source, where, cwd, ctx)
    if not skip_paths:
        _path_findings(preset, source, where, cwd, ctx)
    report.findings = sort_findings(ctx.findings)
    return report


def _document(source: str) -> Any:
    """The preset file's ruamel document (for line numbers); None for a session-built preset or JSON."""
    if not source.lower().endswith((".yaml", ".yml")) or not Path(source).is_file():
        return None
    try:
        return read_yaml(source)
    except DataFileError:
        return None


def _absolute(path: str, cwd: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else cwd / candidate


_LABELS = {"config": ("配置文件", "config file"), "related": ("相关文件", "related file"),
           "script": ("任务脚本", "task script"), "input": ("输入路径", "input path"),
           "output": ("输出检查点路径", "output checkpoint path"), "output dir": ("输出目录", "output directory")}


def _label(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def _layout_findings(preset: Any, source: str, where: Any, ctx: CheckContext) -> None:
    """Workers per node against the total, and the preset's own parallel product against its cards."""
    if preset.local_worker_num > preset.cards:
        ctx.add("preflight.local_exceeds_total", source, where("local_cards"), local=preset.local_worker_num,
                total=preset.cards)
    elif preset.nodes > 1 and preset.local_cards is None and preset.cards % preset.nodes:
        ctx.add("preflight.nodes_uneven", source, where("nodes"), total=preset.cards, nodes=preset.nodes)
    values = {k: v for k, v in preset.parallel.items() if k in PARALLEL_KEYS and v > 0}
    if values:
        product = 1
        for value in values.values():
            product *= value
        if product != preset.cards:
            formula = " x ".join(f"{k}={v}" for k, v in values.items()) + f" = {product}"
            ctx.add("preflight.parallel_mismatch", source, where("parallel"), product=product, cards=preset.cards,
                    formula=formula)


def _config_parallel(preset: Any, config: Optional[str], source: str, where: Any, ctx: CheckContext) -> None:
    """The preset's ``parallel`` against the MindFormers config's ``parallel_config`` (launch runs the config),
    and several workers against a config that is not parallel."""
    if not config:
        return
    try:
        document = read_yaml(config)
    except DataFileError:
        return  # reported by the config check
    section = document.get("parallel_config") if isinstance(document, dict) else None
    if isinstance(section, dict) and document.get("use_parallel") is False and preset.cards > 1:
        ctx.add("preset.config_not_parallel", config, line_of(document, ["use_parallel"]), cards=preset.cards,
                config=config)
    if not preset.parallel:
        return
    if not isinstance(section, dict):
        return
    for key, value in preset.parallel.items():
        have = section.get(key, 1)
        if key in PARALLEL_KEYS and have != value:
            ctx.add("preset.parallel_differs", source, where("parallel", key), key=key, preset_value=value,
                    config_value=f"{have} ({config}:{line_of(document, ['parallel_config', key]) or '?'})")


def _flag(args: list[str], name: str) -> Optional[str]:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _int_flag(args: list[str], name: str, default: Optional[int] = None) -> Optional[int]:
    value = _flag(args, name)
    return int(value) if value is not None and value.isdigit() else default


def _mindspeed_findings(preset: Any, source: str, where: Any, checked: list[str], ctx: CheckContext) -> None:
    """MindSpeed-LLM arguments: TP x PP x CP divides the cards, TP within a node, GBS, and the conversion's TP/PP."""
    args = list(preset.script_args)
    tp = _int_flag(args, "--tensor-model-parallel-size")
    if tp is None:
        return
    pp = _int_flag(args, "--pipeline-model-parallel-size", 1) or 1
    cp = _int_flag(args, "--context-parallel-size", 1) or 1
    ep = _int_flag(args, "--expert-model-parallel-size", 1) or 1
    line = where("script_args", args.index("--tensor-model-parallel-size")) \
        if "--tensor-model-parallel-size" in args else where("script_args")
    model_size = tp * pp * cp
    if preset.cards % model_size:
        ctx.add("preset.script_cards", source, line, cards=preset.cards, model_size=model_size)
        return
    if tp > preset.local_worker_num:
        ctx.add("mindspeed.tp_across_nodes", source, line, tp=tp, npus=preset.local_worker_num)
    mbs, gbs = _int_flag(args, "--micro-batch-size"), _int_flag(args, "--global-batch-size")
    dp = preset.cards // model_size
    if mbs and gbs and gbs % (mbs * dp):
        ctx.add("mindspeed.global_batch", source, line, gbs=gbs, mbs=mbs, dp=dp)
    from mindpilot.validators.check.scripts import check_script

    for path in checked:
        if not path.endswith(".sh"):
            continue
        facts = check_script(path, read_text(path), CheckContext(lang=ctx.lang))
        if facts.convert_tp_pp and (*facts.convert_tp_pp, facts.convert_ep) != (tp, pp, ep):
            ctx.add("mindspeed.convert_mismatch", source, line, tp=tp, pp=pp, ep=ep, ctp=facts.convert_tp_pp[0],
                    cpp=facts.convert_tp_pp[1], cep=facts.convert_ep, convert_file=path,
                    convert_line=facts.convert_line)


def _config_argument(preset: Any, source: str, where: Any, cwd: Path, ctx: CheckContext) -> None:
    """``--config X`` in the script arguments should be the preset's ``config``."""
    arg = _flag(list(preset.script_args), "--config")
    if not arg or not preset.config:
        return
    same = _absolute(preset.resolve(arg), cwd).resolve() == _absolute(preset.resolve(preset.config), cwd).resolve()
    if not same:
        ctx.add("preset.config_arg_differs", source, where("script_args"), arg=arg, config=preset.config)


def _path_findings(preset: Any, source: str, where: Any, cwd: Path, ctx: CheckContext) -> None:
    """The script, tokenizer and input paths exist, outputs are of the right kind (skipped with ``--skip-paths``:
    CI has no weights)."""
    from mindpilot.launch.preflight import tokenizer_findings

    script = _absolute(preset.resolve(preset.script), cwd)
    if not script.is_file():
        ctx.add("preflight.path_missing", source, where("script"), what=_label("script", ctx.lang), path=script,
                cwd=cwd)
    for index, raw in enumerate(preset.input_files):
        path = _absolute(preset.resolve(raw), cwd)
        if not path.exists():
            ctx.add("preflight.path_missing", source, where("input_files", index), what=_label("input", ctx.lang),
                    path=path, cwd=cwd)
    for index, raw in enumerate(preset.output_files):  # a checkpoint "file" that is a directory (IsADirectoryError)
        path = _absolute(preset.resolve(raw), cwd)
        if path.is_dir():
            ctx.add("preflight.path_is_directory", source, where("output_files", index),
                    what=_label("output", ctx.lang), path=path)
    for index, raw in enumerate(preset.output_dirs):
        path = _absolute(preset.resolve(raw), cwd)
        if path.exists() and not path.is_dir():
            ctx.add("preflight.path_is_file", source, where("output_dirs", index), what=_label("output dir", ctx.lang),
                    path=path)
    if preset.tokenizer_dir:
        for finding in tokenizer_findings(_absolute(preset.tokenizer_dir, cwd), preset.model or "", cwd, ctx.lang):
            finding.file, finding.line = finding.file or source, finding.line or where("tokenizer_dir")
            ctx.findings.append(finding)
