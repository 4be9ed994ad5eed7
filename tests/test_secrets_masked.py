"""Secrets are passed by name and never shown or recorded: every output channel of launch, preset, diagnose, doctor.

Channels checked: the printed command (text), the JSON ``command`` event, ``--write-run-sh``, the run.sh and
``job.json`` kept with the job (mode 0600), ``jobs --json``, ``preset show`` (YAML and JSON), diagnose's root
cause, findings and JSON, and doctor's environment. The stand-in ``msrun`` records the environment it got,
which proves the secret still reaches the job.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.validators.redact import MASK, is_secret_name, redact_log_line, redact_text

HF = "hf_" + "Q7x" * 12
"""A Hugging Face token's shape (made up)."""
OBS = "obs-Secret-Value-4242"
"""A value only its variable's name marks as secret."""


def _stub_msrun(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "got"
    out.mkdir()
    (bin_dir / "msrun").write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" > {out}/argv\nenv -0 > {out}/env\n")
    (bin_dir / "msrun").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
           "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    return out, env


def _received_env(out: Path) -> dict[str, str]:
    return dict(item.split("=", 1) for item in (out / "env").read_bytes().decode().split("\0")[:-1])


def _preset(tmp_path: Path, env: dict[str, str]) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"name": "secretive", "script": "train.py", "cards": 1, "device": "cpu",
                                "use_checkouts": False, "min_free_gb": 0, "env": env}))
    return path


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert HF not in text and OBS not in text, text


def test_launch_never_shows_or_records_a_secret_yet_the_job_gets_it(tmp_path):
    out, env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {"OBS_SECRET_ACCESS_KEY": OBS, "PLAIN": "visible", "TOKENIZERS_PARALLELISM": "false"})
    script = tmp_path / "run.sh"
    text = run_cli("launch", str(preset), "--no-probe", "--force", "--env", f"HF_TOKEN={HF}",
                   "--log-dir", str(tmp_path / "logs"), "--write-run-sh", str(script), env=env, cwd=str(tmp_path))
    assert text.returncode == 0, text.stderr
    _no_secret(text.stdout, text.stderr)
    assert "HF_TOKEN=\"${HF_TOKEN:?set HF_TOKEN}\"" in text.stdout  # the printed command passes it by name
    received = _received_env(out)
    assert received["HF_TOKEN"] == HF and received["OBS_SECRET_ACCESS_KEY"] == OBS and received["PLAIN"] == "visible"

    run_sh = script.read_text()
    _no_secret(run_sh)
    assert 'export HF_TOKEN="${HF_TOKEN:?set HF_TOKEN}"' in run_sh.splitlines()
    assert 'export OBS_SECRET_ACCESS_KEY="${OBS_SECRET_ACCESS_KEY:?set OBS_SECRET_ACCESS_KEY}"' in run_sh
    assert "export PLAIN=visible" in run_sh and "export TOKENIZERS_PARALLELISM=false" in run_sh

    state = tmp_path / "state" / "jobs"
    (record_file,) = state.glob("*/job.json")
    assert stat.S_IMODE(record_file.stat().st_mode) == 0o600
    record = json.loads(record_file.read_text())
    _no_secret(record_file.read_text(), (record_file.parent / "run.sh").read_text())
    assert record["env"]["HF_TOKEN"] == MASK and record["preset"]["env"]["OBS_SECRET_ACCESS_KEY"] == MASK
    assert record["env"]["PLAIN"] == "visible" and record["status"] == "succeeded"
    _no_secret(run_cli("jobs", "--json", env=env).stdout)

    as_json = run_cli("launch", str(preset), "--no-probe", "--dry-run", "--json", "--env", f"HF_TOKEN={HF}",
                      env=env, cwd=str(tmp_path))
    _no_secret(as_json.stdout, as_json.stderr)
    command = [json.loads(line) for line in as_json.stdout.splitlines() if '"command"' in line][0]
    assert command["env"]["HF_TOKEN"] == MASK and command["env"]["OBS_SECRET_ACCESS_KEY"] == MASK
    assert "${HF_TOKEN:?" in command["shell"]


def test_a_secret_in_the_script_arguments_is_masked_where_shown(tmp_path):
    out, env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {"HF_TOKEN": HF})
    done = run_cli("launch", "--dry-run", "--json", "--no-probe", str(preset), "--", "--token", HF,
                   "--mirror", "https://bob:pa@ss@mirror.example/x", env=env, cwd=str(tmp_path))
    _no_secret(done.stdout, done.stderr)
    assert "pa@ss" not in done.stdout and "https://***@mirror.example/x" in done.stdout


