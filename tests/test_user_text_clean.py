"""Every text a user reads speaks of their job only: no seed numbers, no names of our reference files, no
section signs or table codes, no empty placeholders. Provenance belongs in ``source``.

Scans every rule's words in both languages (check and doctor rule texts, the knowledge base, the planner's
reasons, the version stacks, the TUI labels), then what ``doctor --demo`` actually prints (texts filled
with values at run time).
"""

from __future__ import annotations

import re

import pytest

from mindpilot.datafiles import package_path, read_yaml
from mindpilot.presets.reasons import reason_texts
from mindpilot.validators.catalog import RULES_DIR, load_family
from mindpilot.validators.kb import load_kb
from mindpilot.validators.stacks import load_stacks

INTERNAL = re.compile(
    r"\bseeds?\b|种子"                                     # the user's diary we learnt from
    r"|\b(?:mindformers-rules|errors|npu-smi|anchors|style|seeds-coverage)\.md\b|shared/reference|\.\./shared"
    r"|§"                                                  # section signs of our reference notes
    r"|\((?:[A-Z]{2,4}\d{1,3}[a-z]?)\)"                     # table codes such as (MF17), not (A3)
    r"|\bref\s+§|\(\s*-\s*;|:\s*-\s*[;)]",                 # "ref §4", "(same family: -; ...)"
    re.IGNORECASE)
"""What the project's own vocabulary looks like in a user-facing text."""


def _bilingual(owner: str, field: str, value) -> list[tuple[str, str]]:
    if value is None:
        return []
    return [(f"{owner}.{field}.zh", value.zh), (f"{owner}.{field}.en", value.en)]


def rule_texts() -> list[tuple[str, str]]:
    """(where, text) for every user-facing text of every rule, both languages."""
    texts: list[tuple[str, str]] = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for rule_id, text in load_family(path).items():
            for field in ("title", "detail", "fix"):
                texts += _bilingual(rule_id, field, getattr(text, field))
    for rule_id, rule in load_kb().rules.items():
        for field in ("title", "cause", "fix"):
            texts += _bilingual(rule_id, field, getattr(rule, field))
        texts += [(f"{rule_id}.commands", command) for command in rule.commands]
    for rule_id, reason in reason_texts().items():
        texts += _bilingual(rule_id, "title", reason.title) + _bilingual(rule_id, "fix", reason.fix)
    for stack in load_stacks():
        texts.append((f"{stack.id}.title", stack.title))
        texts += [(f"{stack.id}.{req.name}.note", req.note) for req in stack.packages if getattr(req, "note", None)]
    labels = read_yaml(package_path("tui", "labels.yaml")) or {}
    for key, value in labels.items():
        if isinstance(value, dict):
            texts += [(f"tui.{key}.{lang}", str(text)) for lang, text in value.items()]
    return texts


def test_the_scan_covers_every_family_in_both_languages():
    texts = rule_texts()
    where = {name.split(".")[0] for name, _ in texts}
    assert {"doctor", "parallel", "diagnose", "kb", "plan", "tui"} <= where
    assert sum(name.endswith(".zh") for name, _ in texts) > 300 and sum(name.endswith(".en") for name, _ in texts) > 300


def test_the_pattern_catches_what_users_were_shown():
    shown = ["wheel URLs from seed 001", "Source: install.sh (mindformers-rules.md §4.1)", "keep TP <= 8 (MF17)",
             "mindpilot doctor --stack <ID> (same family: -; all: mindpilot doctor --list-stacks)", "见种子笔记"]
    assert [text for text in shown if not INTERNAL.search(text)] == []
    fine = ["HCCL_EXEC_TIMEOUT=7200", "(EI0002)", "a 16-device (A3) host", "actor mp 4, ref 4", "README.md of MindFormers r1.6.0"]
    assert [text for text in fine if INTERNAL.search(text)] == []


def test_no_rule_text_uses_the_project_s_own_vocabulary():
    leaks = [f"{where}: {text}" for where, text in rule_texts() if INTERNAL.search(text)]
    assert leaks == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_doctor_prints_is_clean_too(lang):
    from mindpilot.validators.doctor import run_doctor

    report = run_doctor(demo=True, lang=lang)
    shown = [report.stack_reason] + [text for f in report.findings for text in (f.title, f.detail, f.fix)]
    assert [text for text in shown if INTERNAL.search(text or "")] == []
    assert all(f.source for f in report.findings)  # provenance kept, in its place


def test_a_fix_does_not_send_the_user_to_the_command_they_just_ran():
    from mindpilot.launch.router import analyse

    kb = load_kb()
    prose = [rule_id for rule_id, rule in kb.rules.items()
             if "mindpilot diagnose" in rule.fix.zh + rule.fix.en]  # commands may (the live view shows them)
    assert prose == []
    logs = package_path("tests", "data", "logs", "scenarios", "rank3_oom")
    if not logs.is_dir():
        pytest.skip("tests/data is not shipped in an installed package")
    report = analyse([str(logs)], "en")
    suggesting = [kb.rules[f.rule].commands for f in report.findings if f.rule in kb.rules]
    assert any("mindpilot diagnose" in " ".join(c) for c in suggesting)  # the data does suggest it to the live view
    assert [f.rule for f in report.findings if "mindpilot diagnose" in f.fix] == []
