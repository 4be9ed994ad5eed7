"""Secrets, second round (docs/security.md, "Secrets"): a URL's password in any variable, a secret the viewer's
shell does not have, ``preset new --json``, a letters-only token, and the mode of run.sh."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from support import run_cli, wait_for

from mindpilot.redact import redact_log_line

URL = "https://alice:s3cr3t-Pass@mirror.example/simple"
MASKED_URL = "https://***@mirror.example/simple"
HIDDEN = "Zq9Zq9Zq9-not-shaped-like-a-token"
"""A value only its variable's name marks as secret (no token shape)."""


def _stub_msrun(tmp_path: Path, body: str = "") -> dict[str, str]:
    """An msrun that dumps its environment to ``got/env``, runs ``body`` and succeeds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "got").mkdir(exist_ok=True)
    (bin_dir / "msrun").write_text(
        "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --log_dir=*) d=\"${a#--log_dir=}\";; esac; done\n"
        f"mkdir -p \"$d\"\nenv -0 > {tmp_path}/got/env\n{body}\nexit 0\n")
    (bin_dir / "msrun").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "MINDPILOT_STATE_DIR": str(tmp_path / "state")}


def _preset(tmp_path: Path, env: dict[str, str]) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"name": "urls", "script": "train.py", "cards": 1, "device": "cpu",
                                "use_checkouts": False, "min_free_gb": 0, "env": env}))
    (tmp_path / "train.py").write_text("")
    return path


def _received_env(tmp_path: Path) -> dict[str, str]:
    raw = (tmp_path / "got" / "env").read_bytes().decode()
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _no_password(*texts: str) -> None:
    for text in texts:
        assert "s3cr3t-Pass" not in text, text


def test_a_url_password_in_any_variable_is_masked_everywhere_yet_reaches_the_job(tmp_path):
    env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {"PIP_INDEX_URL": URL, "PLAIN": "ssh://git@host/x"})
    shown = run_cli("launch", str(preset), "--no-probe", "--dry-run", env=env, cwd=str(tmp_path))
    as_json = run_cli("launch", str(preset), "--no-probe", "--dry-run", "--json", env=env, cwd=str(tmp_path))
    _no_password(shown.stdout, shown.stderr, as_json.stdout)
    command = next(json.loads(line) for line in as_json.stdout.splitlines() if '"command"' in line)
    assert MASKED_URL in json.dumps(command) and "ssh://git@host/x" in json.dumps(command)
    launched = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                       "--write-run-sh", str(tmp_path / "run.sh"), env={**env, "PIP_INDEX_URL": ""},
                       cwd=str(tmp_path))
    assert launched.returncode == 0, launched.stderr
    _no_password(launched.stdout, launched.stderr, (tmp_path / "run.sh").read_text())
    assert _received_env(tmp_path)["PIP_INDEX_URL"] == URL  # the job gets the real value
    (job_dir,) = (tmp_path / "state" / "jobs").iterdir()
    record = (job_dir / "job.json").read_text()
    _no_password(record, (job_dir / "run.sh").read_text())
    assert MASKED_URL in record and 'export PIP_INDEX_URL="${PIP_INDEX_URL:?' in (job_dir / "run.sh").read_text()
    for fmt in ([], ["--json"]):
        done = run_cli("preset", "show", str(preset), *fmt)
        _no_password(done.stdout)
        assert MASKED_URL in done.stdout
    saved = tmp_path / "saved.yaml"
    made = run_cli("preset", "new", "--script", "train.py", "--env", f"PIP_INDEX_URL={URL}", "-o", str(saved))
    assert made.returncode == 0, made.stderr
    _no_password(saved.read_text())
    out = tmp_path / "rendered"
    rendered = run_cli("preset", "render", str(preset), "--out", str(out), cwd=str(tmp_path))
    assert rendered.returncode == 0, rendered.stderr
    for path in out.rglob("*"):
        if path.is_file():
            _no_password(path.read_text(errors="replace"))


def test_a_masked_url_is_taken_from_the_launching_shell_and_refused_without_it(tmp_path):
    env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {"PIP_INDEX_URL": MASKED_URL})
    missing = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                      env={**env, "PIP_INDEX_URL": ""}, cwd=str(tmp_path))
    assert missing.returncode == 2 and "PIP_INDEX_URL" in missing.stderr
    given = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                    env={**env, "PIP_INDEX_URL": URL}, cwd=str(tmp_path))
    assert given.returncode == 0, given.stderr
    assert _received_env(tmp_path)["PIP_INDEX_URL"] == URL


def test_preset_new_json_masks_secrets():
    done = run_cli("preset", "new", "--script", "t.py", "--env", f"WANDB_API_KEY={HIDDEN}", "--env",
                   f"PIP_INDEX_URL={URL}", "--json")
    assert done.returncode == 0, done.stderr
    assert HIDDEN not in done.stdout
    _no_password(done.stdout)
    assert json.loads(done.stdout)["env"]["WANDB_API_KEY"] == "***"


def test_a_letters_only_token_value_is_masked_but_tokenizer_settings_are_not():
    assert redact_log_line("HF_TOKEN=abcdefghijklmnopqrst") == "HF_TOKEN=***"
    assert redact_log_line("export GITHUB_TOKEN: onlyletterstoken") == "export GITHUB_TOKEN: ***"
    assert redact_log_line("pad_token: <pad>, eos_token=endoftext") == "pad_token: <pad>, eos_token=endoftext"


def test_run_sh_is_owner_only_like_the_record_beside_it(tmp_path):
    env = _stub_msrun(tmp_path)
    preset = _preset(tmp_path, {})
    done = run_cli("launch", str(preset), "--no-probe", "--force", "--log-dir", str(tmp_path / "logs"),
                   "--write-run-sh", str(tmp_path / "run.sh"), env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    (job_dir,) = (tmp_path / "state" / "jobs").iterdir()
    assert stat.S_IMODE((job_dir / "run.sh").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "run.sh").stat().st_mode) == 0o700


def test_attach_masks_the_jobs_secrets_from_a_shell_that_lacks_them(tmp_path):
    body = "echo \"using key $WANDB_API_KEY now\" > \"$d/worker_0.log\"\nsleep 4"
    env = _stub_msrun(tmp_path, body)
    preset = _preset(tmp_path, {"WANDB_API_KEY": HIDDEN})
    started = run_cli("launch", str(preset), "--no-probe", "--force", "--detach", "--log-dir",
                      str(tmp_path / "logs"), env=env, cwd=str(tmp_path))
    assert started.returncode == 0, started.stderr
    (job_dir,) = (tmp_path / "state" / "jobs").iterdir()
    record = json.loads((job_dir / "job.json").read_text())
    assert record["secret_names"] == ["WANDB_API_KEY"] and HIDDEN not in json.dumps(record)
    assert wait_for(lambda: any((tmp_path / "logs").rglob("worker_0.log")), timeout=20)
    time.sleep(0.3)
    attached = run_cli("attach", record["id"], "--lines", env={**env, "WANDB_API_KEY": ""}, cwd=str(tmp_path))
    assert "using key *** now" in attached.stdout + attached.stderr, attached.stdout + attached.stderr
    assert HIDDEN not in attached.stdout + attached.stderr


def test_the_launchers_live_view_masks_a_preset_secret_even_when_the_job_ends_at_once(tmp_path):
    env = _stub_msrun(tmp_path, "echo \"using key $WANDB_API_KEY now\" > \"$d/worker_0.log\"")
    preset = _preset(tmp_path, {"WANDB_API_KEY": HIDDEN})
    done = run_cli("launch", str(preset), "--no-probe", "--force", "--lines", "--log-dir", str(tmp_path / "logs"),
                   env={**env, "WANDB_API_KEY": ""}, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "using key *** now" in done.stdout + done.stderr
    assert HIDDEN not in done.stdout + done.stderr
