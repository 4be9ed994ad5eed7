"""QA: the words users read never leak the project's own vocabulary.

The rule and knowledge-base texts were written from a user's diary (the "seeds"); a user has never seen
that diary, so "seed 001 used ..." in a fix is noise. Provenance belongs in ``source``, not in the text.
"""

from __future__ import annotations

import re

from mindpilot.validators.catalog import RULES_DIR, load_family
from mindpilot.validators.kb import load_kb

INTERNAL = re.compile(r"\bseeds?\b|种子", re.IGNORECASE)


def _texts_of_rules():
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for rule_id, text in load_family(path).items():
            for field in ("title", "detail", "fix"):
                value = getattr(text, field)
                if value is not None:
                    yield rule_id, field, value.zh, value.en


def _texts_of_kb():
    for rule_id, rule in load_kb().rules.items():
        for field in ("title", "cause", "fix"):
            value = getattr(rule, field)
            yield rule_id, field, value.zh, value.en


def test_rule_and_kb_texts_do_not_mention_the_seed_notes():
    leaks = [f"{rule_id}.{field}: {text}"
             for rule_id, field, zh, en in list(_texts_of_rules()) + list(_texts_of_kb())
             for text in (zh, en) if INTERNAL.search(text)]
    assert leaks == []


def _columns(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_finding_text_wraps_title_and_detail_to_80_columns_and_keeps_fix_commands_whole():
    from mindpilot.validators.text.findings import format_finding
    from mindpilot.validators.catalog import make_finding

    commit = "0cd0874559d5658e5987ba11718a920384691c59"
    command = f"git -C /home/ma-user/work/mindrlhf fetch && git -C /home/ma-user/work/mindrlhf checkout {commit}"
    for lang in ("en", "zh"):
        finding = make_finding("doctor.checkout_commit", lang, name="mindrlhf", path="/home/ma-user/work/mindrlhf",
                               found="e8a8fc1c", stack="mindrlhf-grpo-2025-08", commit=commit,
                               note="A long note that makes the detail run past eighty columns for sure.")
        text = format_finding(finding, lang)
        lines = text.splitlines()
        fix_lines = [line for line in lines if line.lstrip().startswith(("fix:", "修复:"))]
        assert len(fix_lines) == 1 and fix_lines[0].endswith(command)
        assert [line for line in lines if line not in fix_lines and _columns(line) > 80] == []
        assert commit in text.replace("\n", " ")


def test_doctor_table_status_and_host_line_in_chinese():
    from support import run_cli

    done = run_cli("doctor", "--demo", "--lang", "zh")
    lines = done.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines[2:15]}
    assert rows["mindrlhf"].rstrip().endswith("不匹配") and rows["python"].rstrip().endswith("正常")
    assert "MISMATCH" not in done.stdout
    host = next(line for line in lines if line.startswith("主机: "))
    assert "/home/ma-user/work 剩余 412.7 GB" in host and "可用于" not in host
