"""Specific before generic: every error's own fixture names that error's rule as the root cause.

A catch-all rule (``generic: true``, e.g. "an operator argument is out of its allowed range") matches
many lines that a specific rule explains better; when both match the same error, the specific one is the
root cause, whatever the order of the rules or of the lines in the traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.datafiles import DataFileError
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb import diagnose_paths, load_kb, load_kb_from
from test_seeds_coverage import PAINS, SEEDS

KB_LOGS = Path(__file__).parent / "data" / "logs" / "kb"


def _root_cause_fixtures() -> list:
    """(fixture, rule id) for every error rule's fixture log that is read as a log."""
    rules = load_kb().rules
    cases = []
    for log in sorted(KB_LOGS.glob("*.log")):
        rule = rules.get(".".join(log.name[:-len(".log")].split(".")[:3]))
        if rule is not None and rule.severity is Severity.ERROR and not rule.consequence and rule.scope != "script":
            cases.append(pytest.param(log, rule.id, id=log.name))
    seeds = [pytest.param(SEEDS / row.inputs[0], row.expect, id=row.id) for row in PAINS
             if row.command == "diagnose" and row.expect.startswith("kb.") and len(row.inputs) == 1
             and not row.inputs[0].endswith(".sh")
             and rules[row.expect].severity is Severity.ERROR and not rules[row.expect].consequence]
    return cases + seeds


@pytest.mark.parametrize("log, rule", _root_cause_fixtures())
def test_each_error_s_fixture_has_its_own_rule_as_root_cause(log, rule):
    report = diagnose_paths([str(log)])
    assert report.root_cause is not None, f"{log.name}: no root cause"
    assert report.root_cause.rule == rule, f"{log.name}: {report.root_cause.rule} before {rule}"
    assert report.findings[0].rule == rule


