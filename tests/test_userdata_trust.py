"""What mindpilot reads back from the user's data directory (issue 18, items 1 and 5): a learned release's
file name comes from its validated, normalised name and version only; overlay files and folders that
someone else could have written are not read; folders are created 0700 and files 0600, never through a link."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from mindpilot.userdata import UnsafeLocationError, private_dir, read_private, write_private
from mindpilot.validators.knowledge import LearnedRelease, load_learned, overlay_name, save_learned
from support import run_cli


def _release(name: str = "mindformers", version: str = "2.3.0") -> LearnedRelease:
    return LearnedRelease(name=name, version=version, wheel="w.whl", learned="2026-12-07")


def test_overlay_file_names_come_from_a_validated_name_and_version(tmp_path):
    assert overlay_name("MindFormers", "2.3.0") == "mindformers-2.3.0.json"
    assert overlay_name("vllm_mindspore", "0.5.1rc1") == "vllm-mindspore-0.5.1rc1.json"
    assert overlay_name("torch_npu", "2.1.0.post13") == "torch-npu-2.1.0.post13.json"
    escape = tmp_path / "escape"
    for name, version in [(str(escape / "x"), "1.0"), ("../../x", "1.0"), ("mindformers", "1.0/../../../x"),
                          ("mindformers", "not a version"), (".hidden", "1.0"), ("", "1.0")]:
        with pytest.raises(ValueError):
            save_learned(_release(name, version), tmp_path / "overlay")
    assert not escape.exists() and not any(tmp_path.rglob("x*.json"))


def _hostile_wheel(links: Path, metadata_name: str) -> None:
    links.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(links / "mindformers-2.3.0-py3-none-any.whl", "w") as archive:
        archive.writestr("mindformers/__init__.py", "")
        archive.writestr("mindformers-2.3.0.dist-info/METADATA",
                         f"Metadata-Version: 2.1\nName: {metadata_name}\nVersion: 2.3.0\n")
        archive.writestr("mindformers-2.3.0.dist-info/WHEEL",
                         "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr("mindformers-2.3.0.dist-info/RECORD", "")


def test_learn_of_a_wheel_whose_metadata_names_a_path_writes_nothing_outside(tmp_path):
    escape = tmp_path / "outside" / "evil"
    escape.parent.mkdir()
    links = tmp_path / "links"
    _hostile_wheel(links, str(escape))
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
           "MINDPILOT_DATA_DIR": str(tmp_path / "data")}
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", env=env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert list(escape.parent.iterdir()) == []
    # pip 24+ refuses this wheel itself (older pip let it through): read it as learn does after a download
    from mindpilot.validators.learn import read_wheel

    release = read_wheel(links / "mindformers-2.3.0-py3-none-any.whl")
    with pytest.raises(ValueError):
        save_learned(release, tmp_path / "data" / "knowledge")
    assert list(escape.parent.iterdir()) == []


def _fresh_learned(overlay: Path) -> list[str]:
    from mindpilot.validators import knowledge

    knowledge._load_learned.cache_clear()  # kept by the folder's mtime, which a chmod does not change
    return [release.version for release in load_learned(overlay)]


def test_overlays_someone_else_could_have_written_are_not_read(tmp_path):
    overlay = tmp_path / "data" / "knowledge"
    path = save_learned(_release(), overlay)
    assert path.stat().st_mode & 0o777 == 0o600 and overlay.stat().st_mode & 0o777 == 0o700
    assert _fresh_learned(overlay) == ["2.3.0"]
    path.chmod(0o666)  # anyone may rewrite it now
    assert _fresh_learned(overlay) == [] and read_private(path) is None
    path.chmod(0o600)
    overlay.chmod(0o777)  # anyone may swap files in the folder
    assert _fresh_learned(overlay) == [] and read_private(path) is None
    overlay.chmod(0o700)
    link = overlay / "mindformers-9.9.9.json"
    link.symlink_to(path)  # a link is never followed when reading back
    assert _fresh_learned(overlay) == ["2.3.0"] and read_private(link) is None


def test_a_data_dir_under_a_folder_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # world-writable, not sticky: another user could rename our folder away
    with pytest.raises(UnsafeLocationError):
        private_dir(shared / "mindpilot" / "knowledge")
    with pytest.raises(UnsafeLocationError):
        write_private(shared / "x.json", "{}")
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)  # like /tmp: fine
    assert private_dir(sticky / "mine").stat().st_mode & 0o777 == 0o700
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    private_dir(old)  # an existing folder of ours is narrowed
    assert old.stat().st_mode & 0o777 == 0o700
    env = {"MINDPILOT_DATA_DIR": str(shared / "data")}
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", env=env)
    assert done.returncode == 2 and "others may write it" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_writes_never_follow_a_link_planted_in_the_overlay(tmp_path):
    overlay = private_dir(tmp_path / "knowledge")
    victim = tmp_path / "victim"
    victim.write_text("keep\n", encoding="utf-8")
    (overlay / "mindformers-2.3.0.json").symlink_to(victim)
    with pytest.raises(OSError):
        save_learned(_release(), overlay)
    assert victim.read_text(encoding="utf-8") == "keep\n"


def test_a_link_of_another_user_on_the_way_to_the_data_dir_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a link to another user")
    mine = private_dir(tmp_path / "mine")
    save_learned(_release(), mine / "knowledge")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o1777)
    shared.chmod(0o1777)  # like /tmp
    link = shared / "data"
    link.symlink_to(mine)  # today it leads to our folder; its owner can point it anywhere after our check
    os.lchown(link, 1234, 1234)
    with pytest.raises(UnsafeLocationError, match="link of user id 1234"):
        private_dir(link / "knowledge")
    with pytest.raises(UnsafeLocationError):
        write_private(link / "knowledge" / "x.json", "{}")
    assert read_private(link / "knowledge" / "mindformers-2.3.0.json") is None
    assert _fresh_learned(link / "knowledge") == []
    os.lchown(link, 0, 0)  # our own link in a sticky folder: no one else can change it
    assert _fresh_learned(link / "knowledge") == ["2.3.0"]


def test_a_file_past_the_size_bound_is_not_read(tmp_path):
    path = write_private(private_dir(tmp_path / "data") / "big.json", "x" * 11)
    assert read_private(path, max_bytes=11) == b"x" * 11
    assert read_private(path, max_bytes=10) is None
