"""The findings panel's details say when they run past their box, in both languages, on a real step screen."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from mindpilot.tui.labels import label
from mindpilot.tui.screens.model import ModelScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.validators.findings import Finding, Severity
from tui_apps.fakes import fake_report
from tui_apps.harness import ScreenHarness, screen_lines, settle

LONG_FIX = {
    "zh": "下载完整的模型：mindpilot model Qwen/Qwen2.5-7B-Instruct --local-dir /models/qwen；"
          "或者在 Hugging Face 无法访问时直接从 ModelScope 下载",
    "en": "Download the whole model: mindpilot model Qwen/Qwen2.5-7B-Instruct --local-dir /models/qwen; "
          "or, where Hugging Face cannot be reached, straight from ModelScope",
}
DETAIL = {
    "zh": "MindFormers 加载检查点时会失败：config.json 列出的分片文件不在目录里。"
          "下载中断时常见这种情况，重新下载会从断点续传。",
    "en": "MindFormers fails when it loads the checkpoint: the shards config.json lists are not in the directory. "
          "An interrupted download leaves it so; downloading again resumes where it stopped.",
}


def _finding(lang: str, long: bool) -> Finding:
    return Finding(rule="model.weights_missing", severity=Severity.ERROR, file="/models/qwen",
                   title="目录里没有权重文件" if lang == "zh" else "No weight files in the directory",
                   fix=LONG_FIX[lang] if long else "mindpilot model check /models/qwen",
                   detail=DETAIL[lang] if long else "")


def _hint_row(app) -> str:
    hint = app.screen.query_one("#finding-more", Static)
    return screen_lines(app)[hint.region.y] if hint.display and hint.region.height else ""


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_details_taller_than_their_box_say_where_the_rest_is(lang):
    app = ScreenHarness(ModelScreen(Session(demo=True, lang=lang, env_report=fake_report(lang))))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(FindingsPanel)
        panel.show([_finding(lang, long=True)])
        await pilot.pause()
        await pilot.pause()
        row = _hint_row(app)
        assert label("detail_more_below", lang) in row and label("detail_copy_fix", lang).strip() in row
        scroll = app.screen.query_one("#finding-scroll", VerticalScroll)
        assert scroll.max_scroll_y > 0  # the hint is true: the text does run past the box
        scroll.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert label("detail_more_above", lang) in _hint_row(app)

        panel.show([_finding(lang, long=False)])
        await pilot.pause()
        await pilot.pause()
        assert _hint_row(app) == "" and scroll.size.height == 5 and scroll.max_scroll_y == 0
