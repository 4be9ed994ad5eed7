"""Test helpers shared by many test files (imported as `support`; `pythonpath` puts tests/ on sys.path)."""

from __future__ import annotations

import functools
import importlib.util
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


def other_python_with_extras(tmp_path: Path) -> str:
    """A second interpreter (a fresh venv without pip) that sees this venv's installed packages through a
    ``.pth`` file: a real "other environment" for ``--python``, with the real mindspore/mindformers metadata.

    Skips when the mindformers extra is not installed here (CI installs it: ``.[test,mindformers]``).
    """
    import importlib.util
    import subprocess
    import sysconfig

    if importlib.util.find_spec("mindformers") is None or importlib.util.find_spec("mindspore") is None:
        pytest.skip("needs the mindformers extra (pip install -e '.[test,mindformers]')")
    target = tmp_path / "other-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=120)
    site = next(target.glob("lib/python*/site-packages"))
    (site / "mindpilot-test-extras.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return str(target / "bin" / "python")


def wait_for(predicate, timeout: float = 20.0) -> bool:
    """Poll ``predicate()`` every 50 ms until it is true (True) or ``timeout`` seconds pass (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def fake_mindformers_checkout(tmp_path: Path) -> Path:
    """A ``mindformers`` folder whose ``convert_weight.py`` prints a line and writes a small "ckpt" file."""
    import textwrap

    checkout = tmp_path / "mindformers"
    checkout.mkdir()
    (checkout / "convert_weight.py").write_text(textwrap.dedent("""
        import argparse
        parser = argparse.ArgumentParser()
        for flag in ("--model", "--input_path", "--output_path", "--dtype"):
            parser.add_argument(flag)
        args = parser.parse_args()
        print("converting", args.input_path, flush=True)
        open(args.output_path, "wb").write(b"ckpt")
    """))
    return checkout


def diagnose_text(folder: Path, text: str, name: str = "job.log"):
    """Diagnose ``text`` written as one log file ``name`` in ``folder`` (English), as the CLI reads it."""
    from mindpilot.validators.kb.diagnose import diagnose_paths

    log = folder / name
    log.write_text(text + "\n", encoding="utf-8")
    return diagnose_paths([str(log)], "en")


def assert_root_cause_says(report, rule: str, words, with_fix: bool = False) -> None:
    """The root cause is ``rule`` and its first finding's title and detail (and fix, ``with_fix``) say every word."""
    assert report.root_cause is not None and report.root_cause.rule == rule, [f.rule for f in report.findings]
    finding = report.findings[0]
    said = " ".join(filter(None, (finding.title, finding.detail, finding.fix if with_fix else None)))
    assert all(word in said for word in words), said


@functools.lru_cache(maxsize=None)
def accuracy_bench():
    """bench/diagnose_accuracy.py as a module (a script, not part of the package), loaded once."""
    spec = importlib.util.spec_from_file_location("diagnose_accuracy", REPO / "bench" / "diagnose_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("diagnose_accuracy", module)
    spec.loader.exec_module(module)
    return module
