"""No function is more complex than ``pyproject.toml`` allows (ruff's C901, mccabe max-complexity 15): a
function past it is split before it lands, so each stays readable in one screen."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> str:
    beside = Path(sys.executable).parent / "ruff"
    found = str(beside) if beside.is_file() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed (it comes with the test extra: pip install -e '.[test]')")
    return found


def test_the_limit_is_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'select = ["C901"]' in text and "max-complexity = 15" in text


def test_no_function_is_more_complex_than_the_limit():
    done = subprocess.run([_ruff(), "check", "--no-cache", "--select", "C901", "--output-format", "concise",
                           "--exclude", ".venv", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_sees_a_function_past_the_limit(tmp_path):
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(16))
    (tmp_path / "too_complex.py").write_text(f"def f(x):\n{branches}    return -1\n", encoding="utf-8")
    done = subprocess.run([_ruff(), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                           "--output-format", "concise", "."], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "C901" in done.stdout
