"""End to end: the real ``mindpilot --demo`` in a real terminal (tmux, 80x24), driven by keys.

The whole first-time journey, in English and in Chinese: model -> weights -> data -> plan -> check ->
launch (a real msrun job built from the YAML the steps checked) -> save the job as a preset, then
``mindpilot launch FILE --dry-run`` from the CLI replays it. Reads the screen with ``capture-pane -p``
as a person would see it, and checks that ``q`` really ends the program. Every wait polls for a
condition with a deadline; nothing sleeps a fixed time.
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
                              check=check, timeout=60)

    def screen(self) -> str:
        done = self.tmux("capture-pane", "-p", "-t", self.session, check=False)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.session, check=False).returncode == 0

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 90.0) -> str:
        """Poll the screen until ``condition`` holds; the deadline is generous (a cold start on a loaded 2-core
        machine takes tens of seconds) and costs nothing when the app is quick. The condition also sees the
        screen with each row's frame stripped and the rows joined (by a space, and by nothing for a path the app
        broke mid-word), so a phrase the app wrapped still matches."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen) or condition(_joined(screen)) or condition(_joined(screen, "")):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; screen was:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def _joined(screen: str, separator: str = " ") -> str:
    """The rows without their frame and padding, joined (what was one line before wrapping)."""
    return separator.join(row.strip(" █▌▐│▆▇▁▃") for row in screen.splitlines() if row.strip(" █▌▐│▆▇▁▃"))


def _env(tmp_path) -> dict[str, str]:
    return {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "MINDPILOT_STATE_DIR": str(tmp_path / "state"), "MODELSCOPE_CACHE": str(tmp_path / "modelscope")}


@pytest.fixture
def tmux_app(tmp_path):
    session = Tmux(f"{shlex.quote(sys.executable)} -m mindpilot --demo", _env(tmp_path), str(tmp_path))
    try:
        yield session
    finally:
        session.close()


def _quit(app: Tmux) -> None:
    app.keys("q")
    deadline = time.monotonic() + 60
    while app.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not app.alive(), "the app did not exit on q"


WORDS = {
    "en": {"env": "8× 910B", "model": "Model complete", "plan": "candidates,", "cli": "CLI $ ",
           "started": "step ", "ok": "succeeded (exit 0)", "saved": "Saved the preset", "bar": ("1 Environment", "8")},
    "zh": {"env": "8 张 910B", "model": "模型完整", "plan": "个方案", "cli": "命令行 $ ",
           "started": "步", "ok": "成功结束（退出码 0）", "saved": "已保存预设", "bar": ("1 环境", "8 诊断")},
}
"""What each step shows when it is done, per language."""


