"""The shipped rules are read through their compiled index (``validators/kb/knowledge.py``): a run builds its
matcher from the literals alone and decodes a rule file only when a line needs one of its rules. What it reads
must be what reading every file gives, a stale or broken index must not be used, and a clean log decodes no
rule file at all (the start-up of ``diagnose`` on a big clean log)."""

from __future__ import annotations

import io
import json

import pytest

from mindpilot import compiled
from mindpilot.validators.kb import knowledge
from mindpilot.validators.kb.diagnose import scan_inputs

ALLOCATOR_NOTE = ("[INFO] PRE_ACT(31241,ffff8c0e21e0,python):2025-08-20-10:03:04.345.678 "
                  "[mindspore/ccsrc/backend/common/mem_reuse/mem_dynamic_allocator.cc:17] CalMemBlockAllocSize] "
                  "Memory not enough: current free memory size[17] is smaller than required size\n")
LOSS = ("2025-08-20 10:03:04,345 - mindformers[mindformers/core/callback/callback.py:350] - INFO - { Epoch:[  1/  2], "
        "step:[   17/ 1000], loss: 2.17, per_step_time: 7123ms }\n")
TOPOLOGY = ("[ERROR] DISTRIBUTED(31240,ffff8c0e21e0,python):2025-08-20-10:00:00.345.678 "
            "[mindspore/ccsrc/distributed/cluster/topology/compute_graph_node.cc:10] Initialize] "
            "Topology build timed out., retry(1200/1200).\n")


def _fresh():
    """The shipped knowledge base loaded anew (``load_kb`` is cached for the process)."""
    return knowledge.load_kb_from(knowledge.KB_DIR)


def _every_file():
    return knowledge._read_every_file(knowledge.KB_DIR)[0]


def test_the_index_gives_the_rules_every_file_gives_in_their_order():
    kb, whole = _fresh(), _every_file()
    assert isinstance(kb.rules, knowledge.ShippedRules) and not isinstance(whole.rules, knowledge.ShippedRules)
    assert list(kb.rules) == list(whole.rules) and len(kb) == len(whole) > 1000
    assert dict(kb.rules.items()) == whole.rules
    assert kb.stages == whole.stages and kb.rule_order() == whole.rule_order()


@pytest.mark.parametrize("scope", ["log", "script"])
def test_the_matcher_from_the_index_is_the_matcher_from_the_rules(scope):
    lazy, whole = _fresh().matcher(scope), _every_file().matcher(scope)
    assert lazy.literals == whole.literals
    assert {literal: [(entry.rule_id, entry.pattern) for entry in entries] for literal, entries in lazy.by_literal.items()} \
        == {literal: [(entry.rule.id, entry.pattern) for entry in entries] for literal, entries in whole.by_literal.items()}


def _decoded_files(kb) -> set:
    return {kb.rules._file_of[rule_id] for rule_id in kb.rules._decoded}


def test_a_clean_log_decodes_no_rule_file_and_a_hit_only_its_own(tmp_path):
    kb = _fresh()
    log = tmp_path / "worker_0.log"
    log.write_text(LOSS * 50, encoding="utf-8")
    report = scan_inputs([("log", str(log))], "en", io.BytesIO(b""), kb=kb)
    assert report.findings == [] and _decoded_files(kb) == set()
    log.write_text(LOSS * 50 + TOPOLOGY, encoding="utf-8")
    report = scan_inputs([("log", str(log))], "en", io.BytesIO(b""), kb=kb)
    assert [finding.rule for finding in report.findings] == ["kb.launch.topology_timeout"]
    assert _decoded_files(kb) == {kb.rules._file_of["kb.launch.topology_timeout"]}


def test_a_line_that_only_holds_a_literal_decodes_the_files_of_those_rules_alone(tmp_path):
    kb = _fresh()
    log = tmp_path / "worker_0.log"
    log.write_text(ALLOCATOR_NOTE * 20, encoding="utf-8")
    report = scan_inputs([("log", str(log))], "en", io.BytesIO(b""), kb=kb)
    assert report.findings == []
    holding = {entry.rule_id for literal in kb.matcher().literals_in(ALLOCATOR_NOTE.encode())
               for entry in kb.matcher().by_literal[literal.decode()]}
    assert holding and _decoded_files(kb) == {kb.rules._file_of[rule_id] for rule_id in holding}


