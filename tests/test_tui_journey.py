"""Model, Weights and Data steps, saving the built job, and the 80x24 details (Pilot, real core underneath).

The model step downloads with the real modelscope client from the loopback hub of ``hub_server``; the
weights step runs a real (tiny) conversion script as a tracked job under the launch supervisor.
"""

from __future__ import annotations

import sys

from textual.widgets import Input, Select

from hub_server import FakeHub, tiny_model
from mindpilot.presets.preset import load_preset
from mindpilot.tui import acquiring, launching
from mindpilot.tui.app import MindpilotApp
from mindpilot.tui.labels import label
from mindpilot.tui.screens.confirm import ConfirmScreen
from mindpilot.tui.screens.data import DataScreen
from mindpilot.tui.screens.help import HelpScreen
from mindpilot.tui.screens.launch import LaunchScreen
from mindpilot.tui.screens.model import ModelScreen
from mindpilot.tui.screens.text_view import TextScreen
from mindpilot.tui.screens.weights import WeightsScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_hint import CommandHint
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from tui_apps.fakes import fake_report
from tui_apps.harness import ScreenHarness, settle
from support import fake_mindformers_checkout


def _text(screen, selector: str) -> str:
    widget = screen.query_one(selector)
    return widget.plain if hasattr(widget, "plain") else str(widget.render())


async def _type(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = text
    field.focus()
    await pilot.pause()


async def test_model_step_downloads_with_progress_and_checks_the_result(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "cache"))
    with FakeHub(tiny_model()) as hub:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", hub.endpoint)
        session = Session(lang="en")
        app = ScreenHarness(ModelScreen(session))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await _type(pilot, "#model-source", "Qwen/Tiny")
            await _type(pilot, "#model-local", str(tmp_path / "Tiny"))
            assert "mindpilot model download Qwen/Tiny --local-dir" in app.screen.query_one(CommandHint).plain
            await pilot.press("enter")
            await settle(pilot)
            assert session.model_dir == str(tmp_path / "Tiny") and session.model is None  # not a catalogue model
            assert _text(app.screen, "#model-status").startswith("Model complete")
            bar = app.screen.query_one("#model-progress")
            assert bar.total == bar.progress == sum(len(b) for b in tiny_model().values())
            session.lang = "zh"  # l: the fields and the verdict stay, in Chinese; the id is not checked as a path
            await app.screen.relabel()
            await settle(pilot)
            assert app.screen.query_one("#model-local", Input).value == str(tmp_path / "Tiny")
            assert app.screen.query_one("#model-source", Input).value == "Qwen/Tiny"
            assert _text(app.screen, "#model-status") == label("model_complete", "zh", path=str(tmp_path / "Tiny"))
            assert f"--local-dir {tmp_path / 'Tiny'}" in app.screen.query_one(CommandHint).plain
            await pilot.press("k")  # check again: the directory the id was downloaded into
            await settle(pilot)
            assert _text(app.screen, "#model-status") == label("model_complete", "zh", path=str(tmp_path / "Tiny"))


