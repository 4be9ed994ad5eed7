"""``mindpilot model download`` / ``model check``: the real modelscope client against a loopback hub."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from hub_server import FakeHub, tiny_model
from mindpilot.acquire.cache import cached_models, find_cached
from mindpilot.acquire.download import (DownloadDone, DownloadFailed, DownloadTotals, download_model, event_dict,
                                        failure_findings)
from mindpilot.acquire.model_check import check_model_dir


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with FakeHub(tiny_model()) as server:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", server.endpoint)
        monkeypatch.setenv("MODELSCOPE_DOMAIN", server.endpoint)
        monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "cache"))
        yield server


def test_download_reports_progress_and_gives_a_complete_model(hub, tmp_path):
    target = tmp_path / "Qwen2.5-Tiny"
    events = list(download_model("Qwen/Qwen2.5-Tiny", local_dir=str(target)))
    assert isinstance(events[-1], DownloadDone), events[-1]
    totals = [e for e in events if isinstance(e, DownloadTotals)]
    assert totals and totals[-1].done == totals[-1].total == sum(len(b) for b in tiny_model().values())
    for name, body in tiny_model().items():
        assert (target / name).read_bytes() == body
    assert check_model_dir(str(target)) == []


def test_an_interrupted_download_resumes_with_a_range_request(hub, tmp_path):
    target = tmp_path / "model"
    shard = "model-00001-of-00002.safetensors"
    hub.cut_after, hub.refuse_resume = 50_000, True  # the connection drops after 50 kB and stays down
    first = list(download_model("Qwen/Tiny", local_dir=str(target)))
    assert isinstance(first[-1], DownloadFailed), first[-1]
    assert not (target / shard).exists()
    assert [f.rule for f in check_model_dir(str(target))] != []
    hub.cut_after, hub.refuse_resume = None, False
    hub.requests.clear()
    events = list(download_model("Qwen/Tiny", local_dir=str(target)))
    ranges = [r for path, r in hub.requests if shard in path and r]
    assert ranges and int(ranges[0].split("=")[1].split("-")[0]) == 50_000, hub.requests
    assert isinstance(events[-1], DownloadDone), events[-1]
    assert (target / shard).read_bytes() == tiny_model()[shard]
    assert check_model_dir(str(target)) == []


def test_a_missing_shard_is_an_error_naming_the_file(hub, tmp_path):
    target = tmp_path / "model"
    assert isinstance(list(download_model("Qwen/Tiny", local_dir=str(target)))[-1], DownloadDone)
    (target / "model-00002-of-00002.safetensors").unlink()
    findings = check_model_dir(str(target))
    assert [f.rule for f in findings] == ["acquire.model_missing_shard"]
    assert findings[0].file.endswith("model-00002-of-00002.safetensors")
    done = subprocess.run([sys.executable, "-m", "mindpilot", "model", "check", str(target), "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 1, done.stderr
    assert "model-00002-of-00002.safetensors" in done.stdout


def test_a_short_shard_is_caught_from_its_own_header(hub, tmp_path):
    target = tmp_path / "model"
    list(download_model("Qwen/Tiny", local_dir=str(target)))
    shard = target / "model-00001-of-00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:1000])
    assert [f.rule for f in check_model_dir(str(target))] == ["acquire.model_short_shard"]


def test_unknown_model_fails_in_one_line(hub, tmp_path):
    hub.files.clear()
    events = list(download_model("Qwen/None", local_dir=str(tmp_path / "x")))
    assert isinstance(events[-1], (DownloadFailed, DownloadDone))
    assert check_model_dir(str(tmp_path / "x")) != []


def test_bad_model_id_is_refused_before_any_request(hub):
    events = list(download_model("../etc/passwd"))
    assert isinstance(events[-1], DownloadFailed) and hub.requests == []
    done = subprocess.run([sys.executable, "-m", "mindpilot", "model", "download", "a/../../b"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and hub.requests == []


def test_models_in_the_cache_are_found_in_every_layout(hub, tmp_path):
    list(download_model("Qwen/Tiny"))  # into MODELSCOPE_CACHE
    legacy = tmp_path / "cache" / "hub" / "models" / "Qwen" / "Qwen2___5-7B"
    legacy.mkdir(parents=True)
    (legacy / "config.json").write_text("{}")
    ids = [m.model_id for m in cached_models()]
    assert "Qwen/Tiny" in ids and "Qwen/Qwen2.5-7B" in ids
    assert find_cached("qwen/qwen2.5-7b") == str(legacy)


def test_cli_download_prints_json_progress_lines_then_the_check(hub, tmp_path):
    target = tmp_path / "m"
    done = subprocess.run([sys.executable, "-m", "mindpilot", "model", "download", "Qwen/Tiny",
                           "--local-dir", str(target), "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"progress", "totals", "done", "check"} <= {line["type"] for line in lines}
    assert lines[-1] == {"type": "check", "path": str(target), "findings": []}


SHARD = "model-00001-of-00002.safetensors"


def test_a_hash_mismatch_names_the_file_both_hashes_and_the_fix(hub, tmp_path):
    hub.listed_sha256[SHARD] = "ab" * 32  # the listing and the bytes served disagree
    target = tmp_path / "m"
    done = subprocess.run([sys.executable, "-m", "mindpilot", "model", "download", "Qwen/Tiny",
                           "--local-dir", str(target), "--lang", "en"],
                          capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert done.returncode == 4, done.stderr
    real = hashlib.sha256(tiny_model()[SHARD]).hexdigest()
    assert SHARD in done.stderr and "abababababababab" in done.stderr and real[:16] in done.stderr
    assert "--revision" in done.stderr and "resume" not in done.stderr
    assert "modelscope_hub" not in done.stderr  # the client's own log lines would only repeat the finding
    assert not (target / SHARD).exists()
    hub.listed_sha256.clear()  # the listing is right again: the same command now completes
    events = list(download_model("Qwen/Tiny", local_dir=str(target)))
    assert isinstance(events[-1], DownloadDone) and check_model_dir(str(target)) == []


def test_a_hash_mismatch_in_json_carries_the_file_and_reason(hub, tmp_path):
    hub.listed_sha256[SHARD] = "cd" * 32
    events = list(download_model("Qwen/Tiny", local_dir=str(tmp_path / "m")))
    failed = events[-1]
    assert isinstance(failed, DownloadFailed) and not failed.resumable
    assert [(f.file, f.reason, f.expected) for f in failed.files] == [(SHARD, "hash", "cd" * 8)]
    assert event_dict(failed)["files"][0]["actual"] == hashlib.sha256(tiny_model()[SHARD]).hexdigest()[:16]
    assert [f.rule for f in failure_findings(failed)] == ["acquire.download_hash_mismatch"]
    # The detail says a rerun gets the same bytes, so the fix leads with the cause, not with "download again".
    for lang in ("en", "zh"):
        fix = failure_findings(failed, lang)[0].fix
        assert fix.index("--revision") < min(i for i in (fix.find("again"), fix.find("重跑")) if i >= 0)


def test_a_dropped_connection_stays_a_resumable_stop(hub, tmp_path):
    hub.cut_after, hub.refuse_resume = 50_000, True
    failed = list(download_model("Qwen/Tiny", local_dir=str(tmp_path / "m")))[-1]
    assert isinstance(failed, DownloadFailed) and failed.resumable
    assert {f.rule for f in failure_findings(failed)} == {"acquire.download_stopped"}
