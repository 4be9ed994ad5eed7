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
    (("preset", "show"), "preset name"),
    (("preset",), "action"),
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
