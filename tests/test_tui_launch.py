"""Launch step: command preview, the job's events rendered (logs per rank, loss, errors), stop/detach.

The fake tests replace the launch core's calls at ``mindpilot.tui.launching``; the last test runs the
real demo job through the real msrun on CPU (needs the mindspore extra).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from textual.widgets import Static

from mindpilot.tui import acquiring, launching
from mindpilot.tui.screens.launch import LaunchScreen
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.command_hint import CommandHint
from tui_apps.fakes import FakeCommand, FakePreset, FakeRecord, fake_job_events, fake_report
from tui_apps.harness import ScreenHarness, screen_lines, settle, squeezed


@pytest.fixture
def fake_launch(monkeypatch):
    """The launch core replaced by fakes; returns a dict recording calls and choosing the events."""
    state = {"fail": False, "started": [], "stopped": [], "preflight": [], "missing": None}
    monkeypatch.setattr(launching, "load_preset", lambda name: FakePreset())
    monkeypatch.setattr(acquiring, "journey_preset", lambda session: FakePreset())  # the job the steps built
    monkeypatch.setattr(launching, "commands_for",
                        lambda preset, facts, port=None: ([FakeCommand()], "/home/ma-user/work/demo_msrun_log", 8118))
    monkeypatch.setattr(launching, "msrun_missing", lambda: state["missing"])
    monkeypatch.setattr(launching, "preflight", lambda preset, facts, lang, log_dir, port: list(state["preflight"]))
    monkeypatch.setattr(launching, "start", lambda preset, command, log_dir: state["started"].append(log_dir)
                        or FakeRecord())
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(fake_job_events(state["fail"])))
    monkeypatch.setattr(launching, "stop_job", lambda job: state["stopped"].append(job) or [])
    monkeypatch.setattr(launching, "running_jobs", lambda: [])  # never the machine's real jobs
    return state


async def _settle(pilot) -> None:
    await settle(pilot)


def _log_text(screen) -> str:
    """What the log widget shows (lines wrap at the pane's width; nothing is cut)."""
    return "\n".join(strip.text for strip in screen.query_one("#log").lines)


async def test_command_preview_and_cli_equivalent(fake_launch):
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        preview = app.screen.query_one("#launch-command").plain
        assert "msrun --worker_num=2" in preview and "--master_port=8118" in preview
        assert "mindpilot launch --demo" in app.screen.query_one(CommandHint).plain


async def test_a_successful_job_fills_log_views_loss_chart_and_status(fake_launch):
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(LaunchScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        screen = app.screen
        assert fake_launch["started"] == ["/home/ma-user/work/demo_msrun_log"]
        assert session.log_dir == FakeRecord.log_dir
        assert screen.job.status_text == f"job {FakeRecord.id} succeeded (exit 0)"
        # the loss chart follows the lowest rank
        assert screen.query_one("#loss-chart").losses == [round(2.5 / s, 4) for s in range(1, 7)]
        lines = screen.job.view_lines()
        assert len(lines) == 12 and lines[0].startswith("[0] { Epoch") and _log_text(screen).startswith("[0] { Epoch")
        await pilot.press("v")  # all ranks -> rank 0
        lines = screen.job.view_lines()
        assert len(lines) == 6 and lines[0].startswith("{ Epoch") and "loss: 2.5," in lines[0]
        assert _log_text(screen).startswith("{ Epoch")
        await pilot.press("v")  # -> rank 1
        assert "loss: 2.51," in screen.job.view_lines()[0]
        assert "rank 1" in str(screen.query_one("#log-title", Static).render())
        await pilot.press("v")  # -> all ranks again
        assert len(screen.job.view_lines()) == 12
        assert not screen.query_one("#launch-errors", CommandBlock).display


async def test_a_failing_rank_is_named_in_the_error_panel(fake_launch):
    fake_launch["fail"] = True
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        panel = app.screen.query_one("#launch-errors", CommandBlock)
        text = panel.plain
        assert panel.display
        assert "▶ rank 1: device out of memory" in text
        assert "first failing rank 1" not in text  # the root cause once, not twice
        assert "1 more are consequences" in text
        assert "failed (exit 1)" in app.screen.job.status_text


async def test_preflight_errors_block_the_start_until_confirmed_or_forced(fake_launch):
    from mindpilot.tui.screens.confirm import ConfirmScreen
    from mindpilot.validators.findings import Finding, Severity

    fake_launch["preflight"] = [Finding(rule="preflight.port_busy", severity=Severity.ERROR,
                                        title="master port 8118 is in use", fix="--master-port 8119")]
    screen = LaunchScreen(Session(demo=True, env_report=fake_report()))
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        assert fake_launch["started"] == [] and isinstance(app.screen, ConfirmScreen)
        assert "Start anyway (as --force)?" in app.screen.question
        assert "Preflight found 1 error" in screen.job.status_text
        assert "master port 8118 is in use — --master-port 8119" in screen.query_one("#launch-errors",
                                                                                    CommandBlock).plain
        await pilot.press("n")  # no: nothing starts, the findings stay
        await _settle(pilot)
        assert fake_launch["started"] == [] and app.screen is screen and not screen.running
        await pilot.press("r")
        await _settle(pilot)
        await pilot.press("y")  # yes: as --force
        await _settle(pilot)
        assert len(fake_launch["started"]) == 1
        await pilot.press("R")  # R starts past the errors without asking
        await _settle(pilot)
        assert len(fake_launch["started"]) == 2 and not isinstance(app.screen, ConfirmScreen)


async def test_without_mindspore_the_demo_says_so_and_does_not_start(fake_launch):
    fake_launch["missing"] = "mindspore"
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert "MindSpore is not installed" in app.screen.job.status_text
        await pilot.press("r")
        await _settle(pilot)
        assert fake_launch["started"] == []
        assert "pip install -e '.[mindspore]'" in app.screen.job.status_text


async def test_stop_and_detach_need_a_running_job(fake_launch):
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _settle(pilot)
        await pilot.press("s")
        await pilot.press("d")
        await pilot.pause()
        assert fake_launch["stopped"] == []
        assert [n.message for n in app._notifications] == ["No running job", "No running job"]
        assert "a" not in _footer_keys(app)  # nothing to attach to
        app.screen.running, app.screen.job.job_id = True, "demo-1"
        await pilot.press("d")
        app.screen._watch_ended()  # what the follow worker does once it stops following
        await pilot.pause()
        assert "a" in _footer_keys(app)  # d detached: a resumes, and the footer says so


def _footer_keys(app) -> list:
    from mindpilot.tui.widgets.key_footer import KeyFooter

    return [key for key, _, _ in app.screen.query_one(KeyFooter).pairs()]


@pytest.mark.mindspore
@pytest.mark.slow
async def test_real_demo_job_runs_through_msrun_and_is_rendered(tmp_path, monkeypatch):
    if importlib.util.find_spec("mindspore") is None or launching.msrun_missing():
        pytest.skip("needs the mindspore extra (real msrun)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(tmp_path / "state"))
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(LaunchScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        screen = app.screen
        assert "succeeded (exit 0)" in screen.job.status_text, screen.job.status_text
        assert len(screen.job.losses) == 30
        assert {0, 1} <= set(screen.job.buffers)
        # The job's own folder inside the preset's log root (one folder per job).
        assert Path(session.log_dir).parent == (tmp_path / "demo_msrun_log").resolve()
        assert (Path(session.log_dir) / "worker_1.log").exists()


async def test_quitting_while_a_job_runs_detaches_it(fake_launch, monkeypatch):
    import time

    from mindpilot.launch.events import LineEvent
    from mindpilot.tui.app import MindpilotApp

    def endless(job, lang, stop):
        while not stop():
            yield LineEvent(source="worker", rank=0, text="still training", file="worker_0.log")
            time.sleep(0.01)

    monkeypatch.setattr(launching, "watch", endless)
    app = MindpilotApp(Session(demo=True, env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("r")
        for _ in range(200):  # wait (bounded) until the job's lines arrive
            if len(app.screen.job.view_lines()) >= 3:
                break
            await pilot.pause(0.05)
        assert app.screen.running
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0
    assert app.detached_jobs == [FakeRecord.id]
    assert fake_launch["stopped"] == []  # detached, not killed


def watch_until_stopped(state: dict):
    """A stand-in for ``launching.watch``: a worker line every 10 ms until the fake core was asked to stop."""
    import time

    from mindpilot.launch.events import ExitEvent, LineEvent

    def until_stopped(job, lang, stop):
        while not state["stopped"] and not stop():
            yield LineEvent(source="worker", rank=0, text="training", file="worker_0.log")
            time.sleep(0.01)
        yield ExitEvent(code=-15, status="stopped")

    return until_stopped


async def test_stop_key_stops_the_running_job_through_the_core(fake_launch, monkeypatch):
    monkeypatch.setattr(launching, "watch", watch_until_stopped(fake_launch))
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        for _ in range(200):  # bounded wait for the job to be running
            if app.screen.job.view_lines():
                break
            await pilot.pause(0.05)
        await pilot.press("s")  # asks first: n keeps the job
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert fake_launch["stopped"] == [] and app.screen.running
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await _settle(pilot)
        assert fake_launch["stopped"] == [FakeRecord.id]
        assert "stopped (exit -15)" in app.screen.job.status_text
        assert f"job {FakeRecord.id} stopped; no process left" in [n.message for n in app._notifications]


async def test_a_job_running_elsewhere_is_offered_and_attached(fake_launch, monkeypatch):
    monkeypatch.setattr(launching, "running_jobs", lambda: [FakeRecord()])
    session = Session(demo=True, env_report=fake_report())
    app = ScreenHarness(LaunchScreen(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert f"Job {FakeRecord.id} is running: press a" in app.screen.job.status_text
        assert "a" in _footer_keys(app)  # the footer offers what the status line says
        await pilot.press("a")
        await _settle(pilot)
        assert fake_launch["started"] == []  # attached, not started again
        assert session.log_dir == FakeRecord.log_dir
        assert app.screen.job.status_text == f"job {FakeRecord.id} succeeded (exit 0)"
        assert f"mindpilot attach {FakeRecord.id}" in app.screen.query_one(CommandHint).plain


async def test_a_failure_while_following_is_shown_not_fatal(fake_launch, monkeypatch):
    def broken(job, lang, stop):
        yield from fake_job_events()[:4]
        raise KeyError("demo-20261125-120000-abcd: unreadable job record")

    monkeypatch.setattr(launching, "watch", broken)
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        assert app.is_running and not app.screen.running
        assert "unreadable job record" in app.screen.query_one("#launch-errors", CommandBlock).plain
        assert len(app.screen.job.view_lines()) == 2


async def test_quitting_while_the_job_starts_still_names_it(fake_launch, monkeypatch):
    import time

    from mindpilot.tui.app import MindpilotApp

    def slow_start(preset, command, log_dir):
        time.sleep(0.3)  # msrun coming up
        return FakeRecord()

    monkeypatch.setattr(launching, "start", slow_start)
    app = MindpilotApp(Session(demo=True, env_report=fake_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("r")
        await pilot.press("q")
        await pilot.pause()
    assert app.detached_jobs == [FakeRecord.id]


async def test_run_without_a_job_says_what_to_enter(fake_launch, monkeypatch):
    def nothing_built(session):
        raise ValueError("no YAML yet")

    monkeypatch.setattr(acquiring, "journey_preset", nothing_built)
    app = ScreenHarness(LaunchScreen(Session(demo=False, env_report=fake_report())))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert fake_launch["started"] == []
        assert "Enter a preset name (demo)" in [n.message for n in app._notifications][0]


async def test_a_multi_node_preset_is_not_started_from_one_node(fake_launch, monkeypatch):
    monkeypatch.setattr(launching, "commands_for",
                        lambda preset, facts, port=None: ([FakeCommand(), FakeCommand()], "/tmp/logs", 8118))
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        assert fake_launch["started"] == []
        assert app.screen.job.status_text.startswith("Several nodes: run each node's command")


async def test_the_all_ranks_log_wraps_long_worker_lines_without_losing_a_character(fake_launch, monkeypatch):
    from mindpilot.launch.events import ExitEvent, LineEvent
    from tui_apps.harness import region_text, squeezed

    line = ("{ Epoch:[  1/  1], step:[   12/   30], loss: 1.234567, per_step_time: 39ms, lr: 0.0001, "
            "overflow cond: False, loss_scale: 1.0, global_norm: [0.98765], train_throughput_per_npu: 12.3T "
            + "".join(chr(ord("a") + n % 26) for n in range(120)))
    events = [LineEvent(source="worker", rank=rank, text=f"{line} #{n}", file=f"worker_{rank}.log")
              for n in range(12) for rank in (0, 1)] + [ExitEvent(code=0, status="succeeded")]
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(events))
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)
        log = app.screen.query_one("#log")
        log.scroll_end(animate=False)
        await pilot.pause()
        shown = squeezed(region_text(app, log))
        assert squeezed(f"[1] {line} #11") in shown, region_text(app, log)


async def test_run_sh_the_preview_and_the_job_use_the_same_port(monkeypatch, tmp_path):
    """The port picked when the command is first shown survives run.sh's view (which resumes the step)."""
    from mindpilot.tui.screens.text_view import TextScreen

    monkeypatch.chdir(tmp_path)
    started = []
    monkeypatch.setattr(launching, "msrun_missing", lambda: None)
    monkeypatch.setattr(launching, "start", lambda preset, command, log_dir: started.append(command) or FakeRecord())
    monkeypatch.setattr(launching, "watch", lambda job, lang, stop: iter(fake_job_events()))
    monkeypatch.setattr(launching, "running_jobs", list)
    app = ScreenHarness(LaunchScreen(Session(demo=True, env_report=fake_report())))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        screen = app.screen
        port = screen.master_port
        assert port and f"--master_port={port}" in screen.query_one("#launch-command").plain
        await pilot.press("p")
        await _settle(pilot)
        assert isinstance(app.screen, TextScreen) and f"--master_port={port}" in app.screen.text
        await pilot.press("escape")
        await _settle(pilot)
        assert app.screen is screen and screen.master_port == port
        await pilot.press("r")
        await _settle(pilot)
        assert started and f"--master_port={port}" in started[0].argv


def _cli_json_lines(*argv: str, cwd) -> tuple[int, list[dict]]:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mindpilot", *argv, "--json"], capture_output=True, text=True,
                          timeout=120, cwd=cwd)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


async def test_the_demo_job_is_gated_by_the_same_preflight_as_launch_and_w_saves_its_yaml(monkeypatch, tmp_path):
    """The steps' YAML (3 errors on 2 CPU workers): the CLI line's dry run and the step find the same errors."""
    from mindpilot.tui.core import demo_config
    from mindpilot.tui.screens.confirm import ConfirmScreen

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launching, "msrun_missing", lambda: None)
    started = []
    monkeypatch.setattr(launching, "start", lambda *args: started.append(args) or FakeRecord())
    monkeypatch.setattr(launching, "running_jobs", list)
    session = Session(demo=True, env_report=fake_report(), config_path=demo_config())
    screen = LaunchScreen(session)
    app = ScreenHarness(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        argv = screen.query_one(CommandHint).argv
        assert argv == ["mindpilot", "launch", "--demo", "--config", session.config_path]
        await pilot.press("r")
        await _settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and started == []
        panel = screen.query_one("#launch-errors", CommandBlock).plain
        await pilot.press("n")
        await _settle(pilot)
        await pilot.press("w")
        await _settle(pilot)
        saved = tmp_path / "my-demo-job.preset.yaml"
        assert session.saved_preset == str(saved) and saved.is_file()
        await pilot.press("w")  # the file exists now: asks, and n keeps it
        await _settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and str(saved) in app.screen.question
        saved.write_text(saved.read_text() + "# mine\n")
        await pilot.press("n")
        await _settle(pilot)
        assert saved.read_text().endswith("# mine\n")
    code, events = _cli_json_lines(*argv[1:], "--dry-run", "--no-probe", cwd=tmp_path)
    cli_errors = [e["finding"] for e in events if e.get("type") == "preflight" and e["finding"]["severity"] == "error"]
    assert code == 1 and len(cli_errors) == 3
    for finding in cli_errors:
        assert finding["title"] in panel, (finding, panel)
    import subprocess
    import sys

    check = subprocess.run([sys.executable, "-m", "mindpilot", "check", str(saved)], capture_output=True, text=True,
                           timeout=120, cwd=tmp_path)
    assert check.returncode == 1 and "use_parallel" in check.stdout  # the preset carries the YAML; check reads it


async def test_the_preflight_panel_holds_every_finding_and_follows_a_language_switch(monkeypatch, tmp_path):
    """80x24, the demo YAML's 3 errors: each whole in the (scrolling) panel with the CLI line whole below; after
    the switch to Chinese the status and the findings are the ones ``launch --lang zh`` gives."""
    from mindpilot.tui.core import demo_config
    from mindpilot.tui.labels import label

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launching, "msrun_missing", lambda: None)
    monkeypatch.setattr(launching, "running_jobs", list)
    session = Session(demo=True, env_report=fake_report(), config_path=demo_config())
    screen = LaunchScreen(session)
    app = ScreenHarness(screen)
    panels = {}
    async with app.run_test(size=(80, 24)) as pilot:
        for lang in ("en", "zh"):
            if lang == "zh":
                session.lang = "zh"
                await screen.relabel()
            else:
                await _settle(pilot)
                await pilot.press("r")
                await _settle(pilot)
                await pilot.press("n")
            await _settle(pilot)
            panel = screen.query_one("#launch-errors", CommandBlock)
            panels[lang] = panel.plain
            shown = squeezed("".join(screen_lines(app)))
            assert squeezed(screen.query_one(CommandHint).plain) in shown  # the CLI line whole on screen
            assert panel.display and panel.max_scroll_y > 0  # taller than its box: it scrolls
            assert screen.job.status_text == label("launch_preflight_blocked", lang, errors=3)
            assert squeezed(screen.job.status_text) in shown
    for lang, flags in (("en", []), ("zh", ["--lang", "zh"])):
        code, events = _cli_json_lines("launch", "--demo", "--config", session.config_path, "--dry-run",
                                       "--no-probe", *flags, cwd=tmp_path)
        titles = [e["finding"]["title"] for e in events
                  if e.get("type") == "preflight" and e["finding"]["severity"] == "error"]
        assert len(titles) == 3 and all(title in panels[lang] for title in titles), (titles, panels[lang])
