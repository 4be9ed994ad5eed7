"""One router for every input: ``diagnose`` and ``check`` classify a file, a directory, a job id or a paste
the same way and report the same findings; the JSON consequences are the live view's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_cli

from mindpilot.launch import router
from mindpilot.launch.events import FindingEvent
from mindpilot.launch.jobs import JobRecord, save_job
from mindpilot.launch.tail import LogFollower
from mindpilot.validators import check as config_check

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"
DEMO_FAIL = LOGS / "demo_failed_job"
"""""Logs of ``mindpilot launch --demo --demo-fail-rank 1`` (real msrun on CPU, MindSpore 2.7.1)."""
TRACEBACK = 'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\nValueError: bad thing\n'
SCRIPT = """#!/bin/bash
export MASTER_ADDR=locahost
NPUS_PER_NODE=8
NNODES=1
WORLD_SIZE=$(($GPUS_PER_NODE*$NNODES))
msrun --worker_num=$WORLD_SIZE --local_worker_num=$NPUS_PER_NODE --master_addr=$MASTER_ADDR \\
  run_mindformer.py --config finetune.yaml
"""


def _json(*args: str, stdin: str = "", env: dict | None = None) -> tuple[int, dict]:
    import os

    done = subprocess.run([sys.executable, "-m", "mindpilot", *args, "--json", "--lang", "en"], input=stdin,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def _keys(document: dict) -> list[tuple]:
    return [(f["rule"], f["severity"], f["file"], f["line"], f["title"]) for f in document["findings"]]


def test_classify_names_each_kind_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # so that "../../etc" below names nothing, wherever the checkout is
    (tmp_path / "train.yaml").write_text("model: {}\n", encoding="utf-8")
    (tmp_path / "run").write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    (tmp_path / "notes.dat").write_text("msrun --worker_num=8 train.py\n", encoding="utf-8")
    (tmp_path / "w.log").write_text("hello\n", encoding="utf-8")
    assert router.classify(str(tmp_path)).kind == router.LOG_DIR
    assert router.classify(str(tmp_path / "train.yaml")).kind == router.CONFIG
    assert router.classify(str(tmp_path / "run")).kind == router.SCRIPT
    assert router.classify(str(tmp_path / "notes.dat")).kind == router.SCRIPT
    assert router.classify(str(tmp_path / "w.log")).kind == router.LOG
    assert router.classify("-").kind == router.PASTE
    with pytest.raises(router.InputError, match="no-such-thing"):
        router.classify(str(tmp_path / "no-such-thing"))
    with pytest.raises(router.InputError):
        router.classify("../../etc")  # never looked up in the job store: not a job id


def test_a_launch_script_gets_the_same_findings_from_both_commands(tmp_path):
    script = tmp_path / "tune_qwen25_7b.sh"
    script.write_text(SCRIPT, encoding="utf-8")
    code_check, checked = _json("check", str(script))
    code_diag, diagnosed = _json("diagnose", str(script))
    rules = {f["rule"] for f in checked["findings"]}
    assert {"launch.master_addr_typo", "launch.undefined_variable"} <= rules
    assert _keys(checked) == _keys(diagnosed) and code_check == code_diag == 1


@pytest.mark.parametrize("target", [LOGS / "scenarios" / "rank3_oom", DEMO_FAIL,
                                    DATA / "check" / "tune_qwen25_7b_4k_full_ptd.sh"])
def test_logs_dirs_and_files_get_the_same_findings_from_both_commands(target):
    code_check, checked = _json("check", str(target), "--skip-paths")
    code_diag, diagnosed = _json("diagnose", str(target))
    assert checked["findings"] and _keys(checked) == _keys(diagnosed)
    assert checked["root_cause"] == diagnosed["root_cause"]
    assert checked["consequences"] == diagnosed["consequences"] and code_check == code_diag


def test_a_pasted_traceback_gets_the_root_cause_a_file_gets(tmp_path):
    saved = tmp_path / "paste.txt"
    saved.write_text(TRACEBACK, encoding="utf-8")
    _, from_file = _json("diagnose", str(saved))
    for command in ("diagnose", "check"):
        code, pasted = _json(command, "-", stdin=TRACEBACK)
        assert code == 1
        assert pasted["root_cause"]["title"] == from_file["root_cause"]["title"] == "ValueError: bad thing"
    text = subprocess.run(
        [sys.executable, "-m", "mindpilot", "diagnose", "-", "--lang", "en"], input=TRACEBACK,
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    # No rule knows this error: it is named as the likeliest line, said as unsure, and quoted once.
    assert text.returncode == 1
    assert text.stdout.startswith("▶ likely root cause (the log; unsure, no known error matches): ValueError: bad thing")
    assert text.stdout.count("ValueError: bad thing") == 1


@pytest.mark.parametrize("log_dir", [DEMO_FAIL, LOGS / "scenarios" / "rank3_oom", LOGS / "qa_unknown_failure"])
def test_json_consequences_are_what_the_live_view_marks_as_consequences(log_dir):
    live = [event for event in LogFollower(log_dir, hang_after=None, lines=False).drain()
            if isinstance(event, FindingEvent) and event.consequence]
    _, diagnosed = _json("diagnose", str(log_dir))
    assert sorted({event.finding.rule for event in live}) == sorted(g["rule"] for g in diagnosed["consequences"])
    for group in diagnosed["consequences"]:
        ranks = sorted({e.rank for e in live if e.finding.rule == group["rule"] and e.rank is not None})
        assert group["ranks"] == ranks, group


def test_the_root_cause_is_said_once_and_its_fix_is_not_the_command_just_run():
    done = run_cli("diagnose", str(DEMO_FAIL), "--lang", "en")
    assert done.returncode == 1
    assert " ".join(done.stdout.split()).count("failed on purpose at step 5") == 1
    assert "mindpilot diagnose" not in done.stdout
    document = json.loads(run_cli("diagnose", str(DEMO_FAIL), "--json").stdout)
    assert document["root_cause"]["rank"] == 1 and document["root_cause"]["title"].startswith("RuntimeError")


def test_a_job_id_is_its_log_directory(tmp_path):
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    import os

    previous = os.environ.get("MINDPILOT_STATE_DIR")
    os.environ.update(env)
    try:
        save_job(JobRecord(id="demo-fail-20261129-185740-a91f", argv=["msrun"], cwd=str(tmp_path),
                           log_dir=str(DEMO_FAIL), status="failed"))
        assert router.classify("demo-fail-20261129-185740-a91f").path == str(DEMO_FAIL)
    finally:
        if previous is None:
            os.environ.pop("MINDPILOT_STATE_DIR")
        else:
            os.environ["MINDPILOT_STATE_DIR"] = previous
    code, by_job = _json("diagnose", "demo-fail-20261129", env=env)  # a unique prefix is enough
    _, by_dir = _json("diagnose", str(DEMO_FAIL))
    assert code == 1 and by_job["root_cause"] == by_dir["root_cause"]
    assert by_job["inputs"] == [{"file": "demo-fail-20261129", "kind": "job", "log_dir": str(DEMO_FAIL)}]
    missing = run_cli("diagnose", "nosuchjob", env=env)
    assert missing.returncode == 2 and "no such file, directory, preset or job: nosuchjob" in missing.stderr


def test_a_config_kind_is_one_registration_and_both_commands_see_it(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text("my_framework_section:\n  tp: 3\n", encoding="utf-8")
    kind = config_check.FileKind("my_framework", "My framework YAML", "My framework YAML",
                                 lambda name, text, data: isinstance(data, dict) and "my_framework_section" in data)
    config_check.register_kind(kind, before="mindformers")
    try:
        report = router.analyse([str(path)])
        assert report.inputs == [{"file": str(path), "kind": "my_framework"}]
        assert router.input_label("my_framework") == "My framework YAML"
    finally:
        config_check.FILE_KINDS.remove(kind)
    assert router.analyse([str(path)]).inputs[0]["kind"] == "unknown"
    assert router.input_label("log_dir", "zh") == "msrun 日志目录"


def test_a_built_in_preset_name_is_checked_as_a_preset():
    from mindpilot.presets.preset import builtin_presets

    name = sorted(builtin_presets())[0]
    route = router.classify(name)
    assert route.kind == router.PRESET
    assert router.analyse([name]).inputs[0]["kind"] == "preset"
