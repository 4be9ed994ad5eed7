"""``preset render`` of an untrusted preset (issue 18, items 2 and 3): it copies only files inside the
preset's own folder (or named with ``--allow-file``), never widens a file's mode, and never writes through a
symbolic link already in the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mindpilot.fileio import SymlinkRefusedError, write_atomic
from support import run_cli


def _preset(folder: Path, related: list[str], config: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text("print('step 1, loss 1.0')\n", encoding="utf-8")
    lines = ["name: outsider", "script: train.py", "cards: 1", f"workdir: {folder}",
             "related_files: [" + ", ".join(f'"{path}"' for path in related) + "]"]
    if config:
        lines.append(f"config: {config}")
    path = folder / "job.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", encoding="utf-8")
    secret.chmod(0o600)
    return secret


def _copied_anywhere(out: Path, text: str) -> bool:
    return out.exists() and any(text in p.read_text(encoding="utf-8", errors="replace")
                                for p in out.iterdir() if p.is_file())


def test_render_refuses_a_file_outside_the_presets_folder(tmp_path):
    secret = _secret(tmp_path)
    out = tmp_path / "artifact"
    for named in (str(secret), "../home/.ssh/id_rsa"):
        preset = _preset(tmp_path / "repo", [named])
        done = run_cli("preset", "render", str(preset), "--out", str(out))
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "outside the preset's folder" in done.stderr and "--allow-file" in done.stderr
        assert not _copied_anywhere(out, "PRIVATE KEY")
    link = tmp_path / "repo" / "innocent.txt"  # a link inside the folder to a file outside it
    link.symlink_to(secret)
    preset = _preset(tmp_path / "repo", ["innocent.txt"], config=str(Path("/etc/passwd")))
    done = run_cli("preset", "render", str(preset), "--out", str(out))
    assert done.returncode == 2 and not _copied_anywhere(out, "PRIVATE KEY") and not _copied_anywhere(out, "root:")


def test_a_file_named_on_the_command_line_is_copied_and_keeps_its_mode(tmp_path):
    secret = _secret(tmp_path)
    inside = tmp_path / "repo" / "notes.txt"
    preset = _preset(tmp_path / "repo", [str(secret), "notes.txt"])
    inside.write_text("notes\n", encoding="utf-8")
    inside.chmod(0o640)
    out = tmp_path / "artifact"
    done = run_cli("preset", "render", str(preset), "--out", str(out), "--allow-file", str(secret))
    assert done.returncode == 0, done.stderr
    assert (out / "id_rsa").stat().st_mode & 0o777 == 0o600  # never wider than the source
    assert (out / "notes.txt").stat().st_mode & 0o777 == 0o640
    (out / "notes.txt").chmod(0o666)  # a copy made wider before: the next render narrows it again
    assert run_cli("preset", "render", str(preset), "--out", str(out), "--allow-file", str(secret)).returncode == 0
    assert (out / "notes.txt").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("dangling", [False, True])
def test_render_never_writes_through_a_link_in_the_output_folder(tmp_path, dangling):
    preset = _preset(tmp_path / "repo", [])
    out = tmp_path / "artifact"
    out.mkdir()
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("precious\n", encoding="utf-8")
        victim.chmod(0o600)
    (out / ("env.sh" if dangling else "run.sh")).symlink_to(victim)
    done = run_cli("preset", "render", str(preset), "--out", str(out))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "symbolic link" in done.stderr
    if dangling:
        assert not victim.exists()  # no file created outside the folder
    else:
        assert victim.read_text(encoding="utf-8") == "precious\n" and victim.stat().st_mode & 0o777 == 0o600
    assert not (out / "preset.yaml").exists()  # refused before anything was written


def test_write_atomic_without_following_links_refuses_them(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(SymlinkRefusedError):
        write_atomic(link, "new\n", follow_symlinks=False)
    os.unlink(link)
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(SymlinkRefusedError):
        write_atomic(link, "new\n", follow_symlinks=False)
    assert target.read_text(encoding="utf-8") == "keep\n" and not (tmp_path / "nowhere").exists()
    write_atomic(tmp_path / "plain", "new\n", follow_symlinks=False, mode=0o600)
    assert (tmp_path / "plain").stat().st_mode & 0o777 == 0o600


def test_the_rendered_folder_names_its_files_relative_to_itself_and_can_move(tmp_path):
    work = tmp_path / "work"
    preset = _preset(work, ["notes.txt"], config="job_config.yaml")
    (work / "job_config.yaml").write_text("seed: 1\n", encoding="utf-8")
    (work / "notes.txt").write_text("notes\n", encoding="utf-8")
    text = preset.read_text(encoding="utf-8").replace("script: train.py",
                                                      "script: train.py\nscript_args: [--config, job_config.yaml]")
    preset.write_text(text, encoding="utf-8")
    out = tmp_path / "runner" / "artifact"
    assert run_cli("preset", "render", str(preset), "--out", str(out), cwd=str(tmp_path)).returncode == 0
    for path in out.iterdir():  # no path of the render's own folder is written into any file
        assert str(out) not in path.read_text(encoding="utf-8"), path.name
    moved = tmp_path / "elsewhere"
    out.rename(moved)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.txt"
    (bin_dir / "msrun").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n', encoding="utf-8")
    (bin_dir / "msrun").chmod(0o755)
    import subprocess

    done = subprocess.run(["bash", str(moved / "run.sh")], capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    argv = record.read_text(encoding="utf-8").splitlines()
    assert argv[argv.index("--config") + 1] == str(moved / "job_config.yaml")
    from mindpilot.presets.preset import load_preset

    loaded = load_preset(moved / "preset.yaml")  # the preset finds the moved copies too
    assert loaded.config == str(moved / "job_config.yaml") and loaded.related_files == [str(moved / "notes.txt")]
    assert loaded.script_args == ["--config", str(moved / "job_config.yaml")] and loaded.relative_to is None
