"""MindSpore TroubleShooter's 93 knowledge entries: each that applies to a log is one of our rules.

``docs/troubleshooter-coverage.md`` is the list; this test holds it to the knowledge base and fixtures:
a row that names a rule must find that rule in its fixture log (made from the entry's own key text),
and a row without one must say why it is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mindpilot.validators.kb import diagnose_paths, load_kb

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "troubleshooter-coverage.md"
FIXTURES = REPO / "tests" / "data" / "logs" / "kb"
ROW = re.compile(r"^\| (\d+) \| (\S+) \| (\S+) \| .* \| (`kb\.[a-z]+\.[a-z0-9_]+`|left out: .+) \|$")


def _rows() -> list:
    rows = [ROW.match(line) for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    return [(int(m.group(1)), m.group(3), m.group(4)) for m in rows if m]


def test_every_entry_has_a_row():
    rows = _rows()
    assert [number for number, _, _ in rows] == list(range(1, 94))


@pytest.mark.parametrize("number, entry, answer", [r for r in _rows() if r[2].startswith("`")],
                         ids=lambda value: str(value))
def test_mapped_entry_is_found_in_its_fixture(number, entry, answer):
    rule = answer.strip("`")
    assert rule in load_kb().rules
    fixture = FIXTURES / f"{rule}.troubleshooter_{number:02d}.log"
    assert fixture.is_file(), f"add {fixture.name}"
    found = {finding.rule for finding in diagnose_paths([str(fixture)], "en").findings}
    assert rule in found


def test_new_rules_name_the_entry_they_come_from():
    kb = load_kb()
    for number, entry, answer in _rows():
        rule = answer.strip("`")
        if answer.startswith("`") and "TroubleShooter" in kb.rules[rule].source:
            assert re.search(rf"\b{entry}\b", kb.rules[rule].source), (rule, entry)


def test_left_out_rows_say_why():
    left = [answer for _, _, answer in _rows() if answer.startswith("left out")]
    assert left
    assert all(len(answer) > len("left out: ") + 20 for answer in left)
