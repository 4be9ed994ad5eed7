"""Diagnose step: a log directory in, the first failing rank and its fix out."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from mindpilot.tui import core
from mindpilot.tui.screens.diagnose import DiagnoseScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.command_hint import CommandHint
from tui_apps.harness import ScreenHarness

OOM_LOGS = Path(__file__).parent / "tui_apps" / "logs_oom"
"""Four ranks: rank 2 runs out of device memory, ranks 0, 1 and 3 then time out in HCCL."""


async def _diagnose(pilot) -> None:
    await pilot.press("g")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_last_jobs_log_dir_is_the_default_and_the_cli_line_names_it():
    app = ScreenHarness(DiagnoseScreen(Session(log_dir=str(OOM_LOGS))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#diag-path", Input).value == str(OOM_LOGS)
        assert f"mindpilot diagnose {OOM_LOGS}" in app.screen.query_one(CommandHint).plain


async def test_real_knowledge_base_names_rank_2_out_of_memory_as_root_cause():
    pytest.importorskip("mindpilot.validators.kb.diagnose")
    session = Session(lang="en", log_dir=str(OOM_LOGS))
    app = ScreenHarness(DiagnoseScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _diagnose(pilot)
        root = str(app.screen.query_one("#diag-root", Static).render())
        assert "Root cause: rank 2" in root and "worker_2.log" in root
        assert "ranks 0,1,3" in root
        table = app.screen.query_one("#findings-table", DataTable)
        assert table.row_count == len(session.diagnosis.findings) + len(session.diagnosis.notes)
        assert session.diagnosis.root_cause.rank == 2
        detail = app.screen.query_one(FindingsPanel).detail_text
        assert "fix:" in detail and "worker_2.log:3 · rank 2" in detail


async def test_a_missing_path_is_reported_on_screen(monkeypatch, tmp_path):
    app = ScreenHarness(DiagnoseScreen(Session(log_dir=str(tmp_path / "nope"))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _diagnose(pilot)
        text = str(app.screen.query_one("#diag-root", Static).render())
        assert text.startswith("Failed:") or "not available" in text


async def test_language_of_the_diagnosis_follows_the_session(monkeypatch):
    calls = []

    class Report:
        findings: list = []
        notes: list = []
        consequences: list = []
        files: list = [1, 2]
        root_cause = None

    monkeypatch.setattr(core, "diagnose", lambda paths, lang: calls.append((paths, lang)) or Report())
    app = ScreenHarness(DiagnoseScreen(Session(lang="zh", log_dir="logs")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == [(["logs"], "zh")]  # the last job's logs are diagnosed when the step is shown
        root = str(app.screen.query_one("#diag-root", Static).render())
        assert "没有找到根因" in root and "扫描了 2 个文件" in root


async def test_an_unknown_error_of_a_failed_rank_is_named_as_the_cli_does(tmp_path):
    pytest.importorskip("mindpilot.launch.postmortem")
    (tmp_path / "worker_0.log").write_text("2026-01-01 00:00:01,000 - mindformers - INFO - step 1\n")
    (tmp_path / "worker_1.log").write_text('Traceback (most recent call last):\n  File "train.py", line 40, '
                                           'in <module>\n    step()\nValueError: demo failure on rank 1\n')
    session = Session(lang="en", log_dir=str(tmp_path))
    app = ScreenHarness(DiagnoseScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        root = str(app.screen.query_one("#diag-root", Static).render())
        assert "rank 1" in root and "demo failure on rank 1" in root
        assert session.diagnosis.root_cause.rank == 1


async def test_the_diagnose_step_quotes_the_key_line_and_says_unsure_as_the_cli_does(tmp_path):
    from mindpilot.launch.router import analyse
    from mindpilot.validators.text.report import report_lines

    log = tmp_path / "job.log"
    log.write_text("[rank5]: RuntimeError: expert count 7 is not a power of 2 (see moe_config.expert_num)\n",
                   encoding="utf-8")
    cli = "\n".join(report_lines(analyse([str(log)], "en"), "en", 200))
    app = ScreenHarness(DiagnoseScreen(Session(lang="en", log_dir=str(log))))
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await _diagnose(pilot)
        root = str(app.screen.query_one("#diag-root", Static).render())
    assert "likely root cause (rank 5; unsure" in cli and "likely root cause (rank 5; unsure" in root, root
    assert "expert count 7 is not a power of 2" in root


async def test_a_catch_all_root_is_said_as_not_certain_as_the_cli_says_it(tmp_path):
    from mindpilot.launch.router import analyse
    from mindpilot.validators.text.report import report_lines

    log = tmp_path / "job.log"
    log.write_text("[rank5]: ImportError: libfoo_not_a_real_lib.so.3: cannot open shared object file: No such file "
                   "or directory\n", encoding="utf-8")
    report = analyse([str(log)], "en")
    heading = report_lines(report, "en", 400)[0]
    app = ScreenHarness(DiagnoseScreen(Session(lang="en", log_dir=str(log))))
    async with app.run_test(size=(400, 30)) as pilot:
        await pilot.pause()
        await _diagnose(pilot)
        root = str(app.screen.query_one("#diag-root", Static).render())
    assert report.root_cause.confidence != "confident" and ("; not certain" in heading or "; unsure" in heading), heading
    assert heading == "▶ " + root.splitlines()[0], root


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_clean_preset_says_what_was_read_as_the_cli_does(lang):
    import subprocess
    import sys

    session = Session(lang=lang)
    app = ScreenHarness(DiagnoseScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#diag-path", Input).value = "demo"  # the built-in demo preset: no log at all
        await _diagnose(pilot)
        root = str(app.screen.query_one("#diag-root", Static).render())
    cli = subprocess.run([sys.executable, "-m", "mindpilot", "diagnose", "demo", "--lang", lang],
                         capture_output=True, text=True, timeout=120)
    said = cli.stderr.strip().splitlines()[-1]
    assert cli.returncode == 0 and said.rstrip(".。").lower() in root.lower(), (said, root)
    assert "log" not in root.split("\n")[0].lower() and "日志" not in root.split("\n")[0]
