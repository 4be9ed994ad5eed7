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


def test_a_file_swapped_for_a_link_after_the_check_is_not_read_through_it(tmp_path, monkeypatch):
    """Another user who can write the preset's folder swaps a checked file for a link just before it is read."""
    from mindpilot.launch import render
    from mindpilot.presets.preset import load_preset

    secret = _secret(tmp_path)
    repo = tmp_path / "repo"
    preset = _preset(repo, ["notes.txt"])
    notes = repo / "notes.txt"
    notes.write_text("notes\n", encoding="utf-8")
    real_read_text = render.read_text

    def swapped_then_read(path, *args, **kwargs):
        if Path(path).name == "notes.txt" and not os.path.islink(path):
            os.unlink(path)
            os.symlink(secret, path)  # the attacker wins the race between the check and the open
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(render, "read_text", swapped_then_read)
    with pytest.raises(render.RenderRefusedError, match="outside the preset's folder"):
        render.render_preset(load_preset(preset), tmp_path / "artifact", render.SourceRule.of(repo))
    assert not _copied_anywhere(tmp_path / "artifact", "PRIVATE KEY")


def test_a_hidden_file_in_the_presets_folder_needs_allow_file(tmp_path):
    """A preset saved in the home folder would otherwise reach ``~/.ssh`` and ``~/.env`` as files of its folder."""
    home = tmp_path / "home"
    secret = _secret(tmp_path)  # tmp_path/home/.ssh/id_rsa
    (home / ".env").write_text("HF_TOKEN=hf_abcdefghijklmnop1234\n", encoding="utf-8")
    out = tmp_path / "artifact"
    for named in (".ssh/id_rsa", str(secret), ".env"):
        preset = _preset(home, [named])
        done = run_cli("preset", "render", str(preset), "--out", str(out))
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert not _copied_anywhere(out, "PRIVATE KEY") and not _copied_anywhere(out, "hf_abcdef")
    done = run_cli("preset", "render", str(preset), "--out", str(out), "--allow-file", str(home / ".env"))
    assert done.returncode == 0 and (out / ".env").exists(), done.stderr


def test_render_refuses_an_output_folder_another_user_could_change(tmp_path):
    preset = _preset(tmp_path / "repo", [])
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone may rename our output folder away and put a link to /etc/profile.d there
    done = run_cli("preset", "render", str(preset), "--out", str(shared / "artifact"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "others may write it" in done.stderr and not (shared / "artifact").exists()
    shared.chmod(0o1777)  # sticky, like /tmp: others cannot rename what is ours in it
    assert run_cli("preset", "render", str(preset), "--out", str(shared / "artifact")).returncode == 0
    if os.geteuid() != 0:
        return  # only root can give a folder and a link to another user
    theirs = shared / "theirs"
    theirs.mkdir()
    os.chown(theirs, 1234, 1234)
    link = shared / "link"
    link.symlink_to(tmp_path / "mine")
    os.lchown(link, 1234, 1234)
    for out, words in ((theirs, "belongs to user id 1234"), (link, "link of user id 1234")):
        done = run_cli("preset", "render", str(preset), "--out", str(out))
        assert done.returncode == 2 and words in done.stderr, done.stderr
    assert list(theirs.iterdir()) == [] and not (tmp_path / "mine").exists()


def test_a_copy_is_narrowed_through_a_descriptor_never_through_a_link(tmp_path):
    from mindpilot.launch.render import _narrow

    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    victim.chmod(0o600)
    link = tmp_path / "notes.txt"
    link.symlink_to(victim)
    with pytest.raises(OSError):
        _narrow(link, 0o755)
    assert victim.stat().st_mode & 0o777 == 0o600
    _narrow(victim, 0o640)
    assert victim.stat().st_mode & 0o777 == 0o640


def test_a_related_file_named_like_a_node_script_is_not_overwritten_by_it(tmp_path):
    repo = tmp_path / "repo"
    preset = _preset(repo, ["node0.sh"])
    preset.write_text(preset.read_text(encoding="utf-8").replace("cards: 1", "cards: 2")
                      + "nodes: 2\nmaster_addr: 10.0.0.1\n", encoding="utf-8")
    (repo / "node0.sh").write_text("echo my own helper\n", encoding="utf-8")
    out = tmp_path / "artifact"
    done = run_cli("preset", "render", str(preset), "--out", str(out))
    assert done.returncode == 0, done.stderr
    from mindpilot.presets.preset import load_preset

    copies = load_preset(out / "preset.yaml").related_files
    assert [Path(path).read_text(encoding="utf-8") for path in copies] == ["echo my own helper\n"]
    assert "msrun" in (out / "node0.sh").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_an_output_name_taken_by_a_fifo_or_folder_is_refused_before_anything_is_written(tmp_path, kind):
    preset = _preset(tmp_path / "repo", [])
    out = tmp_path / "artifact"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / "env.sh")
    else:
        (out / "run.sh").mkdir()
    done = run_cli("preset", "render", str(preset), "--out", str(out), timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not a regular file" in done.stderr and not (out / "preset.yaml").exists()


def test_a_preset_named_through_a_link_copies_from_its_own_folder_not_the_links(tmp_path):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("private notes\n", encoding="utf-8")
    preset = _preset(tmp_path / "downloads", [str(elsewhere / "notes.txt")])
    (elsewhere / "job.yaml").symlink_to(preset)  # the user keeps a link to a preset they were sent
    out = tmp_path / "artifact"
    done = run_cli("preset", "render", str(elsewhere / "job.yaml"), "--out", str(out))
    assert done.returncode == 2 and "outside the preset's folder" in done.stderr, done.stderr
    assert not _copied_anywhere(out, "private notes")


def test_a_full_disk_while_rendering_names_the_file(tmp_path, monkeypatch):
    """ENOSPC from ``fsync``, simulated in-process: no tiny file system is available to CI."""
    import errno

    from mindpilot.launch.render import render_preset
    from mindpilot.presets.preset import load_preset

    preset = load_preset(_preset(tmp_path / "repo", []))

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        render_preset(preset, tmp_path / "artifact")
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(tmp_path / "artifact" / "preset.yaml")
