"""Hostile presets: run.sh never runs a command the preset's author slipped in, and bad names are refused.

The injection test writes run.sh through the real CLI (``preset run-sh`` and ``launch --dry-run
--write-run-sh``) from a preset whose every script-bound value carries shell syntax, then runs it with bash
in a temporary directory; ``msrun`` there is a stub on PATH that records the argv and environment it got.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import run_cli

from mindpilot.launch.command import UnsafeCommandError, build_commands, render_run_sh
from mindpilot.presets.preset import Preset

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")
MARK = "INJECTED"


def _payloads(marker: Path) -> list[str]:
    """Shell syntax that runs ``touch marker`` wherever a value is not quoted."""
    m = str(marker)
    return [f"$(touch {m})", f"`touch {m}`", f"; touch {m}", f"' ; touch {m} ; '", f'" ; touch {m} ; "',
            f"&& touch {m}", f"| touch {m}", "*", "~root", "$HOME", "${PATH}", f"a\\\\b\t$(touch {m})"]


def _sandbox(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A bin dir whose msrun stub records its argv (NUL-separated) and environment, and the env to use."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "msrun"
    out = tmp_path / "out"
    out.mkdir()
    stub.write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" > {out}/argv\nenv -0 > {out}/env\n")
    stub.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
           "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    return bin_dir, out, env


def _hostile_preset(tmp_path: Path, marker: Path) -> dict:
    payloads = _payloads(marker)
    workdir = tmp_path / f"work $(touch {MARK}) 'q'"  # a relative marker: a path would hold a '/'

    workdir.mkdir()
    return {
        "name": "hostile.preset-1",
        "description": f"$(touch {marker}) `touch {marker}` ; touch {marker} # \"'",
        "script": f"train $(touch {marker}).py",
        "script_args": payloads,
        "workdir": str(workdir),
        "log_dir": f"logs; touch {marker}",
        "master_addr": f"$(touch${{IFS}}{marker})",
        "env": {"PAYLOAD_A": payloads[0], "PAYLOAD_B": payloads[3], "PAYLOAD_C": payloads[4],
                "_under_score9": payloads[2]},
        "pythonpath": [f"/p/$(touch {marker})"],
        "ms_alloc_conf": f"x`touch {marker}`",
        "use_checkouts": False,
        "cards": 2,
    }


def _read_nul(path: Path) -> list[str]:
    return path.read_bytes().decode().split("\0")[:-1]


@needs_bash
@pytest.mark.parametrize("how", ["preset-run-sh", "launch-write-run-sh"])
def test_run_sh_from_a_hostile_preset_runs_nothing_injected(tmp_path, how):
    marker = tmp_path / MARK
    bin_dir, out, env = _sandbox(tmp_path)
    document = _hostile_preset(tmp_path, marker)
    preset_file = tmp_path / "hostile.json"
    preset_file.write_text(json.dumps(document))
    script = tmp_path / "run.sh"
    if how == "preset-run-sh":
        done = run_cli("preset", "run-sh", str(preset_file), "-o", str(script), env=env, cwd=str(tmp_path))
    else:
        done = run_cli("launch", str(preset_file), "--dry-run", "--no-probe", "--master-port", "29500",
                       "--write-run-sh", str(script), env=env, cwd=str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    assert script.is_file() and not marker.exists()
    assert subprocess.run([BASH, "-n", str(script)]).returncode == 0
    lines = script.read_text().splitlines()
    assert [line for line in lines if line.startswith("# preset:")] == [
        "# preset: hostile.preset-1 - " + document["description"]]

    ran = subprocess.run([BASH, str(script)], env={**os.environ, **env}, cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert not marker.exists(), "an injected command ran"
    assert not (Path(document["workdir"]) / MARK).exists(), "an injected command ran"
    argv = _read_nul(out / "argv")
    assert argv[-len(document["script_args"]) - 1:] == [document["script"], *document["script_args"]]
    assert f"--master_addr={document['master_addr']}" in argv
    assert any(arg.startswith("--log_dir=") and arg.endswith(document["log_dir"]) for arg in argv)
    received = dict(item.split("=", 1) for item in _read_nul(out / "env"))
    for key in ("PAYLOAD_A", "PAYLOAD_B", "PAYLOAD_C", "_under_score9"):
        assert received[key] == document["env"][key]
    assert received["MS_ALLOC_CONF"] == document["ms_alloc_conf"]
    assert received["PYTHONPATH"].split(os.pathsep)[0] == document["pythonpath"][0]


BAD_FIELDS = [
    ("description", "line one\ntouch /tmp/pwned", "newline"),
    ("description", "carriage\rreturn", "carriage return"),
    ("name", "demo\ntouch /tmp/pwned", "preset name"),
    ("name", "a b", "preset name"),
    ("name", "-rf", "preset name"),
    ("env", {"X=1; touch /tmp/p; Y": "v"}, "not a shell name"),
    ("env", {"X=1": "v"}, "not a shell name"),
    ("env", {"1X": "v"}, "not a shell name"),
    ("env", {"K\nL": "v"}, "not a shell name"),
    ("env", {"OK": "nul\u0000byte"}, "NUL"),
    ("env", {"OK": "two\nlines"}, "newline"),
    ("env", {"A\nB": [1]}, "valid string"),  # pydantic's own error names the key: shown as 'A\nB', one line
    ("script_args", ["--a", "b\nc"], "newline"),
    ("script", "train.py\u2028x", "control character"),
    ("log_dir", "logs\u0000", "NUL"),
    ("config", "cfg\u0000.yaml", "NUL"),
    ("config", "cfg\n.yaml", "newline"),
    ("related_files", ["a.yaml", "b\n.sh"], "newline"),
    ("tokenizer_dir", "tok\u0000", "NUL"),
    ("parallel", {"data\u0000parallel": 2}, "NUL"),
    ("workdir", "/tmp\n/x", "newline"),
]


@pytest.mark.parametrize("field,value,words", BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_FIELDS)])
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_bad_presets_are_one_line_exit_2_naming_file_and_field(tmp_path, field, value, words, suffix):
    document = {"name": "ok", "script": "train.py", field: value}
    path = tmp_path / f"bad{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(document))
    else:
        from io import StringIO

        from ruamel.yaml import YAML

        text = StringIO()
        YAML().dump(document, text)  # escapes the control characters as YAML double-quoted strings
        path.write_text(text.getvalue())
    for args in (("preset", "show", str(path)), ("preset", "run-sh", str(path))):
        done = run_cli(*args, env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")})
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert str(path) in done.stderr and field in done.stderr and words in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("bad", [{"env": {"X=1": "v"}}, {"env": {"OK": "a\u0000b"}}, {"script_args": ["a\u0000"]}])
def test_launch_refuses_before_any_job_record_is_written(tmp_path, bad):
    state = tmp_path / "state"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "bad", "script": "train.py", "use_checkouts": False, **bad}))
    done = run_cli("launch", str(path), "--no-probe", "--force", env={"MINDPILOT_STATE_DIR": str(state)},
                   cwd=str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not list(state.glob("jobs/*/job.json")), "a job record was written for a refused launch"
    listed = run_cli("jobs", "--json", env={"MINDPILOT_STATE_DIR": str(state)})
    assert "lost" not in listed.stdout


@pytest.mark.parametrize("item", ["K;cmd=1", "X-Y=1", "1ABC=x", "A B=c", "=v", "K$(id)=1", "K\nL=1"])
def test_env_flag_with_a_bad_name_is_one_line_exit_2(tmp_path, item):
    state = tmp_path / "state"
    done = run_cli("launch", "--demo", "--no-probe", "--env", item, env={"MINDPILOT_STATE_DIR": str(state)},
                   cwd=str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not list(state.glob("jobs/*/job.json"))


def test_a_script_name_with_odd_characters_gives_a_safe_job_name(tmp_path):
    script = tmp_path / "my train (v2)$x.py"
    script.write_text("print('hi')\n")
    run_sh = tmp_path / "run.sh"
    done = run_cli("launch", "--dry-run", "--no-probe", "--json", "--write-run-sh", str(run_sh), "--", str(script),
                   env={"MINDPILOT_STATE_DIR": str(tmp_path / "s")})
    assert done.returncode in (0, 1), done.stderr
    command = json.loads(done.stdout.splitlines()[0])
    assert command["argv"][-1] == str(script)
    assert "# preset: my-train-v2-x" in run_sh.read_text().splitlines()


@needs_bash
def test_every_text_field_of_a_preset_is_checked():
    """A field added later cannot slip past the checks: each one that holds text is in one of the two lists."""
    from mindpilot.presets.preset import OTHER_TEXT_FIELDS, SCRIPT_LINE_FIELDS, _strings

    sample = {"str": "x", "list": ["x"], "dict": {"x": 1}}
    for name, field in Preset.model_fields.items():
        text = any(kind in str(field.annotation) for kind in ("str", "Dict[str"))
        checked = name in SCRIPT_LINE_FIELDS or name in OTHER_TEXT_FIELDS or name in ("name", "env")
        assert checked or not text, f"Preset.{name} holds text but no validator checks it"
    assert _strings(sample) == ["str", "x", "list", "x", "dict", "x"]


def test_renderer_refuses_what_bypassed_validation(tmp_path):
    """model_copy skips validators: render_run_sh checks names and NUL itself, and keeps the comment one line."""
    bin_dir, out, env = _sandbox(tmp_path)
    marker = tmp_path / MARK
    preset = Preset(script="a.py", use_checkouts=False, workdir=str(tmp_path))
    sneaky = preset.model_copy(update={"description": f"x\ntouch {marker}\r\u2028y", "name": f"n\ntouch {marker}"})
    text = render_run_sh(build_commands(sneaky, msrun=str(bin_dir / "msrun")), sneaky)
    assert [line for line in text.splitlines() if MARK in line] == [
        f"# preset: n touch {marker} - x touch {marker}  y"]
    script = tmp_path / "run.sh"
    script.write_text(text)
    ran = subprocess.run([BASH, str(script)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert _read_nul(out / "argv")[-1] == "a.py" and not marker.exists()
    for env in ({"X;touch /tmp/p": "1"}, {"OK": "a\0b"}):
        bad = preset.model_copy(update={"env": env})
        with pytest.raises(UnsafeCommandError):
            render_run_sh(build_commands(bad, msrun="msrun"), bad)


_ANY_TEXT = st.one_of(st.text(alphabet=st.sampled_from(list("$`'\"\\;|&*?~!#(){}[]<>\t =%^-ax中\u00e9")), max_size=40),
                      st.text(max_size=40))
"""Shell syntax (quotes, $, backticks, globs, tabs, CJK) and any Unicode text (newlines, control characters)."""


@needs_bash
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(description=_ANY_TEXT, args=st.lists(_ANY_TEXT, max_size=4), value=_ANY_TEXT)
def test_any_text_a_preset_accepts_reaches_msrun_intact_and_runs_nothing(tmp_path, description, args, value):
    """Property: text either is refused by the Preset (one reason) or comes out of run.sh byte for byte."""
    from pydantic import ValidationError

    case = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    case.mkdir()
    bin_dir, out, env = _sandbox(case)
    try:
        preset = Preset(script="t.py", script_args=args, description=description, env={"FUZZ_VALUE": value},
                        use_checkouts=False, workdir=str(case))
    except ValidationError:
        return  # refused: a control character or newline in a script-bound field
    script = case / "run.sh"
    script.write_text(render_run_sh(build_commands(preset, msrun=str(bin_dir / "msrun")), preset))
    ran = subprocess.run([BASH, str(script)], env={**os.environ, **env}, capture_output=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert _read_nul(out / "argv")[-len(args) - 1:] == ["t.py", *args]
    received = dict(item.split("=", 1) for item in _read_nul(out / "env"))
    assert received["FUZZ_VALUE"] == value
    assert sorted(p.name for p in case.iterdir()) == ["bin", "out", "run.sh"]  # nothing else was created
