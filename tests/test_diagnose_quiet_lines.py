"""The scan skips lines known to match nothing (the speed of benign start-up logs), and never skips a hit.

msrun's start-up prints "Topology build timed out., retry(i/1200)" on every retry of a normal start; only
i == 1200 means the cluster never formed. Such lines differ only in digits, so the scan remembers them by
shape and by the text after the literal whose rule reads digits: the 1200th retry must still be found,
in any chunking of the file.
"""

from __future__ import annotations

import io
import re

import pytest

from mindpilot.validators.kb import load_kb
from mindpilot.validators.kb.bytesearch import MAX_MEM, LineSearch, re2_literal
from mindpilot.validators.kb.scan import Scanner

RETRY = ("[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 "
         "[mindspore/ccsrc/distributed/cluster/topology/compute_graph_node.cc:{n}] Initialize] "
         "Topology build timed out., retry({i}/{total}).\n")
TCP = ("[WARNING] DISTRIBUTED({pid},ffff8c0e21e0,python):2025-08-20-10:{m:02d}:{s:02d}.345.678 "
       "[mindspore/ccsrc/distributed/cluster/topology/compute_graph_node.cc:{n}] Register] Failed to connect to "
       "the meta server node url: 127.0.0.1:8118\n")


def _log(total: int, last: int) -> bytes:
    lines = []
    for i in range(1, last + 1):
        fields = dict(pid=3100 + i % 8, m=i // 60 % 60, s=i % 60, n=100 + i % 7, i=i, total=total)
        lines.append(RETRY.format(**fields))
        lines.append(TCP.format(**fields))
    return "".join(lines).encode()


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 777])
def test_the_last_retry_is_found_after_thousands_of_remembered_ones(chunk):
    scanner = Scanner(load_kb().matcher(), chunk=chunk)
    hits = [hit for hit in scanner.scan(io.BytesIO(_log(1200, 1200))) if hit.hit.rule == "kb.launch.topology_timeout"]
    assert [hit.line for hit in hits] == [2 * 1200 - 1]
    assert scanner.candidates.quiet_tails > 0  # the retries before were skipped unseen


def test_a_start_that_succeeded_has_no_hit():
    scanner = Scanner(load_kb().matcher())
    assert not [hit for hit in scanner.scan(io.BytesIO(_log(1200, 300)))]


def test_only_rules_that_begin_with_their_literal_are_remembered_by_tail():
    matcher = load_kb().matcher()
    line = RETRY.format(pid=1, m=0, s=0, n=1, i=3, total=1200).strip()
    assert matcher.digit_tails(line) == [b"Topology build timed out., retry("]
    assert not matcher.no_hit_holds_for_shape(line)


def test_a_literal_grows_to_the_fixed_text_every_match_starts_with_but_never_past_a_code():
    matcher = load_kb().matcher()
    assert "Failed to connect to the meta server. Maybe it has exited" in matcher.by_literal
    assert "Failed to connect to the meta server" not in matcher.by_literal
    line = TCP.format(pid=1, m=0, s=0, n=1).strip()
    assert matcher._line_finder.search(line) is None  # the start-up line is not even read
    assert not any(literal.startswith(("EI0006: [", "EI0002: [")) for literal in matcher.by_literal)


def test_the_quick_literal_prefix_never_claims_more_than_the_parser_reads():
    from mindpilot.validators.kb.literals import literal_prefix, quick_literal_prefix

    for regex in ["Failed to connect\\. Maybe", "ab+c", "x{2}y", "(?i)abc", "\\d+ items", "a\\.b\\[c\\]d", "a|b",
                  "retry\\(\\d+/\\d+\\)", "[ab]c", "abc?d", "EI0006: Getting", "\\bword"]:
        assert literal_prefix(regex).startswith(quick_literal_prefix(regex)), regex
    for rule in load_kb().rules.values():
        for pattern in rule.patterns:
            assert literal_prefix(pattern.regex).startswith(quick_literal_prefix(pattern.regex)), pattern.regex


def test_a_matcher_compiles_a_rule_s_regexes_only_when_a_line_needs_them():
    matcher = load_kb().matcher()
    entries = [entry for group in matcher.by_literal.values() for entry in group]
    assert len(entries) > 100 and sum(entry._regex is not None for entry in entries) < len(entries)
    line = RETRY.format(pid=1, m=0, s=0, n=1, i=1200, total=1200).strip()
    assert [hit.rule for hit in matcher.match_line(line)] == ["kb.launch.topology_timeout"]


