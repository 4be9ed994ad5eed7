"""A message that calls itself an error after its subject (`CANN error: EZ9903: ...`, `Error: ...`) is the likely
root cause when no rule knows it, and a CANN code inside such a line counts; look-alike field values stay quiet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ERROR_LINES = {  # the line, and the words of it the answer must quote
    "CANN error: EZ9903: [PID: 71888] 2025-12-17-18:13:01.238.630 the frobnicator of stage 4 gave up":
        "the frobnicator of stage 4 gave up",
    "Error: the weights of layer 3 are missing": "the weights of layer 3 are missing",
}
LOOK_ALIKES = ["ignore_error: False", "max_error: 0.1", "module_name=EE8888 ok", "error_code: 0"]


def diagnose(tmp_path, text: str) -> subprocess.CompletedProcess:
    log = tmp_path / "job.log"
    log.write_text("step 1, loss 2.31\n" + text + "\nstep 2, loss 2.30\n")
    return subprocess.run([sys.executable, "-m", "mindpilot", "diagnose", str(log), "--lang", "en"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})


@pytest.mark.parametrize("line", ERROR_LINES)
def test_a_line_that_calls_itself_an_error_is_the_likely_root_cause(tmp_path, line):
    done = diagnose(tmp_path, line)
    first = done.stdout.splitlines()[0] if done.stdout else done.stderr
    assert "root cause" in first and ERROR_LINES[line] in first, done.stdout + done.stderr
    assert "job.log:2" in done.stdout  # the key line is named


@pytest.mark.parametrize("line", LOOK_ALIKES)
def test_look_alike_fields_are_not_errors(tmp_path, line):
    done = diagnose(tmp_path, line)
    assert "root cause" not in done.stdout and "no known error found" in (done.stdout + done.stderr)
