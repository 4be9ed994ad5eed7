"""The app's wiring: step navigation, number keys, help, language switch, quitting."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from mindpilot.tui import core
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.labels import label, label_keys
from mindpilot.tui.screens.help import HelpScreen
from mindpilot.tui.session import Session
from mindpilot.tui.steps import MODES as STEPS
from mindpilot.tui.widgets.step_bar import StepBar
from tui_apps.fakes import fake_report


def _app(lang: str = "en", monkeypatch=None) -> MindpilotApp:
    return MindpilotApp(Session(demo=True, lang=lang, env_report=fake_report(lang)))


async def test_next_back_and_number_keys_move_between_the_steps():
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_mode == "environment"
        seen = [app.current_mode]
        for _ in range(len(STEPS) + 1):  # one press too many: stays on the last step
            await pilot.press("n")
            await pilot.pause()
            seen.append(app.current_mode)
        assert seen == list(STEPS) + [STEPS[-1]] * 2
        await pilot.press("b")
        await pilot.pause()
        assert app.current_mode == STEPS[-2]
        await pilot.press("6")
        await pilot.pause()
        assert app.current_mode == "check"
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "environment"
        await pilot.press("b")
        await pilot.pause()
        assert app.current_mode == "environment"


async def test_step_bar_highlights_the_current_step():
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        bar = app.screen.query_one(StepBar).steps_text
        highlighted = [span for span in bar.spans if "reverse" in str(span.style)]
        assert [bar.plain[s.start:s.end].strip() for s in highlighted] == ["2 Model"]


async def test_language_switch_relabels_the_screen_and_the_footer_keys(monkeypatch):
    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = _app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#components", DataTable)
        assert [str(c.label) for c in table.columns.values()][0] == "Component"
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.lang == "zh"
        table = app.screen.query_one("#components", DataTable)
        assert [str(c.label) for c in table.columns.values()][0] == "组件"
        # findings come again from the core, in Chinese
        assert "不兼容" in app.session.env_report.findings[0].title
        assert app.active_bindings["q"].binding.description == "退出"
        assert app.active_bindings["n"].binding.description == "下一步"
        # another step built before the switch is rebuilt when shown
        await pilot.press("5")
        await pilot.pause()
        assert "5 并行" in app.screen.query_one(StepBar).steps_text.plain


async def test_help_lists_keys_and_cli_commands_and_closes():
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert "mindpilot doctor --demo" in text and "n / b" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_with_exit_code_zero():
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


def test_every_label_exists_in_both_languages():
    for key in label_keys():
        zh, en = label(key, "zh"), label(key, "en")
        assert zh.strip() and en.strip(), key


async def test_every_step_survives_a_language_switch(monkeypatch):
    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = _app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        for number, mode in enumerate(STEPS, start=1):
            await pilot.press(str(number))
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("l")
            await app.workers.wait_for_complete()
            await pilot.pause()
            bar = app.screen.query_one(StepBar).steps_text.plain
            expected = label("step_" + mode, app.session.lang)
            assert f"{number} {expected}" in bar, (mode, bar)
        assert app.session.lang == ("zh" if len(STEPS) % 2 else "en")  # one switch per step from English


async def test_stray_typing_across_steps_never_crashes_the_app(monkeypatch):
    """Letters typed outside a text field are step keys: language switches, jumps, re-runs in a burst."""
    from tui_apps.harness import settle

    from mindpilot.tui import launching

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    monkeypatch.setattr(launching, "running_jobs", lambda: [])  # "a" must not attach to this machine's jobs

    def no_start(*args):
        raise RuntimeError("no job in this test")

    monkeypatch.setattr(launching, "start", no_start)  # an "r" on the Launch step must not start msrun
    # "b" goes to Plan, whose YAML field now holds the demo config: "a" must not open a diff that waits for y/n.
    monkeypatch.setattr(core, "apply_candidate", lambda path, candidate, dry_run: "")
    app = _app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in "3finetune_llama3_8b.yaml4l2l5l1":
            await pilot.press(key)
        await settle(pilot)
        assert app.is_running
        assert app.current_mode in STEPS
        assert isinstance(app.screen.query_one(StepBar), StepBar)


async def test_weights_and_data_show_the_demo_model_without_the_model_step_shown_first(monkeypatch):
    from mindpilot.tui.acquiring import demo_model
    from mindpilot.tui.widgets.command_hint import CommandHint
    from tui_apps.harness import settle

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = MindpilotApp(Session(demo=True, env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        for number in ("3", "4"):  # straight from step 1
            await pilot.press(number)
            await settle(pilot)
            argv = app.screen.query_one(CommandHint).argv
            assert argv[argv.index("--model-dir") + 1] == demo_model(), argv


def test_a_fresh_demo_yaml_is_this_session_s_own_and_leaves_no_backups(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys
    import tempfile

    from mindpilot.fileio import write_atomic
    from mindpilot.tui.core import demo_config

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"mindpilot-demo-{os.getuid()}" / f"session-{int(ended.stdout)}"
    stale.mkdir(parents=True)
    (stale / "finetune_qwen2_5_7b.yaml.bak.3").write_text("old")
    first = demo_config()
    assert Path(first).parent.name == f"session-{os.getpid()}" and not stale.exists()
    for _ in range(3):  # Plan's apply keeps a backup of what it replaces
        write_atomic(first, Path(first).read_text() + "# applied\n", keep_backup=True)
    assert len(list(Path(first).parent.glob("*.bak*"))) == 3
    assert demo_config() == first
    assert sorted(p.name for p in Path(first).parent.iterdir()) == ["finetune_qwen2_5_7b.yaml"]
    assert "# applied" not in Path(first).read_text()


async def test_help_lists_y_copy_among_the_step_keys(monkeypatch):
    from tui_apps.harness import settle

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = MindpilotApp(Session(demo=True, env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert ("y", label("key_copy_text", "en")) in app.screen.step_keys()
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and ("y", label("key_copy_text", "en")) in app.screen.step_keys


async def test_help_gives_each_shown_step_s_own_cli_line(monkeypatch):
    from mindpilot.tui.widgets.command_hint import CommandHint
    from tui_apps.harness import settle

    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = MindpilotApp(Session(demo=True, env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        lines = {}
        for number in ("4", "5", "6"):  # Data, Plan, Check: lines built from their fields and boxes
            await pilot.press(number)
            await settle(pilot)
            lines[app.current_mode] = app.screen.query_one(CommandHint).argv
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        for mode, argv in lines.items():
            assert app.screen.commands[STEPS.index(mode)] == argv, mode