def test_the_generic_operator_rule_is_marked_and_still_explains_a_bare_operator_error(tmp_path):
    assert load_kb().rules["kb.operator.argument_invalid"].generic
    log = tmp_path / "op.log"
    log.write_text("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                   "ValueError: For primitive[MatMul], the input_x shape must be 2-D, but got 3-D.\n")
    assert diagnose_paths([str(log)]).root_cause.rule == "kb.operator.argument_invalid"


RULES = """
rules:
  - id: kb.operator.catch_all
    stage: operator
    generic: true
    patterns: [{regex: "For '\\\\w+', the \\\\w+ must be"}]
    title: {zh: "参数不对", en: "an argument is wrong"}
    cause: {zh: "原因", en: "cause"}
    fix: {zh: "修复", en: "fix"}
    source: test
  - id: kb.rl.lr_order
    stage: rl
    patterns: [{regex: "the (?P<name>min_lr|warmup_lr) must be (?P<bound>less than \\\\w+)"}]
    title: {zh: "{name} 必须 {bound}", en: "{name} must be {bound}"}
    cause: {zh: "原因", en: "{name} is checked against max_lr; {other} stays as written"}
    fix: {zh: "把 {name} 调小", en: "lower {name}"}
    source: test
"""


def _kb(tmp_path: Path, text: str):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    return load_kb_from(folder)


def test_specific_wins_in_either_line_order_and_texts_name_what_was_matched(tmp_path):
    kb = _kb(tmp_path, RULES.replace("{other}", "max_lr"))
    for order in ((0, 1), (1, 0)):
        lines = ["ValueError: For 'Cosine', the value must be positive", "  the min_lr must be less than max_lr"]
        log = tmp_path / f"{order}.log"
        log.write_text("\n".join(lines[i] for i in order) + "\n")
        report = diagnose_paths([str(log)], kb=kb)
        assert report.root_cause.rule == "kb.rl.lr_order", order
        assert report.root_cause.title == "min_lr must be less than max_lr"
        assert report.findings[0].fix == "lower min_lr"
        assert [f.rule for f in report.findings] == ["kb.rl.lr_order", "kb.operator.catch_all"]


def test_a_generic_hit_far_from_any_specific_one_of_its_process_stays_the_root_cause(tmp_path):
    kb = _kb(tmp_path, RULES.replace("{other}", "max_lr"))
    logs = tmp_path / "msrun_log"
    logs.mkdir()
    (logs / "worker_0.log").write_text("2025-01-01 10:00:00,000 ValueError: For 'Cosine', the value must be positive\n")
    (logs / "worker_1.log").write_text("2025-01-01 10:05:00,000 step\n" * 100
                                       + "2025-01-01 10:09:00,000 the warmup_lr must be less than lr\n")
    assert diagnose_paths([str(logs)], kb=kb).root_cause.rule == "kb.operator.catch_all"  # another rank, later


def test_a_known_error_further_down_the_same_log_outranks_an_earlier_catch_all(tmp_path):
    # The process went on after the catch-all's error (it was caught): the later error is what stopped it.
    kb = _kb(tmp_path, RULES.replace("{other}", "max_lr"))
    log = tmp_path / "far.log"
    log.write_text("ValueError: For 'Cosine', the value must be positive\n" + "step\n" * 100
                   + "the warmup_lr must be less than lr\n")
    report = diagnose_paths([str(log)], kb=kb)
    assert report.root_cause.rule == "kb.rl.lr_order" and report.root_cause.line == 102
    assert "kb.operator.catch_all" in [f.rule for f in report.findings]


CATCH_ALL = """
  - id: kb.versions.{name}
    stage: versions
    generic: true
    patterns: [{regex: "{regex}", literal: "{literal}"}]
    title: {zh: "一", en: "{name}"}
    cause: {zh: "原因", en: "cause"}
    fix: {zh: "修复", en: "fix"}
    source: test
"""
ONE_PACKAGE = ("one_package", "cannot import name '\\\\w+' from 'mindspore'", "' from 'mindspore")
ANY_PACKAGE = ("any_package", "cannot import name '\\\\w+' from '\\\\w+' \\\\(", "cannot import name '")
SAME_LITERAL = ("from_numpy", "cannot import name '\\\\w+' from 'numpy'", "cannot import name '")


def _catch_alls(*rules: tuple) -> str:
    text = "rules:"
    for name, regex, literal in rules:
        text += CATCH_ALL.replace("{name}", name).replace("{regex}", regex).replace("{literal}", literal)
    return text


@pytest.mark.parametrize("rules, root", [
    ((ONE_PACKAGE, ANY_PACKAGE), "kb.versions.one_package"),
    ((ANY_PACKAGE, ONE_PACKAGE), "kb.versions.any_package"),
    # A rule that shares the other's literal and does not match the line changes the order literals are found
    # in, not the answer.
    ((SAME_LITERAL, ONE_PACKAGE, ANY_PACKAGE), "kb.versions.one_package"),
])
def test_of_two_rules_on_one_line_the_one_written_first_is_the_root(tmp_path, rules, root):
    kb = _kb(tmp_path, _catch_alls(*rules))
    log = tmp_path / "import.log"
    log.write_text("ImportError: cannot import name 'mint' from 'mindspore' (/x/mindspore/__init__.py)\n")
    report = diagnose_paths([str(log)], kb=kb)
    assert report.root_cause.rule == root
    assert [f.rule for f in report.findings] == [root] + sorted({"kb.versions.one_package",
                                                                  "kb.versions.any_package"} - {root})


def test_a_placeholder_without_its_group_is_refused_when_the_rules_load(tmp_path):
    with pytest.raises(DataFileError, match="other"):
        _kb(tmp_path, RULES)


def test_facts_near_the_line_fill_the_texts_and_are_not_required(tmp_path):
    kb = _kb(tmp_path, """
rules:
  - id: kb.versions.abi_pair
    stage: versions
    patterns:
      - regex: "(?P<lib>lib\\\\w+\\\\.so): undefined symbol"
        facts:
          - {regex: "torch version: (?P<torch>\\\\S+)", lines: 20}
          - {regex: "torch_npu version: (?P<npu>\\\\S+)", lines: 20}
    title: {zh: "{lib} 与 torch {torch} / torch_npu {npu} 不配套", en: "{lib} does not fit torch {torch} / torch_npu {npu}"}
    cause: {zh: c, en: c}
    fix: {zh: f, en: f}
    source: test
""")
    log = tmp_path / "abi.log"
    log.write_text("torch version: 2.1.0\nstep\nOSError: libtorch_npu.so: undefined symbol: _ZN3c10\n"
                   "torch_npu version: 2.5.1\n", encoding="utf-8")
    assert diagnose_paths([str(log)], kb=kb).root_cause.title == "libtorch_npu.so does not fit torch 2.1.0 / torch_npu 2.5.1"
    bare = tmp_path / "bare.log"
    bare.write_text("OSError: libatb.so: undefined symbol: x\n", encoding="utf-8")
    assert diagnose_paths([str(bare)], kb=kb).root_cause.title == "libatb.so does not fit torch ? / torch_npu ?"


def test_texts_name_the_versions_installed_here(tmp_path, monkeypatch):
    from importlib import metadata

    monkeypatch.setenv("ASCEND_HOME_PATH", str(Path(__file__).parent / "data" / "cann" / "latest"))
    kb = _kb(tmp_path, """
rules:
  - id: kb.versions.npu_pair
    stage: versions
    patterns: [{regex: "(?P<lib>libtorch_npu\\\\.so): undefined symbol"}]
    title: {zh: "{lib}：torch_npu {installed_torch_npu}", en: "{lib}: torch_npu {installed_torch_npu}, pydantic {installed_pydantic}, CANN {installed_cann}"}
    cause: {zh: c, en: c}
    fix: {zh: f, en: f}
    source: test
""")
    log = tmp_path / "abi.log"
    log.write_text("OSError: libtorch_npu.so: undefined symbol: _ZN3c10\n", encoding="utf-8")
    title = diagnose_paths([str(log)], kb=kb).root_cause.title
    assert title == f"libtorch_npu.so: torch_npu not installed here, pydantic {metadata.version('pydantic')}, CANN 8.0.RC3"
    assert diagnose_paths([str(log)], lang="zh", kb=kb).root_cause.title == "libtorch_npu.so：torch_npu 本机未安装"


def test_a_known_error_logged_as_a_warning_comes_after_one_logged_as_an_error(tmp_path):
    kb = _kb(tmp_path, RULES.replace("{other}", "max_lr"))
    warned = ("[WARNING] ME(1:2,MainProcess):2025-08-20-10:00:00.000.000 [lr.py:9] the min_lr must be less than "
              "max_lr, falling back to 0\n")
    failed = "ValueError: For 'Cosine', the lr must be positive\n"
    log = tmp_path / "both.log"
    log.write_text(warned + "step 1\n" * 50 + failed, encoding="utf-8")
    report = diagnose_paths([str(log)], kb=kb)
    assert report.root_cause.rule == "kb.operator.catch_all" and report.root_cause.line == 52
    alone = tmp_path / "alone.log"
    alone.write_text(warned + "step 1\n", encoding="utf-8")
    assert diagnose_paths([str(alone)], kb=kb).root_cause.rule == "kb.rl.lr_order"  # nothing louder failed
