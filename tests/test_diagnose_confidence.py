"""The root cause says how sure it is (issue 17: "honest when unsure"): a rule that names the cause is said as
the root cause; a catch-all (``generic: true``, a code of CANN's catalogue) or a known error logged only as a
warning as a likely cause, not certain; a line no rule knows as unsure. The same ``confidence`` field drives the
text heading in both languages, ``--json`` and the accuracy bench's "wrong" (a confident wrong answer only).
Where a rule's root points: a catch-all on a line that only carries a return code points at the message below
it; a rule that matched a traceback's quoted ``raise`` points at the exception's own line.
"""

from __future__ import annotations

import json

import pytest

from mindpilot.bilingual import Bilingual
from mindpilot.validators.kb import diagnose, knowledge
from mindpilot.validators.kb.model import KbPattern, KbRule
from mindpilot.validators.kb.report import CONFIDENT, LIKELY, UNSURE
from mindpilot.validators.text.report import report_lines
from support import accuracy_bench, run_cli


def _rule(rule_id: str, regex: str, title: str, generic: bool = False) -> KbRule:
    words = Bilingual(zh=title, en=title)
    return KbRule(id=rule_id, stage="operator", patterns=[KbPattern(regex=regex)], title=words, cause=words,
                  fix=words, source="a test rule", generic=generic)


RULES = [_rule("kb.operator.any_bad_argument", r"call aclnn\w+ failed", "an operator rejected its arguments",
               generic=True),
         _rule("kb.operator.missing_kernel_package", r"please check if the opp_kernel package is installed",
               "the operator kernel package is not installed")]


@pytest.fixture
def two_rules(monkeypatch):
    """A knowledge base of one catch-all and one rule that names a cause (so the shipped rules' growth does not
    change what these tests hold)."""
    kb = knowledge.KnowledgeBase({rule.id: rule for rule in RULES}, {})
    monkeypatch.setattr(knowledge, "load_kb_for_logs", lambda: kb)
    monkeypatch.setattr(diagnose, "load_kb_for_logs", lambda: kb)


def _analyse(tmp_path, text: str, lang: str = "en"):
    from mindpilot.launch.router import analyse

    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], lang)


GENERIC_ONLY = "step 1 loss 2.1\nERROR 04-18 08:22:17 engine.py:400] call aclnnSwiGlu failed, detail: bad input\n"
NAMED = ("step 1 loss 2.1\nERROR 04-18 08:22:17 engine.py:400] call aclnnSwiGlu failed, detail:EZ1001: read "
         "binary_info_config.json failed, please check if the opp_kernel package is installed!\n")
UNKNOWN = "step 1 loss 2.1\nValueError: the expert count 7 is not a power of 2\n"
WARNED = "step 1 loss 2.1\n[WARNING] ME(12:34,python):2025-01-01 call aclnnAdd failed, falling back to the CPU\n"


@pytest.mark.parametrize("text, rule, confidence", [
    (NAMED, "kb.operator.missing_kernel_package", CONFIDENT),  # the specific rule on the catch-all's line wins
    (GENERIC_ONLY, "kb.operator.any_bad_argument", LIKELY),
    (WARNED, "kb.operator.any_bad_argument", LIKELY),
    (UNKNOWN, "diagnose.unknown_error", UNSURE),
])
def test_the_root_cause_and_its_finding_carry_one_confidence(two_rules, tmp_path, text, rule, confidence):
    report = _analyse(tmp_path, text)
    document = json.loads(json.dumps(report.to_dict()))
    assert document["root_cause"]["rule"] == rule and document["root_cause"]["confidence"] == confidence, document
    first = document["findings"][0]
    assert first["rule"] == rule and first["confidence"] == confidence, first


def test_a_known_error_logged_only_as_a_warning_is_likely(two_rules, tmp_path):
    warned = _analyse(tmp_path, WARNED.replace("call aclnnAdd", "call aclnnSwiGlu").replace(
        "falling back", "please check if the opp_kernel package is installed"))
    assert warned.root_cause.rule == "kb.operator.missing_kernel_package" and warned.root_cause.confidence == LIKELY


@pytest.mark.parametrize("lang, sure, likely, unsure", [
    ("en", "▶ root cause: the operator kernel package", "▶ likely root cause (the log; not certain",
     "▶ likely root cause (the log; unsure"),
    ("zh", "▶ 根因：the operator kernel package", "▶ 可能的根因（日志；不确定，只是一般性解释）",
     "▶ 可能的根因（日志；不确定，没有匹配的已知错误）"),
])
def test_the_heading_says_how_sure_in_both_languages(two_rules, tmp_path, lang, sure, likely, unsure):
    for text, heading in ((NAMED, sure), (GENERIC_ONLY, likely), (UNKNOWN, unsure)):
        first = report_lines(_analyse(tmp_path, text, lang), lang, width=400)[0]
        assert first.startswith(heading), (text, first)
    catch_all = report_lines(_analyse(tmp_path, GENERIC_ONLY, lang), lang, width=400)
    assert "an operator rejected its arguments" in catch_all[0] and any("job.log:2" in line for line in catch_all[:3])


