"""QA: a bad flag or argument is one clear line on stderr and exit 2, for every subcommand."""

from __future__ import annotations

import pytest

from mindpilot.exit_codes import ExitCode
from tests.support import run_cli

BAD = [
    (("plan", "--model", "qwen2.5-7b", "--cards", "2", "--hbm", "abc"), "--hbm"),
    (("plan", "--cards", "2"), "--model"),
    (("jobs", "--frob"), "--frob"),
    (("check",), "FILE"),
    (("doctor", "--lang", "fr"), "fr"),
    (("frob",), "frob"),
    (("preset", "show"), "PRESET"),
    (("preset",), "ACTION"),
    (("launch", "--demo", "--cards", "two"), "--cards"),
]


@pytest.mark.parametrize("args,named", BAD)
def test_bad_usage_is_one_line_naming_the_flag(args, named):
    done = run_cli(*args)
    assert done.returncode == ExitCode.USAGE
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0]


NOT_POSITIVE = [
    (("plan", "--model", "qwen2.5-7b", "--cards", "0"), "--cards"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "-1"), "--cards"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "2", "--hbm", "-5"), "--hbm"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "2", "--hbm", "inf"), "--hbm"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "2", "--seq-len", "0"), "--seq-len"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "2", "--global-batch", "0"), "--global-batch"),
    (("check", "no_need_to_exist.yaml", "--cards", "2", "--hbm", "nan"), "--hbm"),
    (("check", "no_need_to_exist.yaml", "--cards", "2", "--hbm", "inf"), "--hbm"),
    (("doctor", "--timeout", "nan"), "--timeout"),
]


@pytest.mark.parametrize("args,flag", NOT_POSITIVE)
def test_a_number_that_is_not_positive_is_a_usage_error_naming_the_flag(args, flag):
    done = run_cli(*args)
    assert done.returncode == ExitCode.USAGE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "positive" in lines[0]


def test_launch_bad_values_read_as_plain_sentences_with_file_line_and_key(tmp_path):
    preset = tmp_path / "job.yaml"
    preset.write_text("name: x\nscript: train.py\ncards: 0\n")
    cases = [(("launch", str(preset), "--dry-run"), f"{preset}:3: cards: must be at least 1"),
             (("launch", "--demo", "--cards", "0", "--dry-run"), "cards: must be at least 1"),
             (("launch", str(tmp_path), "--dry-run"), f"{tmp_path}: a directory, not a preset file")]
    for args, expected in cases:
        done = run_cli(*args, env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")})
        assert done.returncode == ExitCode.USAGE
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], done.stderr
        assert "Value error" not in done.stderr


def test_lang_before_the_subcommand_counts_and_after_it_wins(tmp_path):
    env = {"LANG": "C.UTF-8", "LC_ALL": "", "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    assert "还没有任务" in run_cli("--lang", "zh", "jobs", env=env).stdout
    assert "no jobs yet" in run_cli("--lang", "zh", "jobs", "--lang", "en", env=env).stdout
    assert "no jobs yet" in run_cli("jobs", env=env).stdout