def test_env_flag_with_a_secret_name_alone_passes_it_by_name(tmp_path):
    out, env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {})
    done = run_cli("launch", str(preset), "--no-probe", "--force", "--env", "HF_TOKEN", "--log-dir",
                   str(tmp_path / "logs"), env={**env, "HF_TOKEN": HF}, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    _no_secret(done.stdout, done.stderr)
    assert _received_env(out)["HF_TOKEN"] == HF
    plain = run_cli("launch", str(preset), "--no-probe", "--dry-run", "--env", "PLAIN", env=env, cwd=str(tmp_path))
    assert plain.returncode == 2 and "KEY=VALUE" in plain.stderr
    saved = tmp_path / "new.yaml"
    made = run_cli("preset", "new", "--script", "t.py", "--env", "HF_TOKEN", "-o", str(saved),
                   env={**env, "HF_TOKEN": HF})
    assert made.returncode == 0, made.stderr
    _no_secret(saved.read_text(), made.stdout, made.stderr)
    run_sh = run_cli("preset", "run-sh", str(saved), env=env)
    assert 'export HF_TOKEN="${HF_TOKEN:?set HF_TOKEN}"' in run_sh.stdout.splitlines()


def test_a_preset_passes_a_secret_by_name_and_needs_it_in_the_environment(tmp_path):
    out, env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {"HF_TOKEN": MASK})
    missing = run_cli("launch", str(preset), "--no-probe", "--force", env={**env, "HF_TOKEN": ""},
                      cwd=str(tmp_path))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert "HF_TOKEN" in missing.stderr and not list((tmp_path / "state").glob("jobs/*/job.json"))
    given = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                    env={**env, "HF_TOKEN": HF}, cwd=str(tmp_path))
    assert given.returncode == 0, given.stderr
    _no_secret(given.stdout, given.stderr)
    assert _received_env(out)["HF_TOKEN"] == HF


@pytest.mark.parametrize("fmt", [(), ("--json",)])
def test_preset_show_masks_secrets_and_the_export_launches_by_name(tmp_path, fmt):
    preset = _preset(tmp_path, {"HF_TOKEN": HF, "PLAIN": "visible"})
    shown = run_cli("preset", "show", str(preset), *fmt)
    assert shown.returncode == 0, shown.stderr
    _no_secret(shown.stdout)
    assert "visible" in shown.stdout and MASK in shown.stdout
    exported = tmp_path / ("again.json" if fmt else "again.yaml")
    exported.write_text(shown.stdout)
    run_sh = run_cli("preset", "run-sh", str(exported))
    assert run_sh.returncode == 0, run_sh.stderr
    assert 'export HF_TOKEN="${HF_TOKEN:?set HF_TOKEN}"' in run_sh.stdout


LOG = (
    "2026-01-01 10:00:00,000 - mindformers[x.py:1] - INFO - HF_TOKEN={hf} pad_token: <pad> max_tokens: 256\n"
    "2026-01-01 10:00:01,000 - mindformers[x.py:1] - ERROR - The parallel config data_parallel * model_parallel "
    "* context_parallel * pipeline_stage should be equal to device_num, but get dp*mp*sp*pp = 1*4*1*1 = 4 != "
    "device_num(8) while pulling https://alice:pa@ss@hub.example/m token={hf} password=hunter2\n"
)


def test_a_secret_at_the_cut_of_a_long_line_is_masked_not_halved(tmp_path):
    """Repeated lines are cut (200 characters): the mask comes first, so no half password survives the cut."""
    for pad in range(160, 215, 12):
        (tmp_path / "worker_0.log").write_text(
            "2026-01-01 10:00:01,000 - mindformers[x.py:1] - ERROR - " + "x" * pad +
            " https://alice:longpassword1234@hub.example/m\n")
        done = run_cli("diagnose", str(tmp_path), "--json")
        assert done.returncode == 1, done.stderr
        assert "alice" not in done.stdout and "longpass" not in done.stdout, pad


@pytest.mark.parametrize("known", [True, False])
def test_diagnose_masks_tokens_and_url_passwords_in_the_lines_it_repeats(tmp_path, known):
    text = LOG.format(hf=HF)
    if not known:  # no knowledge-base rule: the first error line itself becomes the root cause
        text = (f"2026-01-01 10:00:01,000 - mindformers[x.py:1] - ERROR - pull failed: "
                f"https://alice:pa@ss@hub.example/m token={HF} password=hunter2\n")
    (tmp_path / "worker_0.log").write_text(text)
    as_text = run_cli("diagnose", str(tmp_path))
    as_json = run_cli("diagnose", str(tmp_path), "--json")
    assert as_text.returncode == 1 and as_json.returncode == 1, as_text.stderr
    for output in (as_text.stdout + as_text.stderr, as_json.stdout):
        _no_secret(output)
        assert "pa@ss" not in output and "ss@hub" not in output and "hunter2" not in output
    document = json.loads(as_json.stdout)
    assert document["root_cause"] is not None
    shown = json.dumps(document)
    assert "https://***@hub.example/m" in shown


