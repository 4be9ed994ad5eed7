"""Environment step: the doctor report as a table and findings, the copy-fix key, re-running."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from mindpilot.tui import core
from mindpilot.tui.screens.environment import EnvironmentScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_hint import CommandHint
from tui_apps.fakes import URLLIB3_FIX, CHECKOUT_FIX, fake_report
from tui_apps.harness import ScreenHarness


def _rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_components_table_shows_found_expected_status_from_the_report():
    app = ScreenHarness(EnvironmentScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = _rows(app.screen.query_one("#components", DataTable))
        assert rows[0] == ["CANN", "8.2.RC1", "8.1.RC1 / 8.2.RC1", "✓ ok"]
        assert ["vllm", "—", "0.8.4.dev0+g296c657", "✗ missing"] in rows
        assert [r[0] for r in rows] == [c.name for c in fake_report().components]
        summary = str(app.screen.query_one("#env-summary").render())
        assert "8× 910B" in summary and "errors: 1, warnings: 1" in summary


async def test_copy_key_copies_the_selected_fix_and_shows_it_selectable():
    app = ScreenHarness(EnvironmentScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.screen.query_one("#findings-table", DataTable).focus()
        await pilot.press("c")
        assert app.clipboard == URLLIB3_FIX
        await pilot.press("down")
        await pilot.press("c")
        assert app.clipboard == CHECKOUT_FIX
        detail = app.screen.query_one("#finding-detail", Static)
        assert CHECKOUT_FIX in str(detail.render())  # what is on screen, not only the model
        assert detail.allow_select  # the fix can be selected with the mouse, too


async def test_cli_hint_names_the_equivalent_command():
    app = ScreenHarness(EnvironmentScreen(Session(demo=True, lang="zh", env_report=fake_report("zh"))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        hint = app.screen.query_one(CommandHint).plain
        assert "mindpilot doctor --demo --lang zh" in hint
        assert "命令行" in hint


async def test_without_a_report_the_worker_runs_the_doctor_and_fills_the_session(monkeypatch):
    calls = []

    def fake_doctor(demo, lang):
        calls.append((demo, lang))
        return fake_report(lang)

    monkeypatch.setattr(core, "doctor", fake_doctor)
    session = Session(demo=True, lang="en")
    app = ScreenHarness(EnvironmentScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == [(True, "en")]
        assert session.env_report is not None and session.env_cards() == 8
        assert app.screen.query_one("#components", DataTable).row_count == 9
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(calls) == 2


async def test_a_failing_probe_is_reported_on_screen_not_raised(monkeypatch):
    def broken(demo, lang):
        raise RuntimeError("npu-smi hung")

    monkeypatch.setattr(core, "doctor", broken)
    app = ScreenHarness(EnvironmentScreen(Session(demo=True)))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Failed: npu-smi hung" in str(app.screen.query_one("#env-summary").render())


async def test_real_demo_doctor_report_fills_the_table():
    pytest.importorskip("mindpilot.validators.doctor")
    session = Session(demo=True, lang="en")
    app = ScreenHarness(EnvironmentScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = session.env_report
        assert report is not None
        names = [r[0] for r in _rows(app.screen.query_one("#components", DataTable))]
        assert names == [core.short(c.name, 15) for c in report.components]
        assert session.env_cards() == 8


async def test_self_test_key_runs_the_job_and_shows_its_stages(tmp_path, monkeypatch):
    import subprocess
    import sys

    bare = tmp_path / "bare"  # a real interpreter without MindSpore: the self-test says so, in a second
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    screen = EnvironmentScreen(Session(demo=False, env_report=fake_report()))
    screen.selftest_python = str(bare / "bin" / "python")
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Self-test selftest-" in str(app.screen.query_one("#env-summary").render())
        table = app.screen.query_one("#findings-table", DataTable)
        assert "Neither MindFormers nor MindSpore" in " ".join(str(c) for c in table.get_row_at(0))
        assert "mindpilot-selftest: none" in "\n".join(str(line.text) for line in app.screen.query_one("#env-deep-log").lines)


async def test_self_test_key_on_the_demo_says_where_to_run_it():
    app = ScreenHarness(EnvironmentScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        assert "mindpilot doctor --deep" in str(app.screen.query_one("#env-summary").render())
