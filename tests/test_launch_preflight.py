"""Preflight: port, leftover workers, card counts, paths, tokenizer; errors block `launch` unless --force."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from mindpilot.launch.preflight import blocking, pick_free_port, port_in_use, preflight, tokenizer_findings
from mindpilot.presets.preset import Preset
from support import run_cli


def rules(findings):
    return [f.rule for f in findings]


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("print('hi')\n")
    return path


def base(script, **changes):
    values = dict(script=str(script), cards=2, device="cpu", min_free_gb=0.0, log_dir=str(script.parent / "log"))
    values.update(changes)
    return Preset(**values)


def test_clean_preset_has_no_errors(script):
    findings = preflight(base(script, master_port=pick_free_port()), msrun=sys.executable)
    assert blocking(findings) == [], findings


def test_port_in_use_is_an_error_with_a_free_port_in_the_fix(script):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        assert port_in_use(port)[0]
        findings = preflight(base(script, master_port=port), msrun=sys.executable)
    found = [f for f in findings if f.rule == "preflight.port_in_use"]
    assert found and found[0].severity.value == "error" and str(port) in found[0].title
    assert "--master-port" in found[0].fix
    assert not port_in_use(pick_free_port())[0]


def test_leftover_worker_process_is_reported_with_its_pid(script):
    env = dict(os.environ, MS_ROLE="MS_WORKER")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    try:
        time.sleep(0.2)
        findings = preflight(base(script), msrun=sys.executable)
        leftover = [f for f in findings if f.rule == "preflight.leftover_processes"]
        assert leftover and str(sleeper.pid) in leftover[0].detail
    finally:
        sleeper.kill()
        sleeper.wait()


def test_worker_counts(script):
    assert "preflight.local_exceeds_total" in rules(preflight(base(script, cards=2, local_cards=4),
                                                              msrun=sys.executable))
    mismatch = preflight(base(script, cards=8, parallel={"data_parallel": 2, "model_parallel": 2}),
                         msrun=sys.executable)
    assert "preflight.parallel_mismatch" in rules(mismatch)
    npu = base(script, cards=8, device="npu")
    assert "preflight.too_many_workers" in rules(preflight(npu, {"npu_count": 2}, msrun=sys.executable))
    assert "preflight.too_many_workers" not in rules(preflight(npu, {"npu_count": 8}, msrun=sys.executable))
    assert "preflight.no_npus" in rules(preflight(npu, {"npu_count": 0}, msrun=sys.executable))
    assert "preflight.npu_count_unknown" in rules(preflight(npu, None, msrun=sys.executable))
    busy = preflight(npu, {"npu_count": 8, "npu_processes": [{"npu": 3, "pid": 4242, "name": "python",
                                                             "memory_mb": 61000}]}, msrun=sys.executable)
    found = [f for f in busy if f.rule == "preflight.npu_busy"]
    assert found and "4242" in found[0].title and "NPU 3" in found[0].title and "kill 4242" in found[0].fix


def test_yaml_parallel_product_against_worker_num(script, tmp_path):
    config = tmp_path / "finetune.yaml"
    config.write_text("use_parallel: True\nparallel:\n  parallel_mode: 1\nparallel_config:\n  data_parallel: 2\n"
                      "  model_parallel: 4\n  pipeline_stage: 1\n")
    findings = preflight(base(script, cards=4, config=str(config)), msrun=sys.executable)
    assert any(f.severity.value == "error" for f in findings), findings


def test_path_kinds_like_the_seeds_is_a_directory_error(script, tmp_path):
    (tmp_path / "ckpt_dir").mkdir()
    (tmp_path / "a_file").write_text("x")
    findings = preflight(base(script, output_files=[str(tmp_path / "ckpt_dir")], output_dirs=[str(tmp_path / "a_file")],
                              input_files=[str(tmp_path / "missing.mindrecord")], config=str(tmp_path / "ckpt_dir")),
                         msrun=sys.executable)
    found = rules(findings)
    assert found.count("preflight.path_is_directory") == 2  # the output checkpoint and the config
    assert "preflight.path_is_file" in found and "preflight.path_missing" in found
    is_dir = [f for f in findings if f.rule == "preflight.path_is_directory"][0]
    assert "IsADirectoryError" in is_dir.detail


def test_log_dir_that_is_a_file_and_low_disk(script, tmp_path):
    (tmp_path / "logfile").write_text("x")
    assert "preflight.path_is_file" in rules(preflight(base(script, log_dir=str(tmp_path / "logfile")),
                                                       msrun=sys.executable))
    huge = base(script, min_free_gb=1e9)
    assert "preflight.disk_low" in rules(preflight(huge, msrun=sys.executable))


def test_tokenizer_dirs(tmp_path):
    qwen = tmp_path / "qwen"
    qwen.mkdir()
    (qwen / "vocab.json").write_text("{}")
    assert rules(tokenizer_findings(qwen, "qwen2.5-7b", tmp_path, "en")) == ["preflight.tokenizer_incomplete"]
    (qwen / "merges.txt").write_text("")
    assert tokenizer_findings(qwen, "qwen2.5-7b", tmp_path, "en") == []
    llama = tmp_path / "llama"
    llama.mkdir()
    zh = tokenizer_findings(llama, "llama3-8b", tmp_path, "zh")
    assert "tokenizer.model" in zh[0].title and "分词器" in zh[0].title
    (llama / "tokenizer.model").write_text("")
    assert tokenizer_findings(llama, "llama3-8b", tmp_path, "en") == []


def test_join_false_is_a_warning(script):
    assert "preflight.join_false" in rules(preflight(base(script, join=False), msrun=sys.executable))


def test_msrun_missing(script, monkeypatch):
    monkeypatch.setattr("mindpilot.launch.preflight.find_msrun", lambda: None)
    assert "preflight.msrun_missing" in rules(preflight(base(script)))


def test_cli_blocks_on_errors_unless_forced(tmp_path, script):
    state = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    blocked = run_cli("launch", "--json", "--log-dir", str(tmp_path / "log"), "--local-cards", "4", "--cards", "2",
                      "--", str(script), env=state, cwd=str(tmp_path))
    assert blocked.returncode == 4, blocked.stderr
    events = [json.loads(line) for line in blocked.stdout.splitlines()]
    assert events[0]["type"] == "command" and "--local_worker_num=4" in events[0]["argv"]
    assert any(e["type"] == "preflight" and e["finding"]["rule"] == "preflight.local_exceeds_total" for e in events)
    assert events[-1] == {"type": "exit", "code": None, "status": "blocked", "first_failure": None}
    dry = run_cli("launch", "--dry-run", "--demo", "--write-run-sh", str(tmp_path / "run.sh"), env=state,
                  cwd=str(tmp_path))
    from mindpilot.launch.preflight import find_msrun

    if find_msrun() is None:  # an interpreter without the mindspore extra: the dry run says why it would not start
        assert dry.returncode == 1 and "mindspore" in dry.stdout, dry.stdout
    else:
        assert dry.returncode == 0, dry.stderr
    assert "msrun" in dry.stdout and (tmp_path / "run.sh").is_file()
    assert not (tmp_path / "state" / "jobs").exists() or not list((tmp_path / "state" / "jobs").iterdir())


def test_cli_usage_errors_are_one_line(tmp_path):
    nothing = run_cli("launch", env={"MINDPILOT_STATE_DIR": str(tmp_path)})
    assert nothing.returncode == 2 and "--demo" in nothing.stderr and "Traceback" not in nothing.stderr
    bad_port = run_cli("launch", "--demo", "--master-port", "80", "--dry-run", env={"MINDPILOT_STATE_DIR": str(tmp_path)})
    assert bad_port.returncode == 2 and "master_port" in bad_port.stderr


def test_a_device_or_fifo_as_the_config_blocks_the_launch(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    for config in ("/dev/zero", str(fifo)):
        done = run_cli("launch", "--demo", "--config", config, "--log-dir", str(tmp_path / "logs"),
                       env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")}, timeout=60)
        assert done.returncode == 4, done.stderr
        assert "preflight.config_not_regular" in done.stdout + done.stderr
        assert not (tmp_path / "state" / "jobs").exists() or not list((tmp_path / "state" / "jobs").iterdir())