async def test_model_step_names_a_missing_shard(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    for name, body in tiny_model().items():
        if name != "model-00002-of-00002.safetensors":
            (model / name).write_bytes(body)
    session = Session(lang="en")
    app = ScreenHarness(ModelScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type(pilot, "#model-source", str(model))
        await pilot.press("enter")
        await settle(pilot)
        findings = app.screen.query_one(FindingsPanel).findings
        assert [f.rule for f in findings] == ["acquire.model_missing_shard"]
        assert "model-00002-of-00002.safetensors" in findings[0].title
        assert session.model_dir is None and "incomplete" in _text(app.screen, "#model-status")


async def test_model_step_lists_the_catalogue_and_a_row_fills_the_field(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "empty"))
    session = Session(lang="en")
    app = ScreenHarness(ModelScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#model-table")
        row = next(i for i, (source, model) in enumerate(app.screen.rows) if model == "qwen2.5-7b")
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#model-source", Input).value == "Qwen/Qwen2.5-7B"
        assert session.model == "qwen2.5-7b"


async def test_weights_step_runs_the_conversion_as_a_tracked_job_and_checks_the_file(monkeypatch, tmp_path):
    from mindpilot.acquire.stack import Stack

    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    checkout = fake_mindformers_checkout(tmp_path)
    monkeypatch.setattr(acquiring, "stack", lambda session: Stack(mindformers_version="1.3.0",
                                                                mindformers_dir=str(checkout), python=sys.executable))
    model = tmp_path / "Qwen2.5-7B"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2"}')
    session = Session(lang="en", model_dir=str(model))
    app = ScreenHarness(WeightsScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "convert_weight.py --model qwen2_5" in _text(app.screen, "#prep-command")
        await pilot.press("r")
        for _ in range(200):  # the job runs in its own process: bounded wait for its end
            await settle(pilot)
            if session.weights_output or "exit" in _text(app.screen, "#prep-status"):
                break
            await pilot.pause(0.1)
        assert session.weights_output == str(tmp_path / "Qwen2_5-7B_ms.ckpt")
        assert (tmp_path / "Qwen2_5-7B_ms.ckpt").read_bytes() == b"ckpt"
        assert "output checked" in _text(app.screen, "#prep-status")


async def _status_after_run(screen) -> tuple[str, str]:
    """Press ``r`` on a Weights or Data screen: (the status it shows, the command's checkout)."""
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        return _text(app.screen, "#prep-status"), app.screen.command.cwd


async def test_run_waits_for_the_model_and_the_dataset_before_starting_anything(monkeypatch, tmp_path):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    status, _ = await _status_after_run(WeightsScreen(Session(lang="en")))
    assert status == "Get or pick the model directory on the Model step first"
    status, _ = await _status_after_run(DataScreen(Session(lang="en", model_dir=str(tmp_path))))
    assert status.startswith("Give the dataset path first")
    assert not any((tmp_path / "state").rglob("job.json"))  # no job was started


async def test_demo_run_says_the_checkout_is_on_the_demo_machine_only(monkeypatch, tmp_path):
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    status, checkout = await _status_after_run(WeightsScreen(Session(demo=True, lang="en", model_dir=str(tmp_path))))
    assert status.startswith(f"Demo: {checkout} exists only on the demo machine") and "Failed" not in status
    assert not any((tmp_path / "state").rglob("job.json"))


async def test_weights_step_for_mindformers_2_says_what_to_set_instead(monkeypatch, tmp_path):
    from mindpilot.acquire.stack import Stack

    monkeypatch.setattr(acquiring, "stack", lambda session: Stack(mindformers_version="2.0.0"))
    session = Session(lang="zh", model_dir=str(tmp_path))
    app = ScreenHarness(WeightsScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert f"pretrained_model_dir: {tmp_path}" in _text(app.screen, "#prep-command")
        await pilot.press("r")
        await pilot.pause()
        assert "无需运行" in _text(app.screen, "#prep-status")


async def test_data_step_refuses_a_web_page_and_takes_seq_length_from_the_yaml(tmp_path):
    page = tmp_path / "train.parquet"
    page.write_text("<!DOCTYPE html><html></html>")
    config = tmp_path / "finetune.yaml"
    config.write_text("model:\n  model_config:\n    seq_length: 8192\n")
    session = Session(lang="en", model_dir=str(tmp_path), dataset=str(page), config_path=str(config),
                      framework="mindspeed-llm")
    app = ScreenHarness(DataScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "--seq-length 8192" in _text(app.screen, "#prep-command")
        assert "really a web page" in _text(app.screen, "#prep-findings")
        await pilot.press("r")
        await pilot.pause()
        assert "not started" in _text(app.screen, "#prep-status")


async def test_launch_builds_the_job_from_the_steps_shows_run_sh_and_saves_a_replayable_preset(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launching, "running_jobs", lambda: [])
    config = tmp_path / "finetune.yaml"
    config.write_text("seq_length: 4096\n")
    session = Session(demo=True, lang="en", env_report=fake_report(), config_path=str(config))
    app = ScreenHarness(LaunchScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        preview = _text(app.screen, "#launch-command")
        assert "--worker_num=2" in preview and f"--config {config}" in preview.replace("\n", " ")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen) and "exec " in app.screen.text and str(config) in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        saved = tmp_path / "my-demo-job.preset.yaml"
        assert session.saved_preset == str(saved)
        assert load_preset(saved).script_args[-4:] == ["--config", str(config), "--run_mode", "finetune"]
        assert f"mindpilot launch {saved}" in app.screen.query_one(CommandHint).plain


async def test_help_lists_the_keys_of_the_step_on_show():
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("w", "Save preset") in app.screen.step_keys and ("s", "Stop") in app.screen.step_keys


async def test_q_typed_into_the_model_dropdown_does_not_quit():
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        app.screen.query_one("#model", Select).focus()
        await pilot.press("enter")  # the open list searches what is typed; a closed one lets app keys through
        await pilot.pause()
        await pilot.press("q", "w", "e", "n")
        await pilot.pause()
        assert app.is_running and app.current_mode == "plan"


async def test_stop_asks_before_stopping(monkeypatch):
    screen = LaunchScreen(Session(demo=True, lang="en", env_report=fake_report()))
    app = ScreenHarness(screen)
    stopped = []
    monkeypatch.setattr(launching, "stop_job", lambda job: stopped.append(job) or [])
    monkeypatch.setattr(launching, "running_jobs", lambda: [])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen.running, screen.job.job_id = True, "demo-1"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "demo-1" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert stopped == []


async def test_diagnose_without_a_path_uses_the_last_jobs_logs(monkeypatch, tmp_path):
    from mindpilot.launch.jobs import JobRecord, save_job
    from mindpilot.tui.screens.diagnose import DiagnoseScreen

    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    logs = tmp_path / "output" / "msrun_log"
    logs.mkdir(parents=True)
    (logs / "worker_0.log").write_text("step 1 loss 2.0\n")
    save_job(JobRecord(id="job-1", argv=["msrun"], cwd=str(tmp_path), log_dir=str(logs), status="succeeded"))
    app = ScreenHarness(DiagnoseScreen(Session(lang="en")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert app.screen.query_one("#diag-path", Input).value == str(logs)
        assert "found" in _text(app.screen, "#diag-root") or "Root cause" in _text(app.screen, "#diag-root")


async def test_a_checked_catalogue_model_is_the_one_plan_plans_for(tmp_path):
    model = tmp_path / "Qwen2.5-3B-Instruct"
    model.mkdir()
    for name, body in tiny_model().items():
        (model / name).write_bytes(body)
    session = Session(lang="en", model="qwen2.5-7b")
    app = ScreenHarness(ModelScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type(pilot, "#model-source", str(model))
        await pilot.press("enter")
        await settle(pilot)
        assert session.model_dir == str(model) and session.model == "qwen2.5-3b"


async def test_plans_nothing_fits_hint_is_shown_whole():
    from mindpilot.tui.screens.plan import PlanScreen

    session = Session(lang="en", env_report=fake_report(), model="qwen2.5-72b", cards=8, hbm_gb=64)
    app = ScreenHarness(PlanScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert session.candidates and not any(c.get("fits") for c in session.candidates)
        detail = _text(app.screen, "#candidate-detail").replace("\n", " ")
        assert "even with full recompute" in detail and "…" not in detail


async def test_the_focused_widget_is_marked():
    app = MindpilotApp(Session(demo=True, lang="en", env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        models = app.screen.query_one("#model-table")
        findings = app.screen.query_one("#findings-table")
        assert app.focused is models
        assert models.styles.border_left[0] == "thick" and findings.styles.border_left[0] in ("blank", "")
        field = app.screen.query_one("#model-source", Input)
        field.focus()
        await pilot.pause()
        assert models.styles.border_left[0] != "thick" and field.styles.background != models.styles.background


async def test_detaching_keeps_the_job_id_in_view(monkeypatch):
    from rich.console import Console
    from rich.text import Text

    monkeypatch.setattr(launching, "running_jobs", lambda: [])
    screen = LaunchScreen(Session(demo=True, lang="en", env_report=fake_report()))
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        job = "my-demo-job-20261129-191221-6f4a"
        screen.running, screen.job.job_id = True, job
        await pilot.press("d")
        await pilot.pause()
        status = app.screen.query_one("#launch-status")
        shown = Text(screen.job.status_text).wrap(Console(width=80), status.content_region.width)[:2]
        assert f"mindpilot attach {job}" in " ".join(line.plain for line in shown).replace("\n", " ")
