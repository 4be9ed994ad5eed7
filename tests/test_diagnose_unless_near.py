"""A rule's pattern stands down when a more specific context is nearby (``unless_near``).

A generic "device error" pattern should stay quiet when the log names the reason a few lines away
(``set ASCEND_RT_VISIBLE_DEVICES ... error``), so that the rule that knows it, or the unsure key line,
comes first. The context is looked for in the line itself, before it and after it, in any chunking of the
file, and a line that stood down is never remembered as "matches nothing" for the lines of its shape.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mindpilot.datafiles import DataFileError
from mindpilot.validators.kb import diagnose_paths, load_kb_from
from mindpilot.validators.kb.scan import Scanner, scan_lines

RULES = """
rules:
  - id: kb.runtime.device_error
    stage: runtime
    patterns:
      - regex: "rtSetDevice execute failed, reason=\\\\[device id error\\\\]"
        unless_near: {regex: "set ASCEND_RT_VISIBLE_DEVICES", lines: 5}
    title: {zh: "设备号错误", en: "a device id is wrong"}
    cause: {zh: c, en: c}
    fix: {zh: f, en: f}
    source: test
"""
HIT = "[ERROR] RUNTIME(42,x):2025-11-18-09:33:13.673.884 rtSetDevice execute failed, reason=[device id error]"
CONTEXT = "[ERROR] RUNTIME(42,x):2025-11-18-09:33:13.666.323 GetVisibleDevices: set ASCEND_RT_VISIBLE_DEVICES:[4] error"


def _kb(tmp_path: Path, text: str = RULES):
    folder = tmp_path / "kb"
    folder.mkdir(parents=True)
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    return load_kb_from(folder)


def _rules_hit(kb, lines, chunk=1 << 20):
    data = ("\n".join(lines) + "\n").encode()
    return [(hit.line, hit.hit.rule) for hit in Scanner(kb.matcher(), chunk=chunk).scan(io.BytesIO(data))]


def test_a_pattern_matches_when_its_context_is_far_or_absent(tmp_path):
    kb = _kb(tmp_path)
    assert _rules_hit(kb, ["step 1", HIT]) == [(2, "kb.runtime.device_error")]
    assert _rules_hit(kb, [CONTEXT] + ["step"] * 6 + [HIT]) == [(8, "kb.runtime.device_error")]


@pytest.mark.parametrize("chunk", [1 << 20, 200, 128])
@pytest.mark.parametrize("where", ["before", "after", "same"])
def test_a_pattern_stands_down_when_its_context_is_near(tmp_path, chunk, where):
    kb = _kb(tmp_path)
    lines = {"before": [CONTEXT, "step", HIT], "after": [HIT, "step", "step", CONTEXT],
             "same": [HIT + " while " + CONTEXT]}[where]
    assert _rules_hit(kb, ["step 0"] + lines + ["done"], chunk=chunk) == []


def test_a_line_that_stood_down_does_not_silence_the_next_one_of_its_shape(tmp_path):
    kb = _kb(tmp_path)
    lines = [CONTEXT, HIT] + ["step"] * 10 + [HIT.replace("673", "999")]
    assert _rules_hit(kb, lines) == [(13, "kb.runtime.device_error")]


def test_standing_down_also_holds_for_pasted_lines_and_the_report(tmp_path):
    kb = _kb(tmp_path)
    assert [hit.rule for _, hit in scan_lines(kb.matcher(), [CONTEXT, HIT])] == []
    log = tmp_path / "visible.log"
    log.write_text(CONTEXT + "\n" + HIT + "\n", encoding="utf-8")
    assert diagnose_paths([str(log)], kb=kb).root_cause is None


def test_a_bad_context_regex_or_line_count_is_refused_when_the_rules_load(tmp_path):
    with pytest.raises(DataFileError):
        _kb(tmp_path, RULES.replace("lines: 5", "lines: 0"))
    with pytest.raises(DataFileError):
        _kb(tmp_path / "b", RULES.replace("set ASCEND_RT_VISIBLE_DEVICES", "set (ASCEND"))
