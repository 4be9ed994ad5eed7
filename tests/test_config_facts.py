"""One answer per fact about a MindFormers YAML: ``plan``, ``data``, ``check --fix`` and the TUI agree on each file.

Schema kind (MindFormers 2.x PyNative or graph mode), ``seq_length`` and pipeline interleave are asked of
MindFormers 1.x, 2.x graph-mode and 2.x PyNative configs shipped with MindFormers (``tests/data``, and the real
configs of ``../shared/corpus/configs`` when present). Each caller is run through its own entry point.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mindpilot.cli import main
from mindpilot.presets import config_facts
from mindpilot.presets.config_facts import DEFAULT_SEQ_LENGTH, interleave, is_pynative, read_config, seq_length

DATA = Path(__file__).parent / "data"
PYNATIVE = DATA / "mf2" / "configs" / "deepseek3" / "pretrain_deepseek3_1b_8p_pynative.yaml"
FILES = {
    "1.x finetune qwen2.5 8k": (DATA / "plan" / "finetune_qwen2_5_7b_8k.yaml", False, 8192, 1),
    "1.x legacy llama3 (no seq_length)": (DATA / "plan" / "legacy_llama3_70b.yaml", False, None, 1),
    "2.x graph telechat3 interleave 2": (DATA / "mf2" / "configs" / "telechat3" / "pretrain_telechat3_36b.yaml",
                                         False, 8192, 2),
    "2.x graph deepseek3 671b": (DATA / "mf2" / "configs" / "deepseek3" / "pretrain_deepseek3_671b.yaml",
                                 False, 4096, 2),
    "2.x PyNative deepseek3 1b": (PYNATIVE, True, 4096, 1),
}
"""name -> (file, PyNative?, seq_length, interleave) as MindFormers reads them."""


def _pynative_8192(tmp_path: Path) -> Path:
    """The shipped PyNative config training at 8192 with two virtual stages per card: the shape on which ``plan``
    read 8192 and ``data`` 4096."""
    text = PYNATIVE.read_text(encoding="utf-8")
    for old, new in (("\n  seq_length: 4096\n", "\n  seq_length: 8192\n"),
                     ("\n  pipeline_parallel_interleave_num: 1 ", "\n  pipeline_parallel_interleave_num: 2 ")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    target = tmp_path / "pretrain_deepseek3_1b_8192_pynative.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def _cli_json(capsys, *argv: str) -> dict:
    capsys.readouterr()
    main([*argv, "--json"])
    return json.loads(capsys.readouterr().out)


def _plan_sees(capsys, tmp_path: Path, config: Path) -> tuple[int, int]:
    """(seq_len, pp_interleave_num) ``mindpilot plan --apply CONFIG --dry-run`` plans for."""
    copy = tmp_path / ("plan-" + config.name)
    shutil.copy(config, copy)
    document = _cli_json(capsys, "plan", "--model", "qwen2.5-0.5b", "--cards", "8", "--apply", str(copy),
                         "--dry-run")
    assert document["candidates"], document
    interleaves = {c["pp_interleave_num"] for c in document["candidates"]}
    assert len(interleaves) == 1
    return document["seq_len"], interleaves.pop()


def _data_sees(capsys, tmp_path: Path, config: Path) -> int:
    """The ``seq_length`` ``mindpilot data --config CONFIG`` preprocesses to."""
    dataset = tmp_path / "alpaca_data.json"
    dataset.write_text('[{"instruction": "hi", "input": "", "output": "hello"}]', encoding="utf-8")
    model = tmp_path / "Qwen2.5-0.5B"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text('{"model_type": "qwen2"}', encoding="utf-8")
    document = _cli_json(capsys, "data", str(dataset), "--model-dir", str(model), "--config", str(config),
                         "--no-probe")
    return document["seq_length"]


def _check_fix_sees(monkeypatch, config: Path) -> tuple[int, int]:
    """(seq_len, pp_interleave_num) ``check --fix`` plans for."""
    from mindpilot.validators.check import fix

    seen = []
    real = fix.plan

    def recording_plan(*args, **kwargs):
        seen.append((kwargs["seq_len"], kwargs["pp_interleave_num"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(fix, "plan", recording_plan)
    fix.best_candidate(str(config), 8, 64)
    assert len(seen) == 1
    return seen[0]


def _tui_sees(config: Path) -> tuple[int, int, list[str]]:
    """(seq_length, interleave, the CLI line it shows) of the TUI's Data and Plan steps for a session on CONFIG."""
    from mindpilot.tui import acquiring, core
    from mindpilot.tui.session import Session

    session = Session(config_path=str(config), model="qwen2.5-0.5b", cards=8, hbm_gb=64)
    seq = acquiring.seq_length(session)
    return seq, acquiring.interleave(session), core.plan_argv(session, seq)


def _all_agree(capsys, monkeypatch, tmp_path: Path, config: Path, seq: int, pp_interleave: int,
               check: bool = True) -> None:
    assert _plan_sees(capsys, tmp_path, config) == (seq, pp_interleave)
    assert _data_sees(capsys, tmp_path, config) == seq
    if check:
        assert _check_fix_sees(monkeypatch, config) == (seq, pp_interleave)
    tui_seq, tui_interleave, argv = _tui_sees(config)
    assert (tui_seq, tui_interleave) == (seq, pp_interleave)
    assert _cli_line_plans(capsys, argv) == (seq, pp_interleave)  # the line the step shows plans the same


