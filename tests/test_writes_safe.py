"""Writes follow links, refuse non-files, lock, keep every replaced version, and keep line endings and encoding.

Each case is the command a user runs (``plan --apply``, ``check --fix``, ``preset show -o``), on real
files in a temp directory; :mod:`mindpilot.fileio` is also driven directly where a race needs threads.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mindpilot.exit_codes import ExitCode
from mindpilot.fileio import NUMBERED_BACKUPS, NotRegularFileError, locked, read_for_edit, write_atomic
from support import REPO, run_cli

SOURCE = REPO / "tests" / "data" / "check" / "qwen2_5_7b_2cards.yaml"
APPLY = ("plan", "--model", "qwen2.5-7b", "--cards", "{cards}", "--apply", "{f}")


def apply(target: Path, cards: int = 8):
    return run_cli(*[part.format(cards=cards, f=target) for part in APPLY])


def test_plan_apply_through_a_symlink_edits_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "t.yaml"
    shutil.copy(SOURCE, real)
    link = tmp_path / "work" / "link.yaml"
    link.parent.mkdir()
    link.symlink_to("../real/t.yaml")
    done = apply(link)
    assert done.returncode == ExitCode.OK, done.stderr
    assert link.is_symlink() and os.readlink(link) == "../real/t.yaml"
    assert real.read_text() != SOURCE.read_text()  # the job reads the new values
    assert (tmp_path / "real" / "t.yaml.bak").read_text() == SOURCE.read_text()
    assert sorted(p.name for p in link.parent.iterdir()) == ["link.yaml"]  # nothing beside the link
    assert str(tmp_path / "real" / "t.yaml.bak") in done.stderr


def test_check_fix_through_a_symlink_edits_the_target(tmp_path):
    real = tmp_path / "t.yaml"
    shutil.copy(SOURCE, real)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    done = run_cli("check", str(link), "--cards", "8", "--fix")
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr
    assert link.is_symlink() and real.read_text() != SOURCE.read_text()
    assert (tmp_path / "t.yaml.bak").read_text() == SOURCE.read_text()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_preset_show_to_a_device_is_refused_and_the_device_stays(tmp_path):
    link = tmp_path / "out.yaml"
    link.symlink_to("/dev/full")  # the same device through a link: still refused
    for target in ("/dev/full", str(link)):
        before = os.stat("/dev/full")
        done = run_cli("preset", "show", "demo", "-o", target)
        assert done.returncode == ExitCode.USAGE and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "not a regular file" in done.stderr
        after = os.stat("/dev/full")
        assert (after.st_ino, after.st_rdev, after.st_mode) == (before.st_ino, before.st_rdev, before.st_mode)


def test_a_fifo_and_a_directory_as_output_are_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "adir").mkdir()
    for target, words in ((fifo, "FIFO"), (tmp_path / "adir", "is a directory")):
        done = run_cli("preset", "run-sh", "demo", "-o", str(target), timeout=60)
        assert done.returncode == ExitCode.USAGE and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and list((tmp_path / "adir").iterdir()) == []


def test_write_atomic_refuses_special_files_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="FIFO"):
        write_atomic(fifo, "x")
    if os.path.exists("/dev/null"):
        with pytest.raises(NotRegularFileError, match="device"):
            write_atomic("/dev/null", "x")


def test_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "run.sh"
    link.symlink_to("made.sh")
    write_atomic(link, "echo hi\n")
    assert link.is_symlink() and (tmp_path / "made.sh").read_text() == "echo hi\n"


def test_backups_keep_the_original_and_number_later_versions(tmp_path):
    target = tmp_path / "finetune.yaml"
    shutil.copy(SOURCE, target)
    versions = [SOURCE.read_text()]
    for cards in (8, 16, 32):
        done = apply(target, cards)
        assert done.returncode == ExitCode.OK, done.stderr
        versions.append(target.read_text())
    assert len(set(versions)) == 4
    assert (tmp_path / "finetune.yaml.bak").read_text() == versions[0]  # the original, never overwritten
    assert (tmp_path / "finetune.yaml.bak.1").read_text() == versions[1]
    assert (tmp_path / "finetune.yaml.bak.2").read_text() == versions[2]
    assert f"previous version: {tmp_path / 'finetune.yaml.bak.2'}" in done.stderr
    assert f"original: {tmp_path / 'finetune.yaml.bak'}" in done.stderr
    again = apply(target, 32)  # nothing changes: no write and no backup
    assert "nothing written" in again.stderr and not (tmp_path / "finetune.yaml.bak.3").exists()


def test_numbered_backups_are_bounded(tmp_path):
    target = tmp_path / "run.sh"
    for n in range(NUMBERED_BACKUPS + 5):
        write_atomic(target, f"echo {n}\n", keep_backup=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    numbered = sorted(int(name.rsplit(".", 1)[1]) for name in names if name.startswith("run.sh.bak."))
    assert (tmp_path / "run.sh.bak").read_text() == "echo 0\n"  # the original of the first edit
    assert len(numbered) == NUMBERED_BACKUPS and numbered[-1] == NUMBERED_BACKUPS + 3
    assert (tmp_path / f"run.sh.bak.{numbered[-1]}").read_text() == f"echo {NUMBERED_BACKUPS + 3}\n"


def test_five_concurrent_plan_apply_serialize_and_none_is_lost(tmp_path):
    target = tmp_path / "finetune.yaml"
    shutil.copy(SOURCE, target)
    env = dict(os.environ)
    runs = [subprocess.Popen([sys.executable, "-m", "mindpilot", *[p.format(cards=cards, f=target) for p in APPLY]],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            for cards in (8, 16, 32, 64, 128)]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert all(run.returncode == ExitCode.OK for run in runs), errors
    assert all("wrote candidate" in err for err in errors), errors
    backups = [tmp_path / "finetune.yaml.bak"] + [tmp_path / f"finetune.yaml.bak.{n}" for n in range(1, 5)]
    contents = [p.read_text() for p in backups] + [target.read_text()]
    # Serialized, each run replaced the one before it: the original plus five distinct results, each kept.
    assert contents[0] == SOURCE.read_text()
    assert len(set(contents)) == 6
    assert not (tmp_path / "finetune.yaml.bak.5").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_check_fix_keeps_the_original_in_bak(tmp_path):
    target = tmp_path / "finetune.yaml"
    shutil.copy(SOURCE, target)
    runs = [subprocess.Popen([sys.executable, "-m", "mindpilot", "check", str(target), "--cards", cards, "--fix"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for cards in ("8", "16", "32")]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert all(run.returncode in (ExitCode.OK, ExitCode.FINDINGS) for run in runs), errors
    assert (tmp_path / "finetune.yaml.bak").read_text() == SOURCE.read_text()
    kept = [tmp_path / "finetune.yaml.bak"] + sorted(tmp_path.glob("finetune.yaml.bak.*")) + [target]
    assert len(kept) == 4 and len({p.read_text() for p in kept}) == 4  # three edits, each one's input kept


def test_the_lock_holds_a_whole_read_modify_write(tmp_path):
    """Twenty threads add one line each under :func:`locked`; without the lock some additions vanish."""
    target = tmp_path / "counter.txt"
    target.write_text("")

    def add(n: int) -> None:
        with locked(target) as real:
            text, _ = read_for_edit(real)
            write_atomic(real, text + f"{n}\n", keep_backup=False)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(int(x) for x in target.read_text().split()) == list(range(20))


def test_crlf_stays_crlf_through_plan_apply_and_check_fix(tmp_path):
    crlf = SOURCE.read_bytes().replace(b"\n", b"\r\n")
    for command in (APPLY, ("check", "{f}", "--cards", "{cards}", "--fix")):
        target = tmp_path / "finetune.yaml"
        target.write_bytes(crlf)
        done = run_cli(*[part.format(cards=8, f=target) for part in command])
        assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr
        result = target.read_bytes()
        assert result != crlf
        assert result.count(b"\n") == result.count(b"\r\n")  # every line still ends in CRLF
        assert (tmp_path / "finetune.yaml.bak").read_bytes() == crlf
        for leftover in tmp_path.glob("finetune.yaml.bak*"):
            leftover.unlink()


def test_utf8_bom_is_kept_once(tmp_path):
    target = tmp_path / "finetune.yaml"
    original = b"\xef\xbb\xbf" + SOURCE.read_bytes()
    target.write_bytes(original)
    done = apply(target)
    assert done.returncode == ExitCode.OK, done.stderr
    result = target.read_bytes()
    assert result.startswith(b"\xef\xbb\xbf") and not result[3:].startswith(b"\xef\xbb\xbf")
    assert result.count(b"\xef\xbb\xbf") == 1 and result != original


def test_gbk_is_refused_in_one_line_and_left_alone(tmp_path):
    target = tmp_path / "finetune.yaml"
    gbk = SOURCE.read_text().encode("gbk")
    target.write_bytes(gbk)
    done = apply(target)
    assert done.returncode == ExitCode.USAGE and "not UTF-8" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == gbk and not (tmp_path / "finetune.yaml.bak").exists()


def test_a_file_edited_by_root_keeps_its_owner(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    target = tmp_path / "t.yaml"
    shutil.copy(SOURCE, target)
    os.chown(target, 1234, 1234)
    write_atomic(target, "a: 1\n", keep_backup=True)
    assert (os.stat(target).st_uid, os.stat(target).st_gid) == (1234, 1234)
