"""More wrappings a pasted log comes in: torch elastic's ``[default0]:``, kubectl's time stamps, glog (Ray,
gRPC), Python logging's default ``LEVEL:logger:`` format. The message is read without them, their error
levels count as error lines, their lower levels as quiet ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.keyline import key_text, quiet_level


# The engine alone: no rule of the shipped knowledge base (rules added later must not change these).
pytestmark = pytest.mark.usefixtures("no_rules")


@pytest.mark.parametrize("line, key, quiet", [
    ("[default3]:[rank3]: KeyError: 'input_ids'", "KeyError: 'input_ids'", False),
    ("2025-06-01T10:00:00.123456789Z ValueError: bad shape", "ValueError: bad shape", False),
    ("2025-06-01T10:00:00+08:00 ValueError: bad shape", "ValueError: bad shape", False),
    ("E1212 10:00:00.123456 77 core_worker.cc:120] Unhandled error: the actor died", "Unhandled error: the actor died",
     False),
    ("ERROR:root:the dataset folder is empty", "the dataset folder is empty", False),
    ("WARNING:vllm.engine:the cache is small", "the cache is small", True),
    ("I1212 10:00:00.123456 77 a.cc:1] connected", "connected", True),
    ("2025-06-01 10:00:00,123 - x - INFO - ok", "2025-06-01 10:00:00,123 - x - INFO - ok", True),
])
def test_the_message_and_its_level_are_read_through_the_wrapping(line, key, quiet):
    assert key_text(line) == key
    assert quiet_level(line) is quiet


STEP = "2025-08-20 10:00:00,000 - mindformers[callback.py:350] - INFO - { step:[1/10], loss: 2.3 }\n"


@pytest.mark.parametrize("text, line", [
    (STEP + "E1212 10:00:00.123456 77 core_worker.cc:120] The actor died unexpectedly before finishing this task\n", 2),
    (STEP + "ERROR:root:the tokenizer folder has no tokenizer.json\n", 2),
    (STEP + "[default0]:Traceback (most recent call last):\n[default0]:  File \"t.py\", line 1, in <module>\n"
     "[default0]:ZeroDivisionError: division by zero\n", 4),
])
def test_an_error_in_these_formats_is_the_unsure_key_line(tmp_path: Path, text, line):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    root = analyse([str(log)], "en").root_cause
    assert root is not None and root.rule == "diagnose.unknown_error" and root.line == line, root


def test_their_quiet_levels_stay_quiet(tmp_path: Path):
    log = tmp_path / "ok.log"
    log.write_text(STEP + "WARNING:root:could not connect, retrying\nI1212 10:00:00.123456 7 a.cc:1] failed once, "
                   "retrying\n", encoding="utf-8")
    report = analyse([str(log)], "en")
    assert report.root_cause is None and not report.findings
