"""Every TUI step shows hostile text visibly and sends no control sequence to the terminal.

The screenshot is what Textual would draw; a control character in it would reach the terminal as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from test_terminal_escapes import HOSTILE
from test_tui_launch import fake_launch  # noqa: F401  (the launch core replaced by fakes)
from textual.widgets import Static

from mindpilot.launch.events import ExitEvent, FindingEvent, LineEvent
from mindpilot.tui import core, launching
from mindpilot.tui.screens.check import CheckScreen
from mindpilot.tui.screens.data import DataScreen
from mindpilot.tui.screens.diagnose import DiagnoseScreen
from mindpilot.tui.screens.environment import EnvironmentScreen
from mindpilot.tui.screens.launch import LaunchScreen
from mindpilot.tui.screens.model import ModelScreen
from mindpilot.tui.screens.plan import PlanScreen
from mindpilot.tui.screens.weights import WeightsScreen
from mindpilot.tui.session import Session
from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.report import ComponentRow, ComponentStatus
from tui_apps.fakes import fake_report
from tui_apps.harness import ScreenHarness, settle

_OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SHOWN = "␛]0;pwned␇"


def _hostile_finding() -> Finding:
    return Finding(rule="x.hostile", severity=Severity.ERROR, title="title " + HOSTILE, fix="fix " + HOSTILE,
                   detail=HOSTILE)


async def _screen_is_clean(app, pilot) -> str:
    await settle(pilot)
    svg = app.export_screenshot()
    found = _OBEYED.search(svg)
    assert found is None, f"{found.group()!r} in {svg[max(0, found.start() - 80):][:160]!r}"
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


async def test_environment_step_shows_a_hostile_version_and_finding(tmp_path):
    report = fake_report()
    report.components.insert(0, ComponentRow(name="cann" + HOSTILE, found=HOSTILE, expected="1",
                                             status=ComponentStatus.MISMATCH))
    report.findings.insert(0, _hostile_finding())
    app = ScreenHarness(EnvironmentScreen(Session(demo=True, env_report=report)))
    async with app.run_test(size=(100, 30)) as pilot:
        assert SHOWN in await _screen_is_clean(app, pilot)


async def test_diagnose_step_shows_a_hostile_log_line(tmp_path):
    (tmp_path / "worker_0.log").write_text("Traceback (most recent call last):\nRuntimeError: " + HOSTILE + "\n")
    app = ScreenHarness(DiagnoseScreen(Session(lang="en", log_dir=str(tmp_path))))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        assert SHOWN in await _screen_is_clean(app, pilot)


async def test_launch_step_shows_hostile_log_lines_preflight_and_first_failure(fake_launch, monkeypatch):  # noqa: F811
    fake_launch["preflight"] = [_hostile_finding()]
    failure = Finding(rule="kb.x", severity=Severity.ERROR, title="t " + HOSTILE)
    events = [LineEvent(source="worker", rank=0, text=HOSTILE, file="worker_0.log"),
              FindingEvent(finding=failure, rank=0, source="worker", first_failure=True),
              ExitEvent(code=1, status="failed", first_failure={"rank": 0, "text": HOSTILE, "file": "w"})]
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(events))
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("n")  # preflight's error asks before starting; no, and the finding stays in the panel
        assert SHOWN in await _screen_is_clean(app, pilot)  # the preflight finding
        await pilot.press("R")
        shown = await _screen_is_clean(app, pilot)
        log = "\n".join(strip.text for strip in app.screen.query_one("#log").lines)
        assert "pwned" in log and not _OBEYED.search(log)
        assert "t A␛]0;pwned␇" in shown


async def test_check_step_shows_a_hostile_finding(monkeypatch, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("a: 1\n")
    monkeypatch.setattr(core, "check", lambda *args, **kwargs: [_hostile_finding()])
    app = ScreenHarness(CheckScreen(Session(lang="en", config_path=str(config))))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        assert SHOWN in await _screen_is_clean(app, pilot)


async def test_model_weights_data_and_plan_steps_show_a_hostile_folder_name(tmp_path):
    folder = tmp_path / ("model" + HOSTILE)
    folder.mkdir()
    for screen in (ModelScreen, WeightsScreen, DataScreen, PlanScreen):
        session = Session(lang="en", model_dir=str(folder), model_source=str(folder), dataset=str(folder / "d.json"),
                          config_path=str(folder / "c.yaml"))
        app = ScreenHarness(screen(session))
        async with app.run_test(size=(100, 30)) as pilot:
            await _screen_is_clean(app, pilot)
    assert Path(folder).is_dir()