def _cli_line_plans(capsys, argv: list) -> tuple[int, int]:
    """(seq_len, pp_interleave_num) the Plan step's own CLI line plans for, run through the real CLI."""
    assert argv[0] == "mindpilot" and "--apply" not in argv  # the line shown to compare writes nothing
    document = _cli_json(capsys, *argv[1:])
    interleaves = {c["pp_interleave_num"] for c in document["candidates"]}
    assert len(interleaves) == 1
    return document["seq_len"], interleaves.pop()


@pytest.mark.parametrize("name", FILES)
def test_each_fact_has_the_value_mindformers_reads(name):
    path, pynative, seq, pp_interleave = FILES[name]
    document = read_config(path)
    assert is_pynative(document) is pynative
    assert seq_length(document) == seq
    assert interleave(document) == pp_interleave


@pytest.mark.parametrize("name", FILES)
def test_plan_data_check_and_tui_agree_on_shipped_configs(capsys, monkeypatch, tmp_path, name):
    path, _, seq, pp_interleave = FILES[name]
    _all_agree(capsys, monkeypatch, tmp_path, path, seq or DEFAULT_SEQ_LENGTH, pp_interleave)


def test_plan_data_check_and_tui_agree_on_a_pynative_config_at_8192(capsys, monkeypatch, tmp_path):
    config = _pynative_8192(tmp_path)
    assert is_pynative(read_config(config))
    _all_agree(capsys, monkeypatch, tmp_path, config, 8192, 2)


async def test_the_tui_plan_step_plans_with_the_yamls_length_and_interleave(capsys, monkeypatch, tmp_path):
    from textual.widgets import Input

    from mindpilot.tui import core
    from mindpilot.tui.screens.plan import PlanScreen
    from mindpilot.tui.session import Session
    from tui_apps.fakes import fake_candidates, fake_report
    from tui_apps.harness import ScreenHarness, settle

    calls = []
    monkeypatch.setattr(core, "plan", lambda *args: calls.append(args) or fake_candidates())
    config = _pynative_8192(tmp_path)
    session = Session(demo=True, env_report=fake_report(), config_path=str(config))
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#seq", Input).value == "8192"
        assert calls and calls[-1][3] == 8192 and calls[-1][6] == 2  # seq_len, pp_interleave_num
        argv = app.screen.cli_argv()
    assert _cli_line_plans(capsys, argv) == (8192, 2)


def test_the_corpus_configs_agree(shared_dir, capsys, monkeypatch, tmp_path):
    configs = sorted((shared_dir / "corpus" / "configs").glob("mindformers_*.yaml"))
    if not configs:
        pytest.skip("no MindFormers configs in ../shared/corpus/configs")
    seen = set()
    for config in configs:
        document = read_config(config)
        seq, pp_interleave = config_facts.seq_length_or_default(document), interleave(document)
        seen.add(seq)
        _all_agree(capsys, monkeypatch, tmp_path, config, seq, pp_interleave, check=False)
    assert {4096, 8192, 32768} <= seen


@pytest.mark.parametrize("document, expected", [
    ({"model": {"model_config": {"pp_interleave_num": 3}}}, 1),  # interleave off: MindFormers sets it to 1
    ({"model": {"model_config": {"pp_interleave_num": 3}}, "parallel": {"pipeline_config": {
        "pipeline_interleave": True}}}, 3),
    ({"model": {"model_config": {"pp_interleave_num": 2}}, "parallel": {"pipeline_config": {
        "pipeline_scheduler": "seqvpp"}}}, 2),
    ({"model": {"model_config": {"pp_interleave_num": 2}}, "use_legacy": False}, 2),
    ({"parallelism": {"pipeline_parallel_interleave_num": 4}}, 4),
    ({"parallelism": {"pipeline_parallel_interleave_num": True}}, 1),
    ({"parallel_config": {}, "parallelism": {"pipeline_parallel_interleave_num": 4}}, 1),  # graph mode wins
    ("not a mapping", 1),
])
def test_interleave_rules(document, expected):
    assert interleave(document) == expected


def test_seq_length_ignores_what_is_not_a_length_and_reads_grpo_configs():
    assert seq_length({"model": {"model_config": {"seq_length": True}}}) is None
    assert seq_length({"model": {"model_config": {"seq_length": -1}}}) is None
    assert seq_length({"model": {"seq_length": 2048}}) is None  # graph mode keeps it under model_config
    assert seq_length({"training": {"global_batch_size": 8}, "model": {"seq_length": 2048}}) == 2048
    assert seq_length({"rl_config": {"seq_length": 1024}}) == 1024
    assert config_facts.seq_length_or_default([]) == DEFAULT_SEQ_LENGTH


def test_an_unreadable_file_has_no_seq_length(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [\n", encoding="utf-8")
    assert config_facts.file_seq_length(broken) is None
    assert config_facts.file_seq_length(tmp_path / "missing.yaml") is None
