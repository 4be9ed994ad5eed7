"""No text from outside reaches the terminal as a control sequence (docs/security.md, "Terminal output").

Each command is fed OSC 0 (retitle), OSC 52 (clipboard), CSI 2J (wipe), DCS and a C1 CSI through the input
it repeats (a log, a preset field, a probed interpreter's stderr, a distribution's version); its output holds
the text in visible form and no control character but newline and tab.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from support import run_cli

from mindpilot.terminal_text import visible, visible_line

HOSTILE = "A\x1b]0;pwned\x07B\x1b]52;c;ZWNobyBoaQ==\x07C\x1b[2JD\x1bP1$r\x1b\\E\x9b2JF\x9d0;t\x9cG"
"""OSC 0 (retitle), OSC 52 (clipboard), CSI 2J (wipe), DCS ... ST, C1 CSI, C1 OSC ... C1 ST."""
_OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(*texts: str) -> None:
    for text in texts:
        found = _OBEYED.search(text)
        assert found is None, f"{found.group()!r} at {found.start()} in {text[max(0, found.start() - 60):][:160]!r}"


def _stub_msrun(tmp_path: Path) -> dict[str, str]:
    """An msrun that writes a failing worker log holding the hostile text, then fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = ["[INFO] start " + HOSTILE, "Traceback (most recent call last):", "RuntimeError: " + HOSTILE]
    (bin_dir / "msrun").write_text(
        "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --log_dir=*) d=\"${a#--log_dir=}\";; esac; done\n"
        "mkdir -p \"$d\"\ncat > \"$d/worker_0.log\" <<'EOF'\n" + "\n".join(log) + "\nEOF\nexit 1\n")
    (bin_dir / "msrun").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "MINDPILOT_STATE_DIR": str(tmp_path / "state")}


def test_the_sanitiser_shows_every_control_character_and_keeps_text():
    assert visible("plain 中文\ttab\nline") == "plain 中文\ttab\nline"
    shown = visible(HOSTILE)
    _clean(shown)
    assert shown.startswith("A␛]0;pwned␇B␛]52;") and "\\u009b2JF" in shown
    assert json.loads(json.dumps(visible("\x9b\x7f\u202e"), ensure_ascii=False)) == "\\u009b\\u007f\\u202e"
    assert visible_line("\x1b[31m[ERROR]\x1b[0m boom\r\n") == "[ERROR] boom"
    assert visible_line("a\rb\nc\x1b[2J") == "a␍b␊c␛[2J"


def test_diagnose_text_and_json_show_a_hostile_log_line_without_obeying_it(tmp_path):
    (tmp_path / "worker_0.log").write_text("Traceback (most recent call last):\nRuntimeError: " + HOSTILE + "\n")
    text = run_cli("diagnose", str(tmp_path))
    _clean(text.stdout, text.stderr)
    assert "␛]0;pwned␇" in text.stdout
    as_json = run_cli("diagnose", str(tmp_path), "--json")
    _clean(as_json.stdout, as_json.stderr)
    titles = [finding["title"] for finding in json.loads(as_json.stdout)["findings"]]
    assert any(HOSTILE in title for title in titles)  # JSON escapes it, and gives it back whole


def test_launch_lines_first_failure_and_attach_lines_show_hostile_log_lines(tmp_path):
    env = _stub_msrun(tmp_path)
    preset = tmp_path / "job.json"
    preset.write_text(json.dumps({"name": "hostile", "script": "train.py", "cards": 1, "device": "cpu",
                                  "use_checkouts": False, "min_free_gb": 0}))
    (tmp_path / "train.py").write_text("")
    launched = run_cli("launch", str(preset), "--no-probe", "--force", "--lines",
                       "--log-dir", str(tmp_path / "logs"), env=env, cwd=str(tmp_path))
    assert launched.returncode == 4, launched.stderr
    _clean(launched.stdout, launched.stderr)
    assert "␛[2J" in launched.stdout + launched.stderr
    job = json.loads(run_cli("jobs", "--json", env=env).stdout)
    job_id = (job["jobs"] if isinstance(job, dict) else job)[0]["id"]
    attached = run_cli("attach", job_id, "--lines", env=env, cwd=str(tmp_path))
    _clean(attached.stdout, attached.stderr)
    assert "␛]52;" in attached.stdout + attached.stderr
    as_json = run_cli("attach", job_id, "--lines", "--json", env=env, cwd=str(tmp_path))
    _clean(as_json.stdout)
    texts = [json.loads(line).get("text", "") for line in as_json.stdout.splitlines() if line.strip()]
    assert any("\x1b]52;c;" in text for text in texts)


def test_preflight_lines_show_a_hostile_preset_path(tmp_path):
    env = _stub_msrun(tmp_path)
    preset = tmp_path / "job.yaml"
    preset.write_text(json.dumps({"name": "hostile", "script": "train.py", "cards": 1, "device": "cpu",
                                  "use_checkouts": False, "min_free_gb": 0, "input_files": ["in/" + HOSTILE]}))
    (tmp_path / "train.py").write_text("")
    done = run_cli("launch", str(preset), "--no-probe", "--dry-run", env=env, cwd=str(tmp_path))
    _clean(done.stdout, done.stderr)
    assert "␛]0;pwned␇" in done.stdout + done.stderr
    shown = run_cli("preset", "show", str(preset), env=env, cwd=str(tmp_path))
    _clean(shown.stdout, shown.stderr)


def test_doctor_shows_a_probed_interpreters_stderr_and_a_distributions_version_visibly(tmp_path):
    broken = tmp_path / "python3"
    broken.write_text(f"#!/bin/sh\nprintf '%s' '{HOSTILE}' >&2\nexit 3\n")
    broken.chmod(0o755)
    done = run_cli("doctor", "--python", str(broken))
    _clean(done.stdout, done.stderr)
    assert "␛]0;pwned␇" in done.stdout + done.stderr
    site = tmp_path / "site"
    info = site / "mindformers-1.7.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mindformers\nVersion: 1.7.0{HOSTILE}\n")
    shadowed = run_cli("doctor", "--python", sys.executable, env={"PYTHONPATH": str(site)})
    _clean(shadowed.stdout, shadowed.stderr)
    assert "1.7.0A␛]0;pwned␇" in shadowed.stdout


def test_jobs_check_and_model_check_show_hostile_records_and_file_names(tmp_path):
    state = tmp_path / "state"
    (state / "jobs" / "evil-1").mkdir(parents=True)
    (state / "jobs" / "evil-1" / "job.json").write_text(json.dumps(
        {"id": "evil-1", "name": "n" + HOSTILE, "argv": ["msrun"], "cwd": "/", "log_dir": "/nonexistent/" + HOSTILE,
         "status": "failed", "error": "e" + HOSTILE, "started_at": 1.0}))
    listed = run_cli("jobs", env={"MINDPILOT_STATE_DIR": str(state)})
    _clean(listed.stdout, listed.stderr)
    assert "␛]0;pwned␇" in listed.stdout + listed.stderr
    config = tmp_path / ("c" + HOSTILE.replace("/", "") + ".yaml")
    config.write_text("model:\n  model_config:\n    num_layers: 0\n")
    checked = run_cli("check", str(config))
    _clean(checked.stdout, checked.stderr)
    assert "␛]0;pwned␇" in checked.stdout + checked.stderr
    model = tmp_path / ("m" + HOSTILE.replace("/", ""))
    model.mkdir()
    inspected = run_cli("model", "check", str(model))
    _clean(inspected.stdout, inspected.stderr)
    assert "␛]0;pwned␇" in inspected.stdout + inspected.stderr
