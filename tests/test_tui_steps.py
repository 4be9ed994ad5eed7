"""The one step registry (``tui/steps.py``): the step bar, the app, the help screen and the CLI line all read it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mindpilot.tui import steps
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.screens.help import HelpScreen
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_hint import CommandHint
from mindpilot.tui.widgets.step_bar import StepBar
from tui_apps.fakes import fake_report


def test_every_step_names_a_screen_of_its_own_mode():
    assert len(set(steps.MODES)) == len(steps.STEPS)
    for step in steps.STEPS:
        screen = step.screen_class()
        assert issubclass(screen, StepScreen) and screen.MODE == step.mode, step
        assert step.title("en") != "step_" + step.mode and step.title("zh") != step.title("en"), step


def test_every_step_has_a_cli_twin_in_both_languages():
    for lang in ("en", "zh"):
        argvs = steps.all_cli_argvs(Session(demo=True, lang=lang))
        assert len(argvs) == len(steps.STEPS)
        assert all(argv[0] == "mindpilot" and len(argv) > 1 for argv in argvs), argvs
        assert all(("--lang" in argv) == (lang == "zh") for argv in argvs), argvs


class ExtraScreen(StepScreen):
    MODE = "extra"


@dataclass(frozen=True)
class LocalStep(steps.Step):
    """A step whose screen lives in this test module rather than under ``tui/screens``."""

    def screen_class(self):
        return ExtraScreen


@pytest.fixture
def ninth_step(monkeypatch):
    """One more record in the registry and nothing else: the rest of the app must follow."""
    extra = LocalStep("extra", "unused:Unused", lambda session: ["mindpilot", "extra", "--lang", session.lang])
    monkeypatch.setattr(steps, "STEPS", steps.STEPS + (extra,))
    monkeypatch.setattr(steps, "MODES", steps.MODES + ("extra",))
    return extra


async def test_a_step_added_to_the_registry_appears_everywhere(ninth_step, monkeypatch):
    from mindpilot.tui import core

    number = len(steps.STEPS)
    if number > 9:
        pytest.skip("the number keys reach step 9 at most; the registry already has more steps")
    before = steps.MODES[-2]
    monkeypatch.setattr(core, "doctor", lambda demo, lang: fake_report(lang))
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report("en")))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(str(number))
        await pilot.pause()
        assert app.current_mode == "extra"
        assert f" {number} step_extra" in app.screen.query_one(StepBar).steps_text.plain
        assert "mindpilot extra --lang en" in app.screen.query_one(CommandHint).plain
        await pilot.press("b")
        await pilot.pause()
        assert app.current_mode == before
        await pilot.press("n")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert f"1–{number}" in text and f"{number} step_extra  $ mindpilot extra --lang en" in text


async def test_a_number_beyond_the_last_step_does_nothing():
    if len(steps.STEPS) >= 9:
        pytest.skip("every number key 1-9 names a step: there is no number beyond the last one")
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report("en")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.press(str(len(steps.STEPS) + 1))
        await pilot.pause()
        assert app.current_mode == "weights"
