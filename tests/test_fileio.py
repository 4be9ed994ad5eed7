"""write_atomic: the whole new file or the whole old one, never half; a backup when asked."""

from __future__ import annotations

import os

import pytest

from mindpilot.fileio import write_atomic


def test_replaces_content_keeps_mode_and_backup(tmp_path):
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    os.chmod(target, 0o750)
    write_atomic(target, "new\n", keep_backup=True)
    assert target.read_text() == "new\n"
    assert (tmp_path / "run.sh.bak").read_text() == "old\n"
    assert target.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.sh", "run.sh.bak"]


def test_explicit_mode_and_no_backup_by_default(tmp_path):
    target = tmp_path / "job.json"
    write_atomic(target, "{}", mode=0o755)
    write_atomic(target, "{\"a\": 1}")
    assert target.read_text() == "{\"a\": 1}"
    assert target.stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "job.json.bak").exists()


def test_failure_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "config.yaml"
    target.write_text("a: 1\n")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "a: 2\n")
    assert target.read_text() == "a: 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]
