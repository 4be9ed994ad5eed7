"""QA: ``doctor --python`` given a directory or a plain name says what is wrong, in one line, exit 3."""

from __future__ import annotations

import sys
from pathlib import Path

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.probe.pyenv import resolve_python
from support import run_cli


def test_an_env_directory_means_its_bin_python(tmp_path):
    env_dir = Path(sys.prefix)
    assert resolve_python(str(env_dir), {"PATH": ""}) == str(env_dir / "bin" / "python")
    done = run_cli("doctor", "--python", str(env_dir), "--json")
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr


def test_a_directory_without_python_is_named_as_a_directory(tmp_path):
    (tmp_path / "notanenv").mkdir()
    done = run_cli("doctor", "--python", "notanenv", cwd=str(tmp_path))
    assert done.returncode == ExitCode.ENVIRONMENT
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "notanenv is a directory" in lines[0]


def test_an_unknown_name_says_where_it_was_looked_for(tmp_path):
    done = run_cli("doctor", "--python", "NoSuchCondaEnv", cwd=str(tmp_path), env={"CONDA_EXE": ""})
    assert done.returncode == ExitCode.ENVIRONMENT
    assert "not a command on PATH, nor a conda env name" in done.stderr