def test_doctor_masks_a_url_password_up_to_the_last_at(tmp_path):
    env = {"MA_PIP_MIRROR": "https://u:p@ss@host.example/simple", "MINDPILOT_STATE_DIR": str(tmp_path)}
    for args in (("doctor", "--json"), ("doctor",)):
        done = run_cli(*args, env=env)
        assert done.returncode in (0, 1), done.stderr
        assert "p@ss" not in done.stdout + done.stderr and "ss@host" not in done.stdout + done.stderr
    report = json.loads(run_cli("doctor", "--json", env=env).stdout)
    assert report["environment"]["env"]["MA_PIP_MIRROR"] == "https://***@host.example/simple"


@pytest.mark.parametrize("line,expected", [
    ("https://u:p@ss@host/x", "https://***@host/x"),
    ("git clone https://ghp_" + "a1" * 18 + "@github.com/o/r", "git clone https://***@github.com/o/r"),
    ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),
    ("http://host:8080/a@b", "http://host:8080/a@b"),
    ("HF_TOKEN=" + HF + " next", "HF_TOKEN=*** next"),
    ("password=hunter2 user=bob", "password=*** user=bob"),
    ('{"access_key": "AKIAABCDEFGHIJKLMNOP", "secret_key": "wJalrXUtnFEMI/K7MDENG"}',
     '{"access_key": "***", "secret_key": "***"}'),
    ("Authorization: Bearer abcdef1234567890xyz", "Authorization: Bearer ***"),
    ("pad_token: <pad> max_tokens: 256 tokenizer: /data/tok pad_token_id: 0",
     "pad_token: <pad> max_tokens: 256 tokenizer: /data/tok pad_token_id: 0"),
    ("KeyError: 'model.layers.0' in dict", "KeyError: 'model.layers.0' in dict"),
])
def test_log_line_masking(line, expected):
    assert redact_log_line(line) == expected


@pytest.mark.parametrize("name", ["TOKENIZERS_PARALLELISM", "MAX_TOKENS", "PAD_TOKEN_ID", "VLLM_MAX_NUM_TOKENS"])
def test_token_counts_and_tokenizer_settings_are_not_secrets(name):
    """They are passed as values in run.sh (a secret would have to be set by hand before running it)."""
    assert not is_secret_name(name)


def test_plain_text_masking_keeps_assignments_but_hides_values_and_shapes():
    assert redact_text("token " + HF, ()) == "token ***"
    assert redact_text("x obs-Secret-Value-4242 y", [OBS]) == "x *** y"
    assert redact_text("https://a@b:c@d@host.example/", ()) == "https://***@host.example/"


def test_the_live_view_masks_worker_log_lines_and_failures(tmp_path):
    """``launch --lines``: every worker line shown and the first failure carry no token or URL password."""
    out, env = _stub_msrun(tmp_path)
    (tmp_path / "bin" / "msrun").write_text(
        "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --log_dir=*) d=\"${a#--log_dir=}\";; esac; done\n"
        "mkdir -p \"$d\"\n"
        f"printf '%s\\n' 'loading with HF_TOKEN={HF} ok' 'Traceback (most recent call last):' "
        f"'RuntimeError: pull https://alice:pa@ss@hub.example/m failed, password=hunter2' > \"$d/worker_0.log\"\n"
        "exit 1\n")
    preset = _preset(tmp_path, {})
    done = run_cli("launch", str(preset), "--no-probe", "--force", "--lines", "--json",
                   "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path))
    assert done.returncode == 4, done.stderr
    _no_secret(done.stdout, done.stderr)
    assert "pa@ss" not in done.stdout and "hunter2" not in done.stdout
    events = [json.loads(line) for line in done.stdout.splitlines()]
    texts = [event.get("text", "") for event in events if event["type"] == "line"]
    assert "loading with HF_TOKEN=*** ok" in texts
    assert any("https://***@hub.example/m" in text for text in texts)
    assert events[-1]["type"] == "exit" and "***" in json.dumps(events[-1]["first_failure"])


def test_a_usage_error_does_not_echo_a_secret_back(tmp_path):
    done = run_cli("launch", "--demo", "--dry-run", "--no-such-flag", f"--hf-tokne={HF}", f"--db-password={OBS}",
                   env={"MINDPILOT_STATE_DIR": str(tmp_path)})
    assert done.returncode == 2 and "unrecognized arguments: --no-such-flag --hf-tokne=***" in done.stderr
    _no_secret(done.stderr)
