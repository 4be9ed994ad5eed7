"""QA: what ``launch`` says right after the start matches how the job runs (foreground or --detach)."""

from __future__ import annotations

import io
import unicodedata

import pytest

from mindpilot.launch.events import StartedEvent
from mindpilot.launch.view import HeadlessView

JOB = "demo-20261125-120441-7a2c"
STARTED = StartedEvent(job=JOB, pid=1596, log_dir="/home/ma-user/work/output/msrun_log")


def shown(lang: str, **kwargs) -> str:
    out = io.StringIO()
    HeadlessView(lang=lang, stream=out, **kwargs).emit(STARTED)
    return out.getvalue()


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_detached_start_does_not_say_ctrl_c_stops_it_and_names_attach_and_stop(lang):
    text = shown(lang, detach=True)
    assert "Ctrl-C" not in text
    assert f"mindpilot attach {JOB}" in text and f"mindpilot stop {JOB}" in text
    assert "Ctrl-C" in shown(lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kwargs", [{}, {"detach": True}, {"attach": True}])
def test_start_lines_fit_80_columns_and_keep_the_job_id_whole(lang, kwargs):
    text = shown(lang, **kwargs)
    assert all(columns(line) <= 80 for line in text.splitlines()), text
    assert JOB in text
