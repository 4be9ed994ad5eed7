"""The CI round trip of a preset, callable from any test (the TUI journey test passes its session's Preset):
save -> ``preset render`` -> ``check`` (the rendered preset) -> ``launch --dry-run``, each through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from mindpilot.presets.preset import Preset, load_preset
from mindpilot.presets.store import save_preset
from support import run_cli


def round_trip(preset: Preset, workdir: Path, launch_must_pass: bool = True) -> dict:
    """Run the round trip in ``workdir``; return what each step produced. Asserts every step's contract."""
    saved = save_preset(preset, workdir / f"{preset.name}.preset.yaml")
    assert load_preset(saved) == preset
    out = workdir / "rendered"
    render = run_cli("preset", "render", str(saved), "--out", str(out), "--json", cwd=str(workdir))
    assert render.returncode == 0, render.stderr
    files = {Path(entry["file"]).name: entry["changed"] for entry in json.loads(render.stdout)}
    assert {"run.sh", "env.sh", "preset.yaml"} <= set(files) and all(files.values())
    check = run_cli("check", str(out / "preset.yaml"), "--skip-paths", "--format", "junit", cwd=str(workdir))
    assert check.returncode == 0, check.stdout + check.stderr
    launch = run_cli("launch", str(out / "preset.yaml"), "--dry-run", "--no-probe", "--json", cwd=str(workdir))
    events = [json.loads(line) for line in launch.stdout.splitlines() if line.startswith("{")]
    commands = [e for e in events if e.get("type") == "command"]
    if launch_must_pass:
        assert launch.returncode == 0, launch.stdout + launch.stderr
    return {"saved": saved, "out": out, "files": files, "check": check, "launch": launch, "commands": commands}
