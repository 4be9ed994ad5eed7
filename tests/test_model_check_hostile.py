"""``model check`` on hostile and unusual model folders (docs/security.md, "Model folders"; issue 21).

Shards are real safetensors files written by the safetensors library, which also decides what a good shard
is: a shard it refuses must fail the check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from mindpilot.acquire.model_check import check_model_dir

SHARD = "model-00001-of-00001.safetensors"


def _model(folder: Path, index: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "qwen2"}')
    (folder / "tokenizer.json").write_text("{}")
    save_file({"w": np.arange(16, dtype=np.float32).reshape(4, 4)}, str(folder / SHARD))
    if index:
        (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": SHARD}}))
    return folder


def _check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mindpilot", "model", "check", str(folder)], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))


def test_a_complete_model_passes(tmp_path):
    assert check_model_dir(str(_model(tmp_path / "m"))) == []


@pytest.mark.parametrize("index", [True, False])
def test_a_shard_with_extra_bytes_fails_as_safetensors_refuses_it(tmp_path, index):
    folder = _model(tmp_path / "m", index)
    with open(folder / SHARD, "ab") as shard:
        shard.write(b"\0" * 1000)
    with pytest.raises(Exception, match="not fully covered"):
        load_file(str(folder / SHARD))
    findings = check_model_dir(str(folder))
    assert [f.rule for f in findings] == ["acquire.model_long_shard"], findings
    assert findings[0].severity.value == "error"


@pytest.mark.parametrize("index", [True, False])
def test_a_fifo_named_like_a_shard_is_named_not_opened(tmp_path, index):
    folder = _model(tmp_path / "m", index)
    (folder / SHARD).unlink()
    os.mkfifo(folder / SHARD)
    done = _check(folder)  # the timeout fails the test if the check blocks on the FIFO
    assert done.returncode == 1, done.stderr
    assert "not a regular file" in done.stdout and "Traceback" not in done.stderr


def test_a_fifo_as_the_index_is_refused_not_read(tmp_path):
    folder = _model(tmp_path / "m")
    (folder / "model.safetensors.index.json").unlink()
    os.mkfifo(folder / "model.safetensors.index.json")
    done = _check(folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_a_deeply_nested_index_or_header_is_a_finding_not_a_recursion_error(tmp_path):
    folder = _model(tmp_path / "m")
    (folder / "model.safetensors.index.json").write_text("[" * 100_000 + "]" * 100_000)
    done = _check(folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert "model.safetensors.index.json" in done.stdout
    deep = _model(tmp_path / "d", index=False)
    header = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    (deep / SHARD).write_bytes(len(header).to_bytes(8, "little") + header)
    done = _check(deep)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert SHARD in done.stdout


def _hf_cache(root: Path) -> Path:
    """``models--Qwen--Tiny``: files in ``blobs/``, the snapshot holds links ``../../blobs/HASH``."""
    repo = root / "models--Qwen--Tiny"
    source = _model(tmp := root / "src")
    (repo / "blobs").mkdir(parents=True)
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for number, path in enumerate(sorted(tmp.iterdir())):
        blob = repo / "blobs" / f"hash{number}"
        blob.write_bytes(path.read_bytes())
        (snapshot / path.name).symlink_to(Path("..") / ".." / "blobs" / blob.name)
    assert source.is_dir()
    return snapshot


def test_the_hugging_face_cache_layout_is_accepted(tmp_path):
    snapshot = _hf_cache(tmp_path / "hub")
    assert check_model_dir(str(snapshot)) == []
    done = _check(snapshot)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_shard_linking_outside_the_cache_is_an_error(tmp_path):
    snapshot = _hf_cache(tmp_path / "hub")
    outside = tmp_path / "elsewhere.safetensors"
    outside.write_bytes((snapshot / SHARD).read_bytes())
    (snapshot / SHARD).unlink()
    (snapshot / SHARD).symlink_to(outside)
    findings = check_model_dir(str(snapshot))
    assert [f.rule for f in findings] == ["acquire.model_shard_outside"], findings
    plain = _model(tmp_path / "plain")
    (plain / SHARD).unlink()
    (plain / SHARD).symlink_to(outside)  # not a cache: a link out of the model folder
    assert [f.rule for f in check_model_dir(str(plain))] == ["acquire.model_shard_outside"]
