"""Check step: a config path in, findings with file, line and fix out, against the session's cards."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from mindpilot.tui import core
from mindpilot.tui.screens.check import CheckScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_hint import CommandHint
from tui_apps.fakes import fake_check_findings, fake_report
from tui_apps.harness import ScreenHarness


async def _check(pilot) -> None:
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_check_uses_the_session_cards_and_shows_findings(monkeypatch):
    calls = []
    monkeypatch.setattr(core, "check", lambda *args: calls.append(args) or fake_check_findings())
    session = Session(demo=False, env_report=fake_report(), cards=2, hbm_gb=32,
                      config_path="finetune_qwen2_7b.yaml")
    app = ScreenHarness(CheckScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # the config from the Plan step is checked as soon as the step is shown
        assert calls == [(["finetune_qwen2_7b.yaml"], 2, 32.0, False, "en")]
        app.screen.query_one("#check-path", Input).focus()
        await _check(pilot)
        assert len(calls) == 2
        table = app.screen.query_one("#findings-table", DataTable)
        assert table.row_count == 3
        assert str(table.get_row_at(0)[1]).startswith("parallel.product_mism")
        detail = str(app.screen.query_one("#finding-detail").render())
        assert "[parallel.product_mismatch] finetune_qwen2_7b.yaml:14" in detail and "model_parallel: 2" in detail
        assert "2 errors, 1 warnings" in str(app.screen.query_one("#check-status").render())
        await pilot.press("s")
        hint = app.screen.query_one(CommandHint).plain
        assert "mindpilot check finetune_qwen2_7b.yaml --cards 2 --hbm 32 --skip-paths" in hint


async def test_real_checker_reports_a_wrong_parallel_product(tmp_path):
    pytest.importorskip("mindpilot.validators.check")
    if not hasattr(__import__("mindpilot.validators.check", fromlist=["x"]), "check_files"):
        pytest.skip("check_files not there yet")
    config = tmp_path / "finetune.yaml"
    config.write_text(
        "run_mode: finetune\nuse_parallel: True\n"
        "parallel_config:\n  data_parallel: 8\n  model_parallel: 1\n  pipeline_stage: 1\n  micro_batch_num: 1\n"
        "model:\n  model_config:\n    type: Qwen2Config\n    num_layers: 28\n    hidden_size: 3584\n"
        "    num_heads: 28\n    n_kv_heads: 4\n    intermediate_size: 18944\n    vocab_size: 152064\n"
        "  arch:\n    type: Qwen2ForCausalLM\n", encoding="utf-8")
    session = Session(demo=True, env_report=fake_report(), cards=2, config_path=str(config))
    app = ScreenHarness(CheckScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#check-path", Input).focus()
        await _check(pilot)
        rules = [f.rule for f in session.check_findings]
        assert any(rule.startswith("parallel.") for rule in rules), rules
        assert app.screen.query_one("#findings-table", DataTable).row_count == len(rules)


async def test_an_unparsable_file_is_reported_on_screen(monkeypatch):
    from mindpilot.datafiles import DataFileError

    def broken(*args):
        raise DataFileError("bad.yaml", 3, None, "invalid YAML: mapping values are not allowed here")

    monkeypatch.setattr(core, "check", broken)
    app = ScreenHarness(CheckScreen(Session(config_path="bad.yaml")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#check-path", Input).focus()
        await _check(pilot)
        assert "bad.yaml:3" in str(app.screen.query_one("#check-status").render())


async def test_a_clean_file_says_no_findings_on_screen(monkeypatch):
    monkeypatch.setattr(core, "check", lambda *args: [])
    app = ScreenHarness(CheckScreen(Session(config_path="good.yaml", cards=8, hbm_gb=64)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert str(app.screen.query_one("#finding-detail").render()) == "No findings."
        assert "0 errors, 0 warnings" in str(app.screen.query_one("#check-status").render())


async def test_demo_mode_checks_the_shipped_demo_config_and_finds_its_two_mistakes(tmp_path, monkeypatch):
    pytest.importorskip("mindpilot.validators.check")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(CheckScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        path = app.screen.query_one("#check-path", Input).value
        assert path == session.config_path and path.startswith(str(tmp_path))
        lines = open(path, encoding="utf-8").read().splitlines()
        typo = lines.index("use_parallel: Flase") + 1
        recompute = lines.index("  recompute: [4, 4, 3, 3]") + 1
        found = {(f.rule, f.line) for f in session.check_findings}
        assert found == {("yaml.string_not_bool", typo), ("recompute.list_too_long", recompute)}
        table = app.screen.query_one("#findings-table", DataTable)
        assert table.row_count == 2
        detail = str(app.screen.query_one("#finding-detail").render())
        first = session.check_findings[0]
        assert f"{path}:{first.line}" in detail and first.fix in detail
        assert "2 errors" in str(app.screen.query_one("#check-status").render())
