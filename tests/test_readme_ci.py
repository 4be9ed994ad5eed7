"""The README's CI example is the truth: its `mindpilot` lines run exactly as written (through bash, with
`mindpilot` on PATH) on the built-in preset the README says to save, and each output is read by a real parser.
Also: every exit code of the enum is in the README's table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from mindpilot.exit_codes import ExitCode
from support import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _block(marker: str) -> str:
    after = README.split(f"<!-- ci-example: {marker} -->", 1)[1]
    return after.split("```yaml\n", 1)[1].split("```", 1)[0]


def snippet_commands() -> list[str]:
    """The `mindpilot ...` commands of the GitHub Actions `run:` steps and the GitLab `script:` lines."""
    from ruamel.yaml import YAML

    github = YAML(typ="safe").load(_block("github"))
    steps = [step for job in github["jobs"].values() for step in job["steps"]]
    commands = [step["run"] for step in steps if "run" in step]
    gitlab = YAML(typ="safe").load(_block("gitlab"))
    commands += [line for job in gitlab.values() if isinstance(job, dict) for line in job.get("script", [])]
    return [c for c in commands if c.startswith("mindpilot ")]


def save_command() -> str:
    line = next(line for line in README.splitlines() if line.startswith("mindpilot preset show ") and " -o " in line)
    return line.split("#", 1)[0].strip()


def test_snippets_name_a_save_check_render_and_gate_command():
    commands = snippet_commands()
    assert any(c.startswith("mindpilot check ") and "--format github" in c for c in commands)
    assert any("--format sarif" in c for c in commands) and any("--format junit" in c for c in commands)
    assert any(c.startswith("mindpilot preset render ") for c in commands)
    assert any(c.startswith("mindpilot plan ") for c in commands)
    assert save_command().startswith("mindpilot preset show qwen2.5-0.5b-ft-1card -o job.preset.yaml")


def test_the_readme_ci_commands_run_as_written(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mindpilot"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mindpilot "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", LANG="C.UTF-8")
    work = tmp_path / "repo"
    work.mkdir()
    for command in [save_command(), *snippet_commands()]:
        done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    schema = json.loads((REPO / "tests" / "data" / "ci" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    sarif = json.loads((work / "mindpilot.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    suite = ElementTree.parse(work / "mindpilot-junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) >= 1
    assert json.loads((work / "plan.json").read_text(encoding="utf-8"))["fits"] is True
    assert (work / "rendered" / "run.sh").is_file() and (work / "rendered" / "preset.yaml").is_file()


def test_every_exit_code_is_in_the_readme_table():
    table = README.split("| exit code | meaning |", 1)[1].split("\n\n", 1)[0]
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    assert codes == {int(code) for code in ExitCode}


def test_the_readme_has_two_set_up_commands_and_ci_runs_the_test_one():
    set_up = [line for line in README.splitlines() if line.startswith("python3 -m venv .venv")]
    assert len(set_up) == 2 and set_up[0].endswith("mindpilot --demo") and set_up[1].endswith("pytest -q")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip().splitlines()[-1]
    assert ci == set_up[1]
    chinese = (REPO / "README.zh.md").read_text(encoding="utf-8").splitlines()
    assert [line for line in chinese if line.startswith("python3 -m venv .venv")] == set_up