@pytest.mark.parametrize("engine", ["re2", "bytes.find"])
def test_a_megabyte_long_line_is_read_for_literals_in_one_pass(engine):
    from mindpilot.validators.kb.matcher import use_pure_python

    from mindpilot.validators.kb.knowledge import KnowledgeBase

    kb = load_kb()  # a matcher of its own: the shared one must keep its engine for the tests after this one
    matcher = load_kb().matcher() if engine == "re2" else use_pure_python(KnowledgeBase(kb.rules, kb.stages).matcher())
    filler = "x" * (1 << 20)
    assert matcher.may_match(filler + " Topology build timed out., retry(3/1200)")
    assert not matcher.may_match(filler)
    assert matcher.may_match("Topology build timed out., retry(3/1200)") and not matcher.may_match("step 1")


@pytest.mark.parametrize("chunk", [1 << 20, 4096])
def test_once_one_literal_is_found_by_bytes_find_every_other_error_is_still_found(chunk):
    from mindpilot.validators.kb import candidates

    def retries(count: int, first: int) -> str:  # ranks retrying in step: the same counts again and again
        return "".join(RETRY.format(pid=3100 + i % 8, m=i // 60 % 60, s=i % 60, n=100, i=1 + i % 50, total=1200)
                       for i in range(first, first + count))

    error = "RuntimeError: Distributed job exited with exception. Please check logs in directory: ./output/msrun_log.\n"
    last = RETRY.format(pid=3100, m=0, s=0, n=100, i=1200, total=1200)
    text = retries(3000, 0) + error + retries(3000, 3000) + last
    scanner = Scanner(load_kb().matcher(), chunk=chunk)
    hits = [(hit.hit.rule, hit.line) for hit in scanner.scan(io.BytesIO(text.encode()))]
    assert candidates.SAMPLE < 3000
    assert scanner.candidates._frequent == b"Topology build timed out., retry("  # chosen within the first lines
    assert [line for _, line in hits if line == 3001]  # the other rule's line, between the frequent ones
    assert ("kb.launch.topology_timeout", 6002) in hits


def test_the_literal_search_steps_over_bytes_that_are_not_utf8():
    matcher = load_kb().matcher()
    assert matcher.engine == "re2"
    chunk = b"\xff\xfe\x81 junk \xc3\x28\n" + RETRY.format(pid=1, m=0, s=0, n=1, i=1200, total=1200).encode()
    at = matcher.chunk_finder(chunk, 0, len(chunk))(0)
    assert at is not None and chunk.rfind(b"\n", 0, at) == chunk.index(b"\n")  # found, in the second line


@pytest.mark.parametrize("budget, fits", [(MAX_MEM // 2, True), (4 << 20, False)])
def test_the_literal_search_fits_in_half_its_memory_budget(capfd, budget, fits):
    # Past its budget google-re2 falls back to a search a hundred times slower and says so on stderr: the
    # knowledge base may grow to twice its literals' needs before that happens (the small budget shows the check
    # can fail).
    matcher = load_kb().matcher()
    alternatives = [re2_literal(literal) for literal in sorted(matcher.literals)]  # as the scan compiles them
    search = LineSearch(alternatives, max_mem=budget)
    text = RETRY.format(pid=1, m=0, s=0, n=1, i=3, total=1200).replace("Topology", "Topo").encode() * 200
    assert search.end(text) == -1
    assert ("DFA out of memory" not in capfd.readouterr().err) is fits


@pytest.mark.parametrize("literal", ["a.b*c", "x|y", "(?i)", "[E]", "end\\E", "back\\slash", "\\Q", "$^+?{2}", "内存不足",
                                     "tab\there"])
def test_a_quoted_literal_is_found_as_written_and_nothing_else(literal):
    # The scan quotes literals between \Q and \E for google-re2 (cheaper than escaping): every character stays
    # itself, a backslash included, and a near miss (a metacharacter's usual meaning) is not found.
    search = LineSearch([re2_literal(literal), re2_literal("zzzz")])
    text = ("before " + literal + " after").encode("utf-8")
    assert search.end(text) == len(("before " + literal).encode("utf-8"))
    near_miss = literal.replace(".", "x").replace("*", "").replace("|", "").replace("\\", "") \
        .replace("?", "").replace("[", "").replace("$", "").replace("内", "外").replace("\t", " ")
    if near_miss != literal:
        assert search.end(("before " + near_miss + " after").encode("utf-8")) == -1
