"""The Python side of the probe: metadata only, checkouts from git, and timeouts that really kill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mindpilot.validators.probe import ProbeError, probe_environment
from support import other_python_with_extras
from mindpilot.validators.probe.environment import probe_with



def fake_distribution(site: Path, name: str, version: str, body: str = "") -> None:
    """A package ``name`` with dist-info metadata; ``body`` becomes its ``__init__.py``."""
    package = site / name.replace("-", "_")
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(body)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def git(path: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@e")
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def make_checkout(path: Path, name: str = "mindformers", version: str = "1.6.0") -> str:
    """A real git repository holding ``<name>/__init__.py``; returns the commit id."""
    (path / name).mkdir(parents=True)
    (path / name / "__init__.py").write_text(f'"""fake"""\n__version__ = "{version}"\n')
    git(path, "init", "-q", "-b", "r1.6.0")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "fake mindformers")
    return git(path, "rev-parse", "HEAD")


def env_with(pythonpath: str, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": pythonpath, **extra}


def test_reports_this_interpreter_and_its_packages():
    facts = probe_environment()
    assert facts.python.executable == sys.executable
    assert facts.python.version == ".".join(map(str, sys.version_info[:3]))
    from importlib.metadata import version

    for name in ("numpy", "urllib3"):
        if name in facts.packages:
            assert facts.packages[name] == version(name)
    assert facts.package_count > 10


def test_a_package_whose_import_hangs_is_read_from_metadata_without_importing(tmp_path):
    site = tmp_path / "site"
    marker = tmp_path / "imported"
    fake_distribution(site, "mindspore", "2.7.1",
                      f"open({str(marker)!r}, 'w').write('x')\nimport time\ntime.sleep(10 ** 6)\n")
    facts = probe_with(None, "/nonexistent-root", False, 15.0, env_with(str(site)))
    assert facts.packages["mindspore"] == "2.7.1"
    assert facts.package_details["mindspore"].location == str(site)
    assert not marker.exists()


def test_a_hanging_interpreter_start_times_out_and_its_children_are_killed(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    pid_file = tmp_path / "child.pid"
    # sitecustomize runs at interpreter start-up, before the probe: a stand-in for a hanging .pth.
    (site / "sitecustomize.py").write_text(
        "import subprocess, time\n"
        f"child = subprocess.Popen(['sleep', '600'])\nopen({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(600)\n")
    with pytest.raises(ProbeError, match="did not answer within 2 s"):
        probe_with(None, "/", False, 2.0, env_with(str(site)))
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is immediate; reaping by init may lag a little
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and ") Z " in stat.read_text())


def test_a_fake_python_that_hangs_times_out(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nsleep 600\n")
    fake.chmod(0o755)
    with pytest.raises(ProbeError, match="did not answer"):
        probe_environment(python=str(fake), timeout=1.0)


def test_a_missing_or_broken_python_is_a_probe_error(tmp_path):
    with pytest.raises(ProbeError, match="cannot run"):
        probe_environment(python=str(tmp_path / "no-python"))
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho not json\n")
    broken.chmod(0o755)
    with pytest.raises(ProbeError, match="no probe result"):
        probe_environment(python=str(broken))


def test_a_git_checkout_on_pythonpath_reports_commit_branch_and_dirty(tmp_path):
    repo = tmp_path / "mindformers"
    commit = make_checkout(repo)
    facts = probe_with(None, "/nonexistent-root", False, 20.0, env_with(str(repo)))
    checkout = facts.checkouts["mindformers"]
    assert checkout.path == str(repo)
    assert checkout.commit == commit
    assert checkout.short and commit.startswith(checkout.short)
    assert checkout.branch == "r1.6.0"
    assert checkout.dirty is False
    assert checkout.version == "1.6.0"
    assert checkout.imported is True
    (repo / "mindformers" / "__init__.py").write_text('__version__ = "1.6.0"\nX = 1\n')
    git(repo, "checkout", "-q", "--detach")
    again = probe_with(None, "/nonexistent-root", False, 20.0, env_with(str(repo)))
    assert again.checkouts["mindformers"].dirty is True
    assert again.checkouts["mindformers"].branch is None


def test_mindformers_path_variable_and_a_non_git_copy(tmp_path):
    copy = tmp_path / "copy"
    (copy / "mindrlhf").mkdir(parents=True)
    (copy / "mindrlhf" / "__init__.py").write_text("")
    facts = probe_with(None, "/nonexistent-root", False, 20.0, env_with("", MINDFORMERS_PATH="", MINDRLHF_PATH=str(copy)))
    checkout = facts.checkouts["mindrlhf"]
    assert checkout.path == str(copy)
    assert checkout.commit is None and checkout.error


def test_pip_copy_and_checkout_are_both_reported(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "mindformers", "1.7.0")
    repo = tmp_path / "mf"
    make_checkout(repo)
    facts = probe_with(None, "/nonexistent-root", False, 20.0, env_with(f"{repo}{os.pathsep}{site}"))
    assert facts.packages["mindformers"] == "1.7.0"
    assert facts.checkouts["mindformers"].path == str(repo)
    assert facts.import_origins["mindformers"] == str(repo / "mindformers")


def test_python_flag_reports_the_real_versions_of_another_venv(tmp_path):
    other = other_python_with_extras(tmp_path)
    expected = subprocess.run(
        [other, "-c", "import importlib.metadata as m; print(m.version('mindspore'), m.version('mindformers'))"],
        capture_output=True, text=True, check=True).stdout.split()
    facts = probe_environment(python=other)
    assert [facts.packages["mindspore"], facts.packages["mindformers"]] == expected
    assert facts.packages["mindspore"].startswith("2.7.") and facts.packages["mindformers"] == "1.7.0"
    assert facts.python.executable.startswith(str(tmp_path / "other-venv"))


def test_broken_metadata_is_skipped_not_fatal(tmp_path):
    site = tmp_path / "site"
    info = site / "torch-2.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\n")  # no Version
    fake_distribution(site, "numpy", "1.26.4")
    facts = probe_with(None, "/nonexistent-root", False, 20.0, env_with(str(site)))
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("torch")  # a real torch further down sys.path would be reported instead
    except PackageNotFoundError:
        installed = None
    assert facts.packages.get("torch") == installed
    assert facts.packages["numpy"] == "1.26.4"


@pytest.mark.parametrize("version", ["3.7.16", "2.7.18"])
def test_an_interpreter_too_old_for_the_probe_says_so(version):
    python = Path(f"/root/.pyenv/versions/{version}/bin/python")
    if not python.exists():
        pytest.skip(f"no Python {version} here")
    with pytest.raises(ProbeError, match=r"needs Python >= 3.8; this is Python " + version.replace(".", r"\.")):
        probe_environment(python=str(python))


@pytest.mark.parametrize("version", ["3.8.18", "3.9.18", "3.10.13", "3.13.0"])
def test_the_probe_script_runs_on_other_pythons(version):
    python = Path(f"/root/.pyenv/versions/{version}/bin/python")
    if not python.exists():
        pytest.skip(f"no Python {version} here")
    facts = probe_environment(python=str(python))
    assert facts.python.version == version


def test_python_flag_accepts_a_conda_env_name(tmp_path):
    from mindpilot.validators.probe.pyenv import resolve_python

    env_bin = tmp_path / "anaconda3" / "envs" / "MindSpore" / "bin"
    env_bin.mkdir(parents=True)
    (env_bin / "python").symlink_to(sys.executable)
    environ = {"PATH": "/nonexistent", "CONDA_EXE": str(tmp_path / "anaconda3" / "bin" / "conda")}
    assert resolve_python("MindSpore", environ) == str(env_bin / "python")
    assert resolve_python("NoSuchEnv", environ) == "NoSuchEnv"
    assert resolve_python(None, environ) == sys.executable
    facts = probe_with("MindSpore", "/nonexistent-root", False, 20.0, environ)
    assert facts.python.version == ".".join(map(str, sys.version_info[:3]))


def test_two_checkouts_on_the_path_report_the_shadowed_one(tmp_path):
    first, second = tmp_path / "mf-051d65f", tmp_path / "mf-6a52b43"
    make_checkout(first)
    make_checkout(second)
    facts = probe_with(None, "/nonexistent-root", False, 20.0, env_with(f"{first}{os.pathsep}{second}"))
    assert facts.checkouts["mindformers"].path == str(first)
    assert facts.checkouts["mindformers"].shadowed == [str(second)]
    from mindpilot.validators.doctor import judge

    shadowed = [f for f in judge(facts, None, "en").findings if f.rule == "doctor.checkout_shadowed"]
    assert shadowed and shadowed[0].title == f"2 copies of the mindformers source are on the path; Python imports only {first}"
