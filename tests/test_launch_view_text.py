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


@pytest.mark.parametrize("lang,mark", [("en", " (first failure)"), ("zh", "（第一个失败）")])
def test_the_first_failure_mark_ends_the_title_even_when_it_wraps(lang, mark):
    from mindpilot.launch.events import FindingEvent
    from mindpilot.validators.findings import Finding

    title = ("rank 1 failed: RuntimeError: mindpilot demo: rank 1 failed on purpose at step 5"
             if lang == "en" else "rank 1 报错：RuntimeError: mindpilot demo: rank 1 failed on purpose at step 5")
    finding = Finding(rule="tail.worker_error", severity="error", title=title, detail="detail", fix="fix",
                      file="/tmp/qa/w/demo_msrun_log/worker_1.log", line=27)
    out = io.StringIO()
    HeadlessView(lang=lang, stream=out).emit(FindingEvent(finding=finding, rank=1, source="worker", first_failure=True))
    text = out.getvalue()
    joined = " ".join(line.strip() for line in text.splitlines())
    assert (title + mark) in joined or (title + mark).replace(" ", "") in joined.replace(" ", ""), text
    assert all(columns(line) <= 80 for line in text.splitlines() if "fix" not in line and "修复" not in line)
