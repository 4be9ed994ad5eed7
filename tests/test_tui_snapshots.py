"""One snapshot per step screen at 80x24, on fixed fake data (never the live machine).

Regenerate after a deliberate UI change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and review the HTML report first.
"""

from __future__ import annotations

from mindpilot.tui.screens.environment import EnvironmentScreen
from mindpilot.tui.session import Session
from tui_apps.fakes import fake_report
from tui_apps.harness import ScreenHarness, settle


async def _settle(pilot) -> None:
    await settle(pilot)


def test_environment_en(snap_compare):
    screen = EnvironmentScreen(Session(demo=True, lang="en", env_report=fake_report("en")))
    assert snap_compare(ScreenHarness(screen), terminal_size=(80, 24), run_before=_settle)


def test_environment_zh(snap_compare):
    screen = EnvironmentScreen(Session(demo=True, lang="zh", env_report=fake_report("zh")))
    assert snap_compare(ScreenHarness(screen), terminal_size=(80, 24), run_before=_settle)


def test_plan_en(snap_compare):
    from mindpilot.tui.screens.plan import PlanScreen
    from tui_apps.fakes import fake_candidates

    session = Session(demo=True, lang="en", env_report=fake_report("en"), model="qwen2.5-7b",
                      candidates=fake_candidates())
    assert snap_compare(ScreenHarness(PlanScreen(session)), terminal_size=(80, 24), run_before=_settle)


def test_check_en(snap_compare, monkeypatch):
    from mindpilot.tui import core
    from mindpilot.tui.screens.check import CheckScreen
    from tui_apps.fakes import fake_check_findings

    monkeypatch.setattr(core, "check", lambda *args: fake_check_findings("en"))
    session = Session(demo=False, lang="en", env_report=fake_report("en"), cards=2, hbm_gb=32,
                      config_path="finetune_qwen2_7b.yaml")
    assert snap_compare(ScreenHarness(CheckScreen(session)), terminal_size=(80, 24), run_before=_settle)


def test_launch_failed_job_en(snap_compare, monkeypatch):
    from mindpilot.tui import launching
    from mindpilot.tui.screens.launch import LaunchScreen
    from tui_apps.fakes import FakeCommand, FakePreset, FakeRecord, fake_job_events

    from mindpilot.tui import acquiring

    monkeypatch.setattr(launching, "load_preset", lambda name: FakePreset())
    monkeypatch.setattr(acquiring, "journey_preset", lambda session: FakePreset())
    monkeypatch.setattr(launching, "commands_for",
                        lambda preset, facts, port=None: ([FakeCommand()], "/home/ma-user/work/demo_msrun_log", 8118))
    monkeypatch.setattr(launching, "msrun_missing", lambda: None)
    monkeypatch.setattr(launching, "preflight", lambda *args: [])
    monkeypatch.setattr(launching, "start", lambda *args: FakeRecord())
    monkeypatch.setattr(launching, "running_jobs", lambda: [])
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(fake_job_events(fail=True)))

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)

    screen = LaunchScreen(Session(demo=True, lang="en", env_report=fake_report("en")))
    assert snap_compare(ScreenHarness(screen), terminal_size=(80, 24), run_before=run_before)


def test_diagnose_zh(snap_compare):

    from mindpilot.tui.screens.diagnose import DiagnoseScreen
    from tui_apps.fakes import fake_diagnosis

    session = Session(lang="zh", log_dir="output/msrun_log", diagnosis=fake_diagnosis("zh"))
    assert snap_compare(ScreenHarness(DiagnoseScreen(session)), terminal_size=(80, 24), run_before=_settle)


def test_help_zh(snap_compare):
    from mindpilot.tui.screens.help import HelpScreen
    from mindpilot.tui.steps import all_cli_argvs

    session = Session(demo=True, lang="zh", env_report=fake_report("zh"), model="qwen2.5-7b")
    screen = HelpScreen("zh", all_cli_argvs(session))
    assert snap_compare(ScreenHarness(screen), terminal_size=(80, 24), run_before=_settle)


def _fixed_stack(monkeypatch):
    from mindpilot.acquire.stack import Stack
    from mindpilot.tui import acquiring

    monkeypatch.setattr(acquiring, "stack", lambda session: Stack(
        mindformers_version="1.3.0", mindformers_dir="/home/ma-user/work/mindformers",
        mindrlhf_dir="/home/ma-user/work/mindrlhf", mindspeed_dir="/home/ma-user/work/MindSpeed-LLM"))


MODEL_DIR = "/home/ma-user/work/models/Qwen2.5-7B"


def test_model_en(snap_compare, monkeypatch, tmp_path):
    from mindpilot.tui.screens.model import ModelScreen

    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "empty-cache"))
    session = Session(lang="en", env_report=fake_report("en"), model_source=MODEL_DIR)

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("k")
        await _settle(pilot)

    assert snap_compare(ScreenHarness(ModelScreen(session)), terminal_size=(80, 24), run_before=run_before)


def test_weights_mindspeed_en(snap_compare, monkeypatch):
    from mindpilot.tui.screens.weights import WeightsScreen

    _fixed_stack(monkeypatch)
    session = Session(lang="en", env_report=fake_report("en"), model_dir=MODEL_DIR, framework="mindspeed-llm",
                      chosen={"parallel_config": {"data_parallel": 1, "model_parallel": 4, "pipeline_stage": 2}})
    assert snap_compare(ScreenHarness(WeightsScreen(session)), terminal_size=(80, 24), run_before=_settle)


def test_data_zh(snap_compare, monkeypatch):
    from mindpilot.tui.screens.data import DataScreen

    _fixed_stack(monkeypatch)
    session = Session(lang="zh", env_report=fake_report("zh"), model_dir=MODEL_DIR,
                      dataset="/home/ma-user/work/data/alpaca_data.json")
    assert snap_compare(ScreenHarness(DataScreen(session)), terminal_size=(80, 24), run_before=_settle)
