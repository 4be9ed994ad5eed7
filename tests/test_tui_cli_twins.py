"""Every CLI command the TUI shows (the CLI-twin line of each step, and the commands its screens offer) parses
with the real ``mindpilot`` parser: the TUI never teaches a command the CLI refuses.

The commands are gathered from where the TUI builds them: each step's ``cli`` in :data:`tui.steps.STEPS` and
every ``*_argv`` builder in the TUI's adapter modules, called on sessions from empty to fully filled."""

from __future__ import annotations

import inspect
import itertools

import pytest

from mindpilot.cli import build_parser
from mindpilot.tui import acquiring, core, launching
from mindpilot.tui.session import Session
from mindpilot.tui.steps import STEPS

BUILDER_MODULES = (core, acquiring, launching)
PLACEHOLDERS = {"CARDS": "8", "GB": "64"}
"""Placeholders the TUI shows for a number it does not know yet, as a user would fill them in (the others,
``MODEL``, ``FILE``, ``PRESET`` ..., are strings the parser takes as they are)."""
FRAMEWORKS = ("mindformers", "mindrlhf-grpo", "mindspeed-llm")


def _sessions() -> list[Session]:
    sessions = [Session(), Session(demo=True), Session(lang="zh", demo=True)]
    for framework, lang in itertools.product(FRAMEWORKS, ("en", "zh")):
        sessions.append(Session(
            lang=lang, framework=framework, model="qwen2.5-7b", model_source="Qwen/Qwen2.5-7B",
            model_dir="/data/my models/Qwen2.5-7B", weights_output="/data/ckpt out", dataset="/data/alpaca data.json",
            data_output="/data/mindrecord", saved_preset="/home/u/.config/mindpilot/my job.yaml", cards=16,
            hbm_gb=64.0, seq_len=8192, config_path="/work/configs/finetune qwen2.yaml",
            log_dir="/work/output/msrun_log"))
    return sessions


def _arguments(name: str, session: Session) -> list:
    """Values to try for a builder parameter named ``name`` (a new parameter name fails here: add it)."""
    values = {
        "session": [session], "lang": [session.lang], "demo": [session.demo, not session.demo],
        "seq_len": [None, 4096], "paths": [None, ["/work/a config.yaml", "/work/run.sh"]],
        "skip_paths": [False, True], "source": ["Qwen/Qwen2.5-7B", "/data/local model", ""],
        "local_dir": ["", "/data/local model"], "output": [None, "/data/out dir"],
        "dataset": ["", "/data/alpaca.json"], "preset": ["", "demo", "/work/my preset.yaml"],
        "saved": [None, session.saved_preset], "job_id": ["demo-20261207-120000-abcd"],
        "config": [None, session.config_path], "apply_pick": [None, 1, 3],
    }
    assert name in values, f"a TUI command builder takes {name!r}: say here what values it can have"
    return values[name]


def _builders() -> list:
    found = [function for module in BUILDER_MODULES for name, function in inspect.getmembers(module, inspect.isfunction)
             if name.endswith("_argv") and function.__module__ == module.__name__]
    return found


def _commands() -> list[list[str]]:
    commands = []
    for session in _sessions():
        commands += [step.cli(session) for step in STEPS]
        for builder in _builders():
            names = list(inspect.signature(builder).parameters)
            for values in itertools.product(*(_arguments(name, session) for name in names)):
                commands.append(builder(*values))
    return commands


def test_the_builders_are_found():
    names = {builder.__name__ for builder in _builders()}
    assert {"doctor_argv", "plan_argv", "check_argv", "diagnose_argv", "launch_argv", "attach_argv", "model_argv",
            "weights_argv", "data_argv"} <= names


def test_every_command_the_tui_shows_parses_with_the_real_parser(capsys):
    parser = build_parser()
    commands = _commands()
    shown = {command[1] for command in commands}
    assert len(commands) > 300 and {"doctor", "model", "weights", "data", "plan", "check", "launch", "diagnose",
                                     "attach"} <= shown
    refused = []
    for command in commands:
        assert command[0] == "mindpilot", command
        try:
            args = parser.parse_args([PLACEHOLDERS.get(word, word) for word in command[1:]])
        except SystemExit:
            refused.append(" ".join(command) + " -> " + capsys.readouterr().err.strip())
            continue
        assert args.command == command[1] and callable(args.func), command
    assert refused == []


def test_a_command_the_cli_refuses_is_caught(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["check", "a.yaml", "--no-such-flag"])
    assert "--no-such-flag" in capsys.readouterr().err
