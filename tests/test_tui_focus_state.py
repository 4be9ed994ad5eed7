"""Focus and state: the footer says how to leave a field, focus is visible on every widget, a failed action leaves
nothing stale behind, and Ctrl+C quits (asking first when a job is on show) in the UI's language."""

from __future__ import annotations

import pytest
from rich.color import Color
from textual.widgets import Input

from mindpilot.tui import core, launching, steps
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.labels import label
from mindpilot.tui.screens.confirm import ConfirmScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.key_footer import KeyFooter
from tui_apps.fakes import FakeCommand, FakePreset, FakeRecord, fake_report
from tui_apps.harness import ScreenHarness, settle


def _app(lang: str = "en") -> MindpilotApp:
    return MindpilotApp(Session(demo=True, lang=lang, env_report=fake_report(lang)))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_footer_says_how_to_leave_a_text_field(lang, monkeypatch):
    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = _app(lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        leave = label("key_leave_field", lang)
        assert leave not in [description for _, _, description in footer.pairs()]
        app.screen.query_one(Input).focus()
        await settle(pilot)
        assert ("escape", "esc", leave) in [(k, shown.lower(), d) for k, shown, d in footer.pairs()]
        assert leave in str(footer.render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.focused is None and leave not in str(footer.render())


async def test_a_closed_dropdown_lets_the_app_keys_through_and_esc_leaves_it(monkeypatch):
    from textual.widgets import Select

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        app.screen.query_one("#model", Select).focus()
        await settle(pilot)
        keys = [key for key, _, _ in footer.pairs()]
        assert {"q", "question_mark", "n", "b", "l", "escape"} <= set(keys), keys
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.focused is None and app.current_mode == "plan"
        app.screen.query_one("#model", Select).focus()
        await pilot.press("enter")  # open: letters search the options, they are not app keys
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.current_mode == "plan"
        await pilot.press("escape")  # closes the list; the dropdown keeps the focus
        await settle(pilot)
        assert isinstance(app.screen.focused, Select) and not app.screen.focused.expanded
        await pilot.press("n")  # closed: the app's next step
        await settle(pilot)
        assert app.current_mode == steps.MODES[steps.MODES.index("plan") + 1]


def _styles(app, widget) -> list:
    """(background, foreground, bold, reverse) of every cell the widget covers, as drawn."""
    region = widget.region
    cells = []
    for strip in app.screen._compositor.render_strips()[region.y:region.y + region.height]:
        column = 0
        for segment in strip:
            for _ in segment.text:
                if region.x <= column < region.x + region.width:
                    style = segment.style
                    cells.append((style.bgcolor, style.color, style.bold, style.reverse) if style else None)
                column += 1
    return cells


def _distance(a, b) -> int:
    """How far apart two colours look (sum of RGB differences); 0 when both are unset."""
    if a is None or b is None:
        return 0 if a == b else 255
    ra, rb = Color.get_truecolor(a), Color.get_truecolor(b)
    return abs(ra.red - rb.red) + abs(ra.green - rb.green) + abs(ra.blue - rb.blue)


def _visibly_different(before: list, after: list) -> bool:
    for old, new in zip(before, after):
        if old is None or new is None:
            continue
        if _distance(old[0], new[0]) >= 30 or _distance(old[1], new[1]) >= 30 or old[2:] != new[2:]:
            return True
    return False


async def test_focus_is_visible_on_every_widget_of_every_step(monkeypatch):
    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    monkeypatch.setattr(launching, "running_jobs", list)
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        for number, step in enumerate(steps.STEPS, start=1):
            await pilot.press(str(number))
            await settle(pilot)
            screen = app.screen
            for widget in list(screen.focus_chain):
                if not widget.region.area:
                    continue
                screen.set_focus(None)
                await pilot.pause()
                before = _styles(app, widget)
                widget.focus()
                await pilot.pause()
                after = _styles(app, widget)
                assert _visibly_different(before, after), f"{step.mode}: focus on {widget!r} cannot be seen"
            screen.set_focus(None)


async def test_a_failed_download_stops_its_bar_and_replaces_the_old_findings(monkeypatch, tmp_path):
    from mindpilot.acquire import download
    from mindpilot.tui.screens.model import ModelScreen
    from mindpilot.tui.widgets.findings_panel import FindingsPanel

    def failing(model_id, local_dir=None):
        yield download.DownloadTotals(done=10, total=100, files_done=0, files_seen=1)
        raise OSError("connection reset by peer")

    monkeypatch.setattr(download, "download_model", failing)
    session = Session(lang="en", model_source=str(tmp_path))
    app = ScreenHarness(ModelScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")  # an empty folder: the check's findings fill the panel
        await settle(pilot)
        panel = app.screen.query_one(FindingsPanel)
        assert panel.findings
        app.screen.query_one("#model-source", Input).value = "Qwen/Missing"
        app.screen.set_focus(None)
        await pilot.press("g")
        await settle(pilot)
        bar = app.screen.query_one("#model-progress")
        assert not bar.display and bar.total is not None  # stopped: not an indeterminate, animating bar
        assert panel.findings == [] and "connection reset by peer" in str(app.screen.query_one("#model-status").render())


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_hash_mismatch_status_is_a_whole_sentence_and_its_fix_is_in_the_findings(lang, monkeypatch):
    from mindpilot.acquire import download
    from mindpilot.tui.screens.model import ModelScreen
    from mindpilot.tui.widgets.findings_panel import FindingsPanel
    from tui_apps.harness import screen_lines, squeezed

    def failing(model_id, local_dir=None):
        yield download.DownloadFailed(error="File model-00001-of-00002.safetensors integrity check failed", files=[
            download.FailedFile(file="model-00001-of-00002.safetensors", reason="hash", message="integrity",
                                expected="4f6b0ded8d1324e8", actual="9a0b1c2d3e4f5a6b")])

    monkeypatch.setattr(download, "download_model", failing)
    app = ScreenHarness(ModelScreen(Session(lang=lang)))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#model-source", Input).value = "acme/tiny"
        app.screen.set_focus(None)
        await pilot.press("g")
        await settle(pilot)
        finding = app.screen.query_one(FindingsPanel).findings[0]
        status = str(app.screen.query_one("#model-status").render())
        assert finding.title in status and finding.fix not in status
        assert squeezed(status) in squeezed("".join(screen_lines(app)))  # whole on screen, no cut "—"


async def test_loading_another_preset_clears_the_old_preflight_lines(monkeypatch):
    from mindpilot.tui import acquiring
    from mindpilot.tui.screens.launch import LaunchScreen
    from mindpilot.validators.findings import Finding, Severity

    monkeypatch.setattr(launching, "load_preset", lambda name: FakePreset())
    monkeypatch.setattr(acquiring, "journey_preset", lambda session: FakePreset())
    monkeypatch.setattr(launching, "commands_for", lambda preset, facts, port=None: ([FakeCommand()], "/tmp/l", 8118))
    monkeypatch.setattr(launching, "msrun_missing", lambda: None)
    monkeypatch.setattr(launching, "preflight", lambda *args: [Finding(rule="preflight.port_busy", title="port busy",
                                                                      severity=Severity.ERROR)])
    monkeypatch.setattr(launching, "running_jobs", list)
    screen = LaunchScreen(Session(demo=True, env_report=fake_report()))
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        errors = screen.query_one("#launch-errors")
        assert errors.display and "port busy" in errors.plain
        field = screen.query_one("#preset", Input)
        field.value = "other"
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not errors.display and "port busy" not in errors.plain


async def test_ctrl_c_quits_at_once_without_a_job():
    app = _app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_value == 0


async def test_ctrl_c_with_a_running_job_asks_in_the_ui_language(monkeypatch):
    app = _app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        launch = app.screen
        launch.running, launch.job.job_id = True, FakeRecord.id
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == label("quit_confirm_job", "zh", job=FakeRecord.id)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.screen is launch
        launch.running = False  # nothing to detach in this test
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_value == 0


async def test_the_chinese_fix_label_never_stands_alone_on_its_row(monkeypatch):
    from mindpilot.tui.widgets.findings_panel import FindingsPanel
    from mindpilot.validators.findings import Finding, Severity
    from tui_apps.harness import screen_lines

    fix = "删除 " + "/data/models/Qwen2.5-7B/" * 3 + "model-00001-of-00004.safetensors 后重新下载，或用 --revision 指定一个提交"
    from textual.app import App

    class PanelApp(App[None]):
        def compose(self):
            yield FindingsPanel("zh")

    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(FindingsPanel)
        panel.show([Finding(rule="acquire.download_hash_mismatch", severity=Severity.ERROR, title="哈希不符", fix=fix)])
        await settle(pilot)
        rows = [line.strip() for line in screen_lines(app)]
        assert "修复：" not in rows and "修复:" not in rows
        assert any(row.startswith("修复：删除") for row in rows), rows
