"""End to end: the real ``mindpilot --demo`` in a real terminal (tmux, 80x24), driven by keys.

Reads the screen with ``capture-pane -p`` as a person would see it, and checks that ``q`` really
ends the program. Every wait polls for a condition with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from typing import Callable

import pytest

pytestmark = pytest.mark.tmux

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed", allow_module_level=True)


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: str, env: dict[str, str], cwd: str) -> None:
        self.socket = f"mindpilot-test-{uuid.uuid4().hex[:8]}"
        self.session = "mp"
        env_flags = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
        self.tmux("new-session", "-d", "-s", self.session, "-x", "80", "-y", "24", "-c", cwd, *env_flags, command)

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=30)

    def screen(self) -> str:
        done = self.tmux("capture-pane", "-p", "-t", self.session, check=False)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.session, check=False).returncode == 0

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def tmux_app(tmp_path):
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    command = f"{shlex.quote(sys.executable)} -m mindpilot --demo"
    session = Tmux(command, env, str(tmp_path))
    try:
        yield session
    finally:
        session.close()


def _quit(app: Tmux) -> None:
    app.keys("q")
    deadline = time.monotonic() + 20
    while app.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not app.alive(), "the app did not exit on q"


def test_demo_app_shows_environment_moves_through_steps_and_quits(tmux_app):
    screen = tmux_app.wait_for(lambda s: "Component" in s and "mindpilot doctor --demo" in s,
                               "the Environment step")
    assert "1 Environment" in screen and "5 Diagnose" in screen and "[demo]" in screen
    # the demo doctor report: 8 demo cards and a verdict against a known stack
    screen = tmux_app.wait_for(lambda s: "HBM per card" in s or "not available" in s or "Failed" in s,
                               "the doctor result")
    assert "8× 910B" in screen, screen

    tmux_app.keys("n")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot plan --model qwen2.5-7b --cards 8 --hbm 64" in s,
                      "the Model & Plan step with the demo's cards")
    tmux_app.keys("p")
    tmux_app.wait_for(lambda s: "candidates," in s and "fit (qwen2.5-7b, 8 cards" in s, "plan candidates")
    tmux_app.keys("?")
    tmux_app.wait_for(lambda s: "Keys" in s and "mindpilot doctor --demo" in s, "the help screen")
    tmux_app.keys("Escape")
    tmux_app.wait_for(lambda s: "Keys" not in s, "help to close")
    tmux_app.keys("3")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot check" in s, "the Check step")
    tmux_app.keys("1")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot doctor --demo" in s, "back on Environment")
    _quit(tmux_app)


def test_demo_job_runs_from_the_launch_step_and_diagnose_reads_its_logs(tmux_app):
    tmux_app.wait_for(lambda s: "Component" in s, "the Environment step")
    tmux_app.keys("4")
    screen = tmux_app.wait_for(lambda s: "--worker_num=2" in s and "msrun" in s, "the msrun command preview")
    assert "CLI $ mindpilot launch --demo" in screen
    if importlib.util.find_spec("mindspore") is None:
        tmux_app.wait_for(lambda s: "MindSpore is not installed" in s, "the no-mindspore notice")
        _quit(tmux_app)
        return
    tmux_app.keys("r")
    screen = tmux_app.wait_for(lambda s: "succeeded (exit 0)" in s or "failed (exit" in s, "the demo job to end",
                               timeout=120)
    assert "succeeded (exit 0)" in screen, screen
    assert "→" in screen  # loss range beside the chart: first → last
    tmux_app.keys("5")
    tmux_app.wait_for(lambda s: "demo_msrun_log" in s and "CLI $ mindpilot diagnose" in s,
                      "Diagnose with the job's log dir")
    tmux_app.keys("g")
    tmux_app.wait_for(lambda s: "No root cause found" in s or "Root cause" in s, "the diagnosis")
    _quit(tmux_app)


def test_chinese_locale_shows_chinese_labels(tmp_path):
    env = {"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    app = Tmux(f"{shlex.quote(sys.executable)} -m mindpilot --demo --lang zh", env, str(tmp_path))
    try:
        screen = app.wait_for(lambda s: "组件" in s and "命令行 $ mindpilot doctor --demo --lang zh" in s,
                              "the Environment step in Chinese")
        assert "1 环境" in screen and "5 诊断" in screen
        app.keys("l")
        app.wait_for(lambda s: "Component" in s and "mindpilot doctor --demo" in s, "English after l")
        _quit(app)
    finally:
        app.close()