def _journey(tmp_path, lang: str) -> None:
    words = WORDS[lang]
    flags = " --lang zh" if lang == "zh" else ""
    app = Tmux(f"{shlex.quote(sys.executable)} -m mindpilot --demo{flags}", _env(tmp_path), str(tmp_path))
    try:
        screen = app.wait_for(lambda s: words["env"] in s, "the Environment step with the demo host")
        assert all(part in screen for part in words["bar"]), screen
        app.keys("n")
        app.wait_for(lambda s: words["model"] in s and "mindpilot model check" in s, "the Model step, model checked")
        app.keys("n")
        app.wait_for(lambda s: "convert_weight.py" in s and "mindpilot weights" in s, "the Weights step's command")
        app.keys("n")
        app.wait_for(lambda s: "alpaca_converter.py" in s and "--seq_length 8192" in s,
                     "the Data step's command with the YAML's sequence length")
        app.keys("n")
        app.wait_for(lambda s: words["plan"] in s and "mindpilot plan --model" in s, "plan candidates")
        app.keys("n")
        app.wait_for(lambda s: words["cli"] + "mindpilot check" in s and "yaml.string_not_bool" in s,
                     "the Check step's findings on the demo YAML")
        app.keys("n")
        screen = app.wait_for(lambda s: "--worker_num=2" in s and "--config" in s, "the job built from the YAML")
        assert "finetune_qwen2_5_7b" in screen, screen
        if importlib.util.find_spec("mindspore") is None:
            app.wait_for(lambda s: "MindSpore" in s, "the no-mindspore notice")
            _quit(app)
            return
        app.keys("r")
        # The steps' YAML still holds its errors (and describes 8 NPUs): preflight asks, as `launch` needs --force.
        app.wait_for(lambda s: "--force" in s, "the preflight question")
        app.keys("y")
        app.wait_for(lambda s: "my-demo-job" in s and words["started"] in s and "loss" in s, "the job running",
                     timeout=300)
        app.wait_for(lambda s: words["ok"] in s or "(exit" in s or "退出码" in s, "the job to end", timeout=300)
        assert words["ok"] in app.screen(), app.screen()
        worker_logs = list((tmp_path / "demo_msrun_log").rglob("worker_*.log"))
        assert worker_logs and "finetune_qwen2_5_7b.yaml" in worker_logs[0].read_text(), "the job did not get the YAML"
        app.keys("w")
        app.wait_for(lambda s: words["saved"] in s and "mindpilot launch" in s, "the preset saved")
        if lang == "en":
            app.keys("8")
            app.wait_for(lambda s: "demo_msrun_log" in s and "CLI $ mindpilot diagnose" in s,
                         "Diagnose with the job's log dir")
            app.keys("g")
            app.wait_for(lambda s: "No root cause found" in s or "Root cause" in s, "the diagnosis")
        _quit(app)
    finally:
        app.close()
    saved = tmp_path / "my-demo-job.preset.yaml"
    assert saved.is_file()
    replay = subprocess.run([sys.executable, "-m", "mindpilot", "launch", str(saved), "--dry-run", "--no-probe"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, **_env(tmp_path)})
    # The preset carries the steps' YAML: the replay's preflight finds the errors the Launch step asked about.
    assert replay.returncode == 1 and "use_parallel" in replay.stdout, replay.stdout + replay.stderr
    assert "finetune_qwen2_5_7b.yaml" in replay.stdout and "--worker_num=2" in replay.stdout


def test_first_time_journey_in_english_from_model_to_a_saved_preset_replayed_by_the_cli(tmp_path):
    _journey(tmp_path, "en")


def test_first_time_journey_in_chinese_from_model_to_a_saved_preset_replayed_by_the_cli(tmp_path):
    _journey(tmp_path, "zh")


def test_help_number_keys_and_quit(tmux_app):
    tmux_app.wait_for(lambda s: "Component" in s and "mindpilot doctor --demo" in s, "the Environment step")
    tmux_app.keys("?")
    tmux_app.wait_for(lambda s: "Keys" in s and "mindpilot doctor --demo" in s, "the help screen")
    tmux_app.keys("Escape")
    tmux_app.wait_for(lambda s: "Keys" not in s, "help to close")
    tmux_app.keys("6")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot check" in s, "the Check step")
    tmux_app.keys("1")
    tmux_app.wait_for(lambda s: "CLI $ mindpilot doctor --demo" in s, "back on Environment")
    _quit(tmux_app)


def test_chinese_locale_shows_chinese_labels(tmp_path):
    env = {**_env(tmp_path), "LANG": "zh_CN.UTF-8"}
    app = Tmux(f"{shlex.quote(sys.executable)} -m mindpilot --demo --lang zh", env, str(tmp_path))
    try:
        screen = app.wait_for(lambda s: "组件" in s and "命令行 $ mindpilot doctor --demo --lang zh" in s,
                              "the Environment step in Chinese")
        assert "1 环境" in screen and "8 诊断" in screen
        app.keys("l")
        app.wait_for(lambda s: "Component" in s and "mindpilot doctor --demo" in s, "English after l")
        _quit(app)
    finally:
        app.close()