def test_a_stale_index_is_not_used(monkeypatch):
    digest = compiled._digest
    monkeypatch.setattr(compiled, "_digest", lambda path: "0" * 64 if path == knowledge.KB_DIR else digest(path))
    kb = _fresh()
    assert not isinstance(kb.rules, knowledge.ShippedRules) and list(kb.rules) == list(_every_file().rules)


@pytest.mark.parametrize("broken", [{"rules": [["kb.x.y", "a.yaml", "log"]], "searched": {}},
                                    {"rules": [["kb.x.y", "a.yaml", "log", [3]]], "searched": {}},
                                    {"rules": [], "searched": {"log": "abc"}}, {"rules": []}, "rules", [None]])
def test_an_index_not_of_its_shape_is_not_used(tmp_path, monkeypatch, broken):
    source = compiled._shipped_source(knowledge.KB_DIR)
    entry = json.loads(compiled.built_file(source, "kb_index").read_text(encoding="utf-8"))
    entry["data"] = broken
    (tmp_path / compiled.built_file(source, "kb_index").name).write_text(json.dumps(entry), encoding="utf-8")
    real = compiled.built_file
    monkeypatch.setattr(compiled, "built_file", lambda src, name, directory=compiled.BUILT_DIR:
                        (tmp_path / real(src, name).name) if name == "kb_index" else real(src, name, directory))
    kb = _fresh()
    assert not isinstance(kb.rules, knowledge.ShippedRules) and len(kb) == len(_every_file())


def test_an_unknown_rule_id_is_a_key_error_and_not_in_the_rules():
    rules = _fresh().rules
    with pytest.raises(KeyError):
        rules["kb.launch.no_such_rule"]
    assert "kb.launch.no_such_rule" not in rules and rules.get("kb.launch.no_such_rule") is None
    assert "kb.launch.topology_timeout" in rules and rules._decoded == {}


def _lines_found(matcher, data: bytes) -> set:
    found, pos, next_at = set(), 0, matcher.chunk_finder(data, 0, len(data))
    while True:
        at = next_at(pos)
        if at is None:
            return found
        start = data.rfind(b"\n", 0, at) + 1
        found.add(start)
        end = data.find(b"\n", at)
        pos = len(data) if end < 0 else end + 1


def test_searching_only_the_literals_that_hold_no_other_finds_the_same_lines():
    lazy, whole = _fresh().matcher(), _every_file().matcher()
    searched = set(lazy._searched)
    assert len(searched) < len(whole.literals) * 0.9 and set(whole._searched) == set(whole.literals)
    assert all(any(short in literal for short in searched) for literal in whole.literals)
    assert not any(short != other and short in other for short in searched for other in searched)
    # Every literal on a line of its own, then each with its first and last character cut (most then hold none).
    lines = [literal for literal in whole.literals] + [literal[1:-1] for literal in whole.literals]
    data = "\n".join(f"{n} {text} ." for n, text in enumerate(lines)).encode("utf-8")
    assert _lines_found(lazy, data) == _lines_found(whole, data)
    assert len(_lines_found(lazy, data)) >= len(whole.literals)
    frequent = next(literal for literal in searched if literal.isascii()).encode()
    rest = lazy.finder_without(frequent)
    found_by_rest = _lines_found(type("M", (), {"chunk_finder": lambda self, d, s, e: rest.in_lines(d, e)})(), data)
    by_find = {data.rfind(b"\n", 0, at) + 1 for at in _offsets(data, frequent)}
    assert found_by_rest | by_find == _lines_found(whole, data)


def _offsets(data: bytes, literal: bytes) -> list:
    found, at = [], data.find(literal)
    while at >= 0:
        found.append(at)
        at = data.find(literal, at + 1)
    return found
