"""Test helpers shared by many test files (imported as `support`; `pythonpath` puts tests/ on sys.path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` (seeds, reference, corpus); tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside this checkout")
    return SHARED


def run_cli(*args: str, env: dict | None = None, cwd: str | None = None, timeout: float = 120):
    """Run ``python -m mindpilot ARGS`` in a subprocess and return the CompletedProcess."""
    import subprocess

    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "mindpilot", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
