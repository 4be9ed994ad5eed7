"""The knowledge base as data: every rule loads, has a fixture log it matches, and clean logs match nothing.

Adding a rule is YAML plus ``tests/data/logs/kb/<rule id>.log`` (``.sh`` for script rules): these tests
iterate over both, so a new rule is tested without new code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mindpilot.datafiles import DataFileError
from mindpilot.validators.kb import diagnose_paths, load_kb, load_kb_from
from mindpilot.validators.kb.literals import derive_literal

LOGS = Path(__file__).parent / "data" / "logs"
KB = load_kb()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _fixtures(rule_id: str) -> list[Path]:
    return sorted(p for p in (LOGS / "kb").glob(rule_id + ".*") if p.suffix in (".log", ".sh")
                  and p.name.split(".")[:3] == rule_id.split("."))


def test_at_least_sixty_rules_over_every_stage():
    assert len(KB) >= 60
    assert {rule.stage for rule in KB.rules.values()} == set(KB.stages)


@pytest.mark.parametrize("rule_id", sorted(KB.rules))
def test_rule_matches_its_fixture(rule_id):
    fixtures = _fixtures(rule_id)
    assert fixtures, f"add tests/data/logs/kb/{rule_id}.log"
    for fixture in fixtures:
        report = diagnose_paths([str(fixture)], "en")
        assert rule_id in {finding.rule for finding in report.findings}, fixture.name


COMMANDS_WITH_NAMES = sorted(rule.id for rule in KB.rules.values()
                             if any(re.search(r"\{\w+\}", command) for command in rule.commands))


@pytest.mark.parametrize("rule_id", COMMANDS_WITH_NAMES)
def test_a_command_shown_never_holds_a_bare_placeholder(rule_id):
    for fixture in _fixtures(rule_id):
        findings = [f for f in diagnose_paths([str(fixture)], "en").findings if f.rule == rule_id]
        shown = [line for finding in findings for line in (finding.fix or "").splitlines() if line.startswith("$ ")]
        assert not [line for line in shown if re.search(r"\{\w+\}", line)], (fixture.name, shown)


def test_a_value_from_the_log_fills_a_command_as_one_shell_word_or_the_command_is_left_out():
    from mindpilot.validators.kb.hits import fill_command

    assert fill_command("pip show {pkg}", {"pkg": "torch_npu"}) == "pip show torch_npu"
    assert fill_command("ls -l {file}", {"file": "/data/a b;rm -rf ~"}) == "ls -l '/data/a b;rm -rf ~'"
    assert fill_command("pip show {pkg}", {}) is None  # no value here: no half-filled command
    assert fill_command("find / -name '{lib}*'", {"lib": "libhccl.so"}) == "find / -name 'libhccl.so*'"
    assert fill_command("find / -name '{lib}*'", {"lib": "x' $(id) '"}) is None  # inside quotes: left out
    assert fill_command("find . -exec ls {} \\;", None) == "find . -exec ls {} \\;"


@pytest.mark.parametrize("rule_id", sorted(KB.rules))
def test_rule_texts_are_bilingual_and_sourced(rule_id):
    rule = KB.rules[rule_id]
    for text in (rule.title, rule.cause, rule.fix):
        assert CJK.search(text.zh), f"{rule_id}: Chinese text expected"
        assert text.en and not CJK.search(text.en[:1])
    assert rule.source.strip()


def test_literal_is_in_every_fixture_match():
    """The prefilter must never hide a match: each pattern's literal is inside every line it matches."""
    checked = 0
    # Each regex compiled once: with more patterns than re's cache holds, re.search would compile them anew
    # for every line (minutes on a loaded machine).
    patterns = [(rule.id, re.compile(pattern.regex), pattern.literal)
                for rule in KB.rules.values() for pattern in rule.patterns]
    for fixture in (LOGS / "kb").iterdir():
        for line in fixture.read_text(encoding="utf-8").splitlines():
            for rule_id, regex, literal in patterns:
                if regex.search(line):
                    assert literal in line, (rule_id, line)
                    checked += 1
    assert checked >= len(KB)


