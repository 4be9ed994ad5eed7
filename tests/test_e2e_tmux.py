"""End to end: the real ``mindpilot --demo`` in a real terminal (tmux, 80x24), driven by keys.

Reads the screen with ``capture-pane -p`` as a person would see it, and checks that ``q`` really
ends the program. Every wait polls for a condition with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

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

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.socket = f"mindpilot-test-{uuid.uuid4().hex[:8]}"
        self.session = "mp"
        env_flags = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
        self.tmux("new-session", "-d", "-s", self.session, "-x", "80", "-y", "24", *env_flags, command)

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
def tmux_app():
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    command = f"{shlex.quote(sys.executable)} -m mindpilot --demo"
    session = Tmux(command, env)
    try:
        yield session
    finally:
        session.close()


def test_demo_app_shows_environment_moves_through_steps_and_quits(tmux_app):
    screen = tmux_app.wait_for(lambda s: "Component" in s and "mindpilot doctor --demo" in s,
                               "the Environment step")
    assert "1 Environment" in screen and "5 Diagnose" in screen
    assert "[demo]" in screen
    # the demo doctor report (or, before the doctor exists, an honest message) fills the screen
    tmux_app.wait_for(lambda s: "Stack" in s or "not available" in s, "the doctor result")

    tmux_app.keys("n")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot plan" in s, "the Model & Plan step")
    tmux_app.keys("?")
    tmux_app.wait_for(lambda s: "Keys" in s and "mindpilot doctor --demo" in s, "the help screen")
    tmux_app.keys("Escape")
    tmux_app.wait_for(lambda s: "Keys" not in s, "help to close")
    tmux_app.keys("1")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot doctor --demo" in s, "back on Environment")

    tmux_app.keys("q")
    deadline = time.monotonic() + 20
    while tmux_app.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux_app.alive(), "the app did not exit on q"
