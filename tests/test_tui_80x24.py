"""Every step at 80x24, in English and Chinese, shows its whole CLI twin, its whole command, and every footer key.

The screen is read as the user sees it (the rendered rows, as ``tmux capture-pane`` prints them), so a
command cut at the edge, hidden below its box or ended with "…" fails here.
"""

from __future__ import annotations

import shlex

import pytest

from mindpilot.tui import steps
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.command_hint import CommandHint
from mindpilot.tui.widgets.key_footer import KeyFooter
from tui_apps.harness import region_text, screen_lines, settle, squeezed


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_step_shows_its_whole_command_and_every_key_at_80x24(lang, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    app = MindpilotApp(Session(demo=True, lang=lang))  # the demo host's real doctor report
    async with app.run_test(size=(80, 24)) as pilot:
        for number, step in enumerate(steps.STEPS, start=1):
            await pilot.press(str(number))
            await settle(pilot)
            await pilot.pause()
            screen = app.screen
            shown = "\n".join(screen_lines(app))
            where = f"step {step.mode} ({lang}):\n{shown}"
            hint = screen.query_one(CommandHint)
            assert squeezed(shlex.join(hint.argv)) in squeezed(region_text(app, hint)), where
            for block in screen.query(CommandBlock).results(CommandBlock):
                if not isinstance(block, CommandHint) and block.plain:
                    assert squeezed(block.plain) in squeezed(region_text(app, block)), where
            if step.mode == "environment":  # the hardware, and the stack's reason whole, not cut at the edge
                report = app.session.env_report
                assert squeezed(screen.summary(report)) in squeezed(shown), where
            footer = screen.query_one(KeyFooter)
            assert footer.pairs(), where
            for _key, key_shown, description in footer.pairs():
                assert squeezed(f"{key_shown} {description}") in squeezed(shown), where
            assert "…" not in "\n".join(shown.splitlines()[-5:]), where  # CLI line and footer end uncut


async def test_a_long_command_scrolls_in_its_block_and_y_copies_all_of_it():
    from textual.app import App, ComposeResult

    text = " ".join(f"--flag_{n}=/a/long/path/{n}" for n in range(60))

    class OneBlock(App[None]):
        CSS = "CommandBlock { max-height: 6; }"

        def compose(self) -> ComposeResult:
            yield CommandBlock(text, "en", id="block")

    app = OneBlock()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(80, 10)) as pilot:
        block = app.query_one(CommandBlock)
        block.focus()
        await pilot.pause()
        assert block.max_scroll_y > 0  # taller than the screen: it scrolls, nothing is dropped
        await pilot.press("end")
        await pilot.pause()
        assert "--flag_59=/a/long/path/59" in "\n".join(screen_lines(app))
        await pilot.press("y")
        await pilot.pause()
        assert copied == [text]