def test_the_cli_json_names_the_confidence_of_a_shipped_catch_all(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                   "ImportError: libfoo_not_a_real_lib.so.3: cannot open shared object file: No such file or "
                   "directory\n", encoding="utf-8")
    done = run_cli("diagnose", str(log), "--json", "--lang", "en")
    root = json.loads(done.stdout)["root_cause"]
    assert root["confidence"] in (LIKELY, UNSURE) and list(root)[-1] == "confidence", root


def test_the_bench_counts_a_wrong_answer_only_when_it_is_said_as_certain(two_rules, tmp_path):
    bench = accuracy_bench()
    assert not bench.is_unsure(_analyse(tmp_path, NAMED))
    assert bench.is_unsure(_analyse(tmp_path, GENERIC_ONLY)) and bench.is_unsure(_analyse(tmp_path, UNKNOWN))
    case = bench.Case(id="job", source="s", family="f", cause="c", expect=[["nothing", "here"]], key="aclnn",
                      folder=tmp_path)
    (tmp_path / "job.log").write_text(GENERIC_ONLY, encoding="utf-8")
    from mindpilot.launch.router import analyse

    assert bench.judge(case, analyse([str(tmp_path / "job.log")], "en")).outcome == "unsure"
    (tmp_path / "job.log").write_text(NAMED, encoding="utf-8")
    assert bench.judge(case, analyse([str(tmp_path / "job.log")], "en")).outcome == "wrong"


def test_a_catch_all_on_a_line_that_only_carries_a_code_points_at_the_message_below(two_rules, tmp_path):
    report = _analyse(tmp_path, "step 1\nRuntimeError: call aclnnFooBar failed, error code is 161002\n"
                                "AclNN_Parameter_Error(EZ1001):\nTensor weight not implemented for DT_INT4,\n")
    root, first = report.root_cause, report.findings[0]
    assert root.rule == "kb.operator.any_bad_argument" and root.confidence == LIKELY
    assert root.line == first.line == 4 and "DT_INT4" in first.text and first.matched_line == 2, first


def test_a_rule_that_names_the_code_s_cause_keeps_its_line(monkeypatch, tmp_path):
    named = _rule("kb.operator.context_missing", r"error code is 107002", "no context: set the device first")
    kb = knowledge.KnowledgeBase({named.id: named}, {})
    monkeypatch.setattr(knowledge, "load_kb_for_logs", lambda: kb)
    monkeypatch.setattr(diagnose, "load_kb_for_logs", lambda: kb)
    report = _analyse(tmp_path, "step 1\nRuntimeError: NPU error, error code is 107002\n[Error]: The context is empty.\n")
    assert report.root_cause.confidence == CONFIDENT and report.findings[0].line == report.root_cause.line == 2


def test_a_rule_matching_the_quoted_raise_names_the_exception_s_own_line(two_rules, tmp_path):
    message = "the kernel config could not be read, please check if the opp_kernel package is installed"
    report = _analyse(tmp_path, f"Traceback (most recent call last):\n  File \"run.py\", line 3, in <module>\n"
                                f"    raise RuntimeError(\"{message}\")\nRuntimeError: {message}\n")
    first = report.findings[0]
    assert report.root_cause.line == first.line == 4 and first.count == 1, first
    assert first.text.startswith("RuntimeError: ")


def test_a_known_error_first_warned_then_logged_as_an_error_is_the_confident_root(two_rules, tmp_path):
    named = "please check if the opp_kernel package is installed"
    report = _analyse(tmp_path, f"step 1\n[WARNING] ME(1,python):2025-01-01-10:00:00.000.000 probe: {named}\n"
                                f"[ERROR] ME(1,python):2025-01-01-10:00:01.000.000 load: {named}\n"
                                "[ERROR] ME(1,python):2025-01-01-10:00:01.000.000 call aclnnFoo failed\n")
    root = report.root_cause
    assert root.rule == "kb.operator.missing_kernel_package" and root.line == 3 and root.confidence == CONFIDENT, root
    assert report.findings[0].count == 2


def test_error_lines_before_the_run_s_own_success_line_are_not_named_as_the_cause(monkeypatch, tmp_path):
    from mindpilot.validators.findings import Severity

    done = _rule("kb.operator.tool_finished", r"RESULT SUCCESS:0", "the tool finished: the errors above were probes")
    done.success, done.severity = True, Severity.INFO
    kb = knowledge.KnowledgeBase({done.id: done}, {})
    monkeypatch.setattr(knowledge, "load_kb_for_logs", lambda: kb)
    monkeypatch.setattr(diagnose, "load_kb_for_logs", lambda: kb)
    probes = "[ERROR] LITE(1,tool):2021-01-08-09:53:15.978.801 [a.cc:94] Read] Parse x.bin failed.\n"
    settled = _analyse(tmp_path, probes + "CONVERT RESULT SUCCESS:0\n")
    assert settled.root_cause is None and [f.rule for f in settled.findings] == ["kb.operator.tool_finished"]
    assert settled.findings[0].to_dict()["success"] is True
    failed = _analyse(tmp_path, "CONVERT RESULT SUCCESS:0\n" + probes)  # a later failure is still named
    assert failed.root_cause is not None and failed.root_cause.rule == "diagnose.unknown_error"
