"""Inputs that gave a traceback instead of one line (issue 18, item 11): a VERSION_MAP nested 900 deep, a
probe answer of the wrong types, and a full disk while a job's folder is made (``--hang-minutes`` is in
``test_bounds_round2.py``)."""

from __future__ import annotations

import errno
import json
import os
import zipfile

import pytest

from mindpilot.cli import main
from support import run_cli
from test_doctor_declarations import make_venv, minimal

WHEEL_TAGS = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _nested(depth: int) -> str:
    return "{\"a\": " * depth + "1" + "}" * depth


def _one_line(done, code: int) -> None:
    assert done.returncode == code, done.stdout[-400:] + done.stderr[-400:]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]


def test_learn_of_a_version_map_nested_900_deep_is_one_line(tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    with zipfile.ZipFile(links / "mindformers-2.3.0-py3-none-any.whl", "w") as archive:
        archive.writestr("mindformers/__init__.py", "")
        archive.writestr("mindformers/VERSION_MAP.json", '{"mf": {"2.3.0": ' + _nested(900) + "}}")
        archive.writestr("mindformers-2.3.0.dist-info/METADATA", minimal("mindformers", "2.3.0"))
        archive.writestr("mindformers-2.3.0.dist-info/WHEEL", WHEEL_TAGS)
        archive.writestr("mindformers-2.3.0.dist-info/RECORD", "")
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
           "MINDPILOT_DATA_DIR": str(tmp_path / "data")}
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", env=env)
    _one_line(done, 2)
    assert "nested deeper than" in done.stderr and not list((tmp_path / "data").rglob("*.json"))


def test_doctor_with_a_version_map_nested_900_deep_is_one_line(tmp_path):
    python = make_venv(tmp_path / "env", {"mindformers-1.7.0": minimal("mindformers", "1.7.0")})
    site = next((tmp_path / "env").glob("lib/python*/site-packages"))
    (site / "mindformers" / "VERSION_MAP.json").write_text('{"mf": {"1.7.0": ' + _nested(900) + "}}")
    _one_line(run_cli("doctor", "--python", str(python), "--lang", "en"), 3)


@pytest.mark.parametrize("answer", [
    {"packages": [1, 2]},
    {"packages": {"mindspore": "2.7.1"}},
    {"packages": {"mindspore": {"name": "mindspore", "version": 5}}},
    {"checkout_candidates": []},
    {"checkout_candidates": {"mindformers": 5}},
    {"checkout_candidates": {"mindformers": [5]}},
    {"version_maps": {"x": []}},
    {"import_origins": ["a"]},
    {"executable": 5, "version": []},
    [1],
])
def test_a_probe_answer_of_the_wrong_types_is_one_line(tmp_path, answer):
    fake = tmp_path / "python"
    (tmp_path / "answer.json").write_text(json.dumps(answer), encoding="utf-8")
    fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'answer.json'}\n", encoding="utf-8")
    fake.chmod(0o755)
    done = run_cli("doctor", "--python", str(fake), "--lang", "en")
    _one_line(done, 3)
    assert "unexpected probe result" in done.stderr


def test_a_full_disk_while_the_job_folder_is_made_leaves_nothing_and_names_it(tmp_path, monkeypatch, capsys):
    state = tmp_path / "state"
    monkeypatch.setenv("MINDPILOT_STATE_DIR", str(state))

    def full(fd):  # the disk filled up: the record's bytes cannot reach it
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code = main(["launch", "--demo", "--no-probe", "--detach", "--log-dir", str(tmp_path / "logs"), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = [text for text in err.splitlines() if "No space left on device" in text]
    assert len(line) == 1 and str(state / "jobs") in line[0], err
    assert not [p for p in (state / "jobs").iterdir()]  # no empty job folder
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").iterdir())


def test_a_kept_dryrun_nested_past_the_parsers_stack_is_skipped(tmp_path, monkeypatch):
    """A kept DryRun is this user's own file, but a damaged one is skipped, never a RecursionError traceback."""
    from mindpilot.launch.dryrun import load_records, records_dir
    from mindpilot.userdata import write_private

    monkeypatch.setenv("MINDPILOT_DATA_DIR", str(tmp_path / "data"))
    write_private(records_dir() / "deep.json", "[" * 200_000 + "]" * 200_000)
    assert load_records() == []


@pytest.mark.parametrize("expression", ["9" * 400 + "/1", "*".join(["999999999"] * 1000), "1/0"])
def test_arithmetic_a_launch_script_cannot_finish_is_left_as_written(tmp_path, expression):
    """``check`` evaluates ``$((...))`` of a launch script; a quotient too large for a float or a product past
    Python's 4300-digit conversion limit was an OverflowError / ValueError traceback."""
    script = tmp_path / "run.sh"
    script.write_text(f"#!/bin/bash\nTP=$(({expression}))\nmsrun --worker_num=$TP train.py\n", encoding="utf-8")
    done = run_cli("check", str(script))
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr[-800:]
