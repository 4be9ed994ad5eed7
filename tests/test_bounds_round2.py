"""Bounds found by the second attack round (issue 18, items 8 and 11): node counts past the cards bound,
quadratic text fitting, and ``--hang-minutes`` that is not a finite positive number, each one line and
exit 2 (or a fast answer), never a MemoryError, a traceback or minutes of CPU."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

from support import run_cli
from test_doctor_declarations import make_venv, minimal


@contextmanager
def _within(seconds: int):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def _expired(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _one_line_exit_2(done, *words: str) -> None:
    assert done.returncode == 2, done.stdout[-500:] + done.stderr[-500:]
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr


def test_nodes_past_the_cards_bound_are_refused_in_one_line(tmp_path):
    preset = tmp_path / "huge.yaml"
    preset.write_text("name: huge\nscript: train.py\ncards: 8\nnodes: 100000000\nmaster_addr: 10.0.0.1\n",
                      encoding="utf-8")
    _one_line_exit_2(run_cli("launch", str(preset), "--dry-run", "--no-probe", timeout=60), "nodes", "131072")
    _one_line_exit_2(run_cli("preset", "render", str(preset), "--out", str(tmp_path / "out"), timeout=60), "nodes")
    _one_line_exit_2(run_cli("launch", "--demo", "--dry-run", "--no-probe", "--nodes", "1000000",
                             "--master-addr", "10.0.0.1", timeout=60), "nodes", "131072")
    _one_line_exit_2(run_cli("preset", "new", "--script", "a.py", "--nodes", "1000000", timeout=60), "nodes")
    _one_line_exit_2(run_cli("launch", "--demo", "--dry-run", "--no-probe", "--local-cards", "5000", timeout=60),
                     "local_cards")


def test_more_nodes_than_cards_is_refused_in_one_line(tmp_path):
    # msrun starts at least one worker per node: 16 nodes for --worker_num=8 printed 16 commands of 1 worker
    _one_line_exit_2(run_cli("launch", "--demo", "--dry-run", "--no-probe", "--cards", "8", "--nodes", "16",
                             "--master-addr", "10.0.0.1", timeout=60), "nodes 16", "cards 8")
    _one_line_exit_2(run_cli("launch", "--demo", "--dry-run", "--no-probe", "--cards", "8", "--nodes", "131072",
                             "--master-addr", "10.0.0.1", timeout=60), "nodes 131072", "cards 8")
    preset = tmp_path / "wide.yaml"
    preset.write_text("name: wide\nscript: train.py\ncards: 2\nnodes: 4\nmaster_addr: 10.0.0.1\n", encoding="utf-8")
    _one_line_exit_2(run_cli("preset", "show", str(preset), timeout=60), "nodes 4", "cards 2")
    _one_line_exit_2(run_cli("preset", "render", str(preset), "--out", str(tmp_path / "out"), timeout=60), "nodes 4")
    assert not (tmp_path / "out").exists()
    done = run_cli("launch", "--demo", "--dry-run", "--no-probe", "--cards", "4", "--nodes", "4",
                   "--master-addr", "10.0.0.1", timeout=60)  # as many nodes as cards: one worker each
    assert done.returncode in (0, 1) and done.stdout.count("--local_worker_num=1") == 4, done.stderr


def test_the_commands_of_all_nodes_together_are_bounded(tmp_path):
    """One command per node, each with every variable: 20,000 variables on 4,096 nodes were hours of CPU and
    GBs of output (about 0.25 s and 360 KB per node)."""
    import json

    env = {f"VAR_{index:05d}": "v" * 8 for index in range(20_000)}  # 460 KB of JSON: under the file bound
    preset = tmp_path / "wide.json"
    preset.write_text(json.dumps({"name": "wide", "script": "train.py", "cards": 4096, "nodes": 4096,
                                  "master_addr": "10.0.0.1", "env": env}), encoding="utf-8")
    with _within(60):
        _one_line_exit_2(run_cli("launch", str(preset), "--dry-run", "--no-probe", timeout=60), "nodes 4096", "MiB")
        _one_line_exit_2(run_cli("preset", "render", str(preset), "--out", str(tmp_path / "out"), timeout=60),
                         "nodes 4096")
    assert not (tmp_path / "out").exists()
    from mindpilot.presets.preset import MAX_COMMANDS_BYTES, Preset

    plain = Preset(name="plain", script="train.py", cards=131_072, nodes=131_072, master_addr="10.0.0.1")
    assert plain.nodes * plain.command_bytes() <= MAX_COMMANDS_BYTES  # the largest plain job still fits
    few = Preset(name="few", script="train.py", cards=16, nodes=16, master_addr="10.0.0.1", env=env)
    assert few.nodes == 16


@pytest.mark.parametrize("minutes", ["nan", "inf", "-1", "0"])
def test_hang_minutes_must_be_a_finite_positive_number(tmp_path, minutes):
    _one_line_exit_2(run_cli("launch", "--demo", "--dry-run", "--no-probe", "--hang-minutes", minutes, timeout=60),
                     "hang_minutes")
    preset = tmp_path / "p.yaml"
    value = {"nan": ".nan", "inf": ".inf"}.get(minutes, minutes)
    preset.write_text(f"name: p\nscript: train.py\ncards: 1\nhang_minutes: {value}\n", encoding="utf-8")
    _one_line_exit_2(run_cli("preset", "show", str(preset), timeout=60), "hang_minutes")


def test_table_cells_and_wrapping_are_linear_in_the_text():
    from mindpilot.commands.doctor import _cell
    from mindpilot.validators.text.columns import columns, wrap

    version = "2.7.1" + ".0" * 50_000  # 100 KB, a valid PEP 440 version
    with _within(10):  # the old cut (one full width count per character removed) needs minutes
        assert columns(_cell(version, 26)) == 26 and _cell(version, 26).endswith("…")
        assert columns(_cell("中" * 50_000, 26)) == 26
        for text in ("（" * 100_000, "，" * 100_000, "a " * 50_000, "中" * 100_000):
            lines = wrap(text, "  ")
            assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")


def test_doctor_of_an_environment_with_a_100_kb_version_and_requires_python(tmp_path):
    huge = "2.7.1" + ".0" * 50_000
    requires = ">=3.9" + ",!=3.9.0" * 12_000  # ~98 KB, a specifier pip accepts
    python = make_venv(tmp_path / "env", {"mindspore-2.7.1": minimal("mindspore", huge),
                                          "mindformers-1.7.0": minimal("mindformers", "1.7.0")
                                          + f"Requires-Python: {requires}\n"})
    done = run_cli("doctor", "--python", str(python), "--lang", "en", timeout=90)  # old code: hours of CPU
    assert done.returncode in (0, 1, 3) and "Traceback" not in done.stderr, done.stderr[-2000:]
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith(("python ", "mindspore "))}
    assert len(rows["mindspore"]) < 80 and "2.7.1.0.0.0" in rows["mindspore"]  # the cells are cut to the table
    assert len(rows["python"]) < 80 and ">=3.9" in rows["python"]


def test_a_job_records_hang_minutes_is_used_only_when_a_preset_would_accept_it():
    from mindpilot.launch.runner import recorded_hang_minutes

    assert recorded_hang_minutes({"hang_minutes": 2.5}) == 2.5
    for bad in ("abc", float("nan"), float("inf"), -1, 0, True, None, [1], 10 ** 9):
        assert recorded_hang_minutes({"hang_minutes": bad}) == 10.0, bad
    assert recorded_hang_minutes("not a mapping") == 10.0