def test_every_pattern_fills_every_placeholder_its_texts_use():
    """A pattern without the group a text names would print a bare ``{name}`` (no group at all) or ``?``."""
    from mindpilot.validators.kb.model import PLACEHOLDER

    missing = []
    for rule in load_kb().rules.values():
        used = {found for text in (rule.title, rule.cause, rule.fix) for lang in ("zh", "en")
                for found in PLACEHOLDER.findall(text.get(lang) or "") if found and not found.startswith("installed_")}
        for pattern in rule.patterns:
            groups = set(re.compile(pattern.regex).groupindex)
            groups.update(g for fact in pattern.facts for g in re.compile(fact.regex).groupindex)
            if used - groups:
                missing.append((rule.id, pattern.regex[:50], sorted(used - groups)))
    assert missing == []

def test_no_fixture_without_a_rule():
    for fixture in (LOGS / "kb").iterdir():
        assert ".".join(fixture.name.split(".")[:3]) in KB.rules, fixture.name


@pytest.mark.parametrize("clean", sorted((LOGS / "clean").iterdir()), ids=lambda p: p.name)
def test_clean_logs_match_nothing(clean):
    report = diagnose_paths([str(clean)], "en")
    assert report.findings == []
    assert report.root_cause is None


@pytest.mark.parametrize("regex, literal", [
    (r"foo\d+barbaz", "barbaz"),
    (r"(?:alpha|beta) hello world", " hello world"),
    (r"x(abc)+y", "abc"),
    (r"ab?cdefg", "cdefg"),
    (r"Out of Memory!!! Request memory size: (\d+)B", "Out of Memory!!! Request memory size: "),
    (r"\[TaskExecStage\]\[Timeout\]", "[TaskExecStage][Timeout]"),
    (r"^\|\s*\d+", "|"),
    (r"(?i)hello", None),
    (r"a|b", None),
])
def test_derive_literal(regex, literal):
    assert derive_literal(regex) == literal
    if literal:
        assert literal in re.search(regex, _example(regex)).group(0)


def _example(regex: str) -> str:
    return {
        r"foo\d+barbaz": "foo12barbaz", r"(?:alpha|beta) hello world": "beta hello world",
        r"x(abc)+y": "xabcabcy", r"ab?cdefg": "acdefg",
        r"Out of Memory!!! Request memory size: (\d+)B": "Out of Memory!!! Request memory size: 12B",
        r"\[TaskExecStage\]\[Timeout\]": "[TaskExecStage][Timeout]", r"^\|\s*\d+": "| 1",
    }[regex]


def _write_kb(tmp_path: Path, body: str) -> Path:
    (tmp_path / "x.yaml").write_text(body, encoding="utf-8")
    return tmp_path


RULE = """rules:
  - id: kb.runtime.sample
    stage: runtime
    patterns:
      - regex: "{regex}"
    title: {{zh: 标题, en: title}}
    cause: {{zh: 原因, en: cause}}
    fix: {{zh: 修复, en: fix}}
    source: test
"""


def test_bad_rule_names_file_line_and_key(tmp_path):
    body = RULE.format(regex="abc(").replace("stage: runtime", "stage: runtime")
    with pytest.raises(DataFileError) as info:
        load_kb_from(_write_kb(tmp_path, body))
    assert "x.yaml" in str(info.value) and info.value.line == 5 and "patterns.0" in str(info.value.key)


def test_rule_without_literal_must_give_one(tmp_path):
    with pytest.raises(DataFileError, match="literal"):
        load_kb_from(_write_kb(tmp_path, RULE.format(regex="a|b")))


def test_rule_id_must_name_its_stage(tmp_path):
    body = RULE.format(regex="Segfault here").replace("kb.runtime.sample", "kb.launch.sample")
    with pytest.raises(DataFileError, match="kb.runtime"):
        load_kb_from(_write_kb(tmp_path, body))


def test_duplicate_ids_are_refused(tmp_path):
    body = RULE.format(regex="Segfault here")
    (tmp_path / "y.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(DataFileError, match="duplicate"):
        load_kb_from(_write_kb(tmp_path, body))
