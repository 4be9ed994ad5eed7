"""QA: binary or GBK files are one clear line and exit 2 in every command, and are never written."""

from __future__ import annotations

import pytest

from mindpilot.exit_codes import ExitCode
from support import run_cli

GBK_YAML = "# 两卡微调配置\nparallel_config:\n  data_parallel: 2\n".encode("gbk")
JUNK = bytes(range(128, 256)) * 4


def one_line_usage_error(done, name: str) -> str:
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], done.stderr
    return lines[0]


def test_a_binary_config_json_in_a_model_directory(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_bytes(JUNK)
    line = one_line_usage_error(run_cli("plan", "--model", str(tmp_path / "model"), "--cards", "2"), "config.json")
    assert "not UTF-8" in line


@pytest.mark.parametrize("content", [GBK_YAML, JUNK], ids=["gbk", "binary"])
@pytest.mark.parametrize("command", [
    ("check", "{f}", "--cards", "2"),
    ("check", "{f}", "--cards", "2", "--fix"),
    ("plan", "--model", "qwen2.5-7b", "--cards", "2", "--apply", "{f}"),
    ("plan", "--model", "{f}", "--cards", "2"),
    ("launch", "{f}", "--dry-run"),
])
def test_a_file_that_is_not_utf8_is_named_and_left_alone(tmp_path, content, command):
    target = tmp_path / "finetune.yaml"
    target.write_bytes(content)
    args = [part.format(f=target) for part in command]
    line = one_line_usage_error(run_cli(*args, env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")}), str(target))
    assert "not UTF-8" in line and "codec" not in line
    assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == ["finetune.yaml"]


@pytest.mark.parametrize("args,named", [
    (("launch", "--demo", "--dry-run", "--write-run-sh", "{tmp}/adir"), "{tmp}/adir: is a directory"),
    (("launch", "--demo", "--dry-run", "--write-run-sh", "{tmp}/missing/run.sh"), "{tmp}/missing: no such directory"),
    (("preset", "run-sh", "demo", "-o", "{tmp}/adir"), "{tmp}/adir: is a directory"),
])
def test_an_output_path_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path, args, named):
    (tmp_path / "adir").mkdir()
    done = run_cli(*[a.format(tmp=tmp_path) for a in args], env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")},
                   cwd=str(tmp_path))
    assert done.returncode == ExitCode.USAGE
    assert "Traceback" not in done.stderr
    assert named.format(tmp=tmp_path) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert list((tmp_path / "adir").iterdir()) == []
