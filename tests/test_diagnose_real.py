"""The real-log corpus (tests/data/real/): well formed, split before any rule was written, and diagnosed.

The corpus holds error logs from public issue threads and vendors' troubleshooting pages with the cause
their maintainers state. Its index says which half each case is in; bench/diagnose_accuracy.py prints the
figures of either half. These tests keep the corpus honest (every case readable, its clue in its log, the
halves as the hash split made them) and the tuning half's accuracy from sliding back.
"""

from __future__ import annotations

from collections import Counter

import pytest

from support import accuracy_bench

BENCH = accuracy_bench()
CASES = BENCH.load_cases()


def test_corpus_has_sixty_cases_each_with_its_log_and_clue():
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        text = case.log.read_text(encoding="utf-8")
        assert case.key in text, case.id
        assert case.source.startswith("https://"), case.id
        assert case.expect and all(alternative for alternative in case.expect), case.id
        assert case.cause and case.extra.get("cause_by") in ("maintainer", "docs", "message", "commenter"), case.id
    logs = {path.stem for path in BENCH.CORPUS.glob("*.log")}
    assert logs == {case.id for case in CASES}, "every log has an index entry and every entry a log"


def test_fresh_set_is_well_formed_and_apart_from_the_split():
    fresh = BENCH.load_cases(BENCH.FRESH)
    assert fresh and {case.half for case in fresh} == {"fresh"}
    assert not {case.id for case in fresh} & {case.id for case in CASES}
    assert not {case.source for case in fresh} & {case.source for case in CASES}
    for case in fresh:
        assert case.key in case.log.read_text(encoding="utf-8"), case.id
        assert case.source.startswith("https://") and case.expect and case.cause, case.id
        assert case.extra.get("cause_by") in ("maintainer", "docs", "message", "commenter"), case.id
    logs = {path.stem for path in BENCH.FRESH.parent.glob("*.log")}
    assert logs == {case.id for case in fresh}


HOLDOUT2_MIN_CASES = 40
"""Issue 17: a second held-out set of real logs, measured once at the end (no accuracy threshold here)."""


CAUSE_BY = ("maintainer", "docs", "message", "commenter", "author")
"""Who states a held-out case's cause; ``author`` is the writer of a forum or blog post giving the fix they confirmed
(the fifth set takes such posts)."""


def _page(url):
    """A source without its section anchor: two sections of one page are one page."""
    return url.split("#", 1)[0]


def _assert_well_formed(cases, folder):
    """Every case readable with its clue in its log, nothing a terminal would act on, every field filled, and
    every log in ``folder`` indexed (and every entry with its log)."""
    ids = [case.id for case in cases]
    assert len(set(ids)) == len(ids)
    for case in cases:
        text = case.log.read_text(encoding="utf-8")
        assert case.key in text, case.id
        assert not any(ord(char) < 32 and char not in "\n\t" for char in text), case.id
        assert case.source.startswith("https://") and case.cause, case.id
        assert case.expect and all(alt and all(isinstance(word, str) and word for word in alt)
                                   for alt in case.expect), case.id
        assert case.extra.get("cause_by") in CAUSE_BY, case.id
        assert case.extra.get("framework"), case.id
    logs = {path.stem for path in folder.glob("*.log")}
    assert logs == set(ids), "every log has an index entry and every entry a log"


def _assert_apart(cases, earlier):
    """No id and no source page shared with an earlier set."""
    assert not {case.id for case in cases} & {case.id for case in earlier}
    assert not {_page(case.source) for case in cases} & {_page(case.source) for case in earlier}


def test_second_held_out_set_is_well_formed_and_apart_from_earlier_sets():
    holdout2 = BENCH.load_cases(BENCH.HOLDOUT2)
    assert len(holdout2) >= HOLDOUT2_MIN_CASES
    assert {case.half for case in holdout2} == {"holdout2"}
    _assert_well_formed(holdout2, BENCH.HOLDOUT2.parent)
    _assert_apart(holdout2, CASES + BENCH.load_cases(BENCH.FRESH))


HOLDOUT3_MIN_CASES = 28
"""Issue 17: a third held-out set, one folder per collector, measured once at the end (no accuracy threshold)."""
HOLDOUT4_MIN_CASES = 21
"""Issue 17: a fourth held-out set, laid out as the third, collected once the third had become tuning material.
The target was 28 cases; the two collectors found 21 (7 MindSpore-side, 14 PyTorch-side), so the floor guards
what is there rather than the target."""
HOLDOUT5_MIN_CASES = 26
"""Issue 17: a fifth held-out set, laid out as the third, collected once the fourth had become tuning material, from
issue threads and forum and blog posts (no official documentation page). The target was 28 cases; the two
collectors landed 26 (4 MindSpore-side, 22 PyTorch-side), so the floor guards what is there."""
HOLDOUT6_MIN_CASES = 39
"""Issue 17: a sixth held-out set, laid out as the fifth, collected by three collectors once the fifth had become
tuning material: 39 cases landed (5 MindSpore-side issue threads in ``ms/``, 24 PyTorch-side and serving issue threads
in ``torch/``, 10 forum and blog posts in ``web/``), so the floor guards what is there."""
HOLDOUT7_MIN_CASES = 27
"""Issue 17: a seventh held-out set, laid out as the sixth, collected by three collectors once the sixth had become
tuning material: 27 cases landed (11 PyTorch-side issue threads in ``torch/``, 7 serving issue threads in ``serve/``,
9 MindSpore-side threads and users' notes in ``web/``), so the floor guards what is there."""
HOLDOUT8_MIN_CASES = 36
"""Issue 17: an eighth held-out set, laid out as the seventh, collected by three collectors once the seventh had
become tuning material: 36 cases landed (20 issue threads in ``issues/``, 12 pull-request threads and the issues they
closed in ``pr/``, 4 users' notes in ``web/``), so the floor guards what is there."""
HOLDOUT9_MIN_CASES = 51
"""Issue 17: a ninth held-out set, laid out as the eighth, collected by three collectors once the eighth had become
tuning material: 51 cases landed (24 issue threads of projects that run on the NPU in ``apps/``, 4 issue threads of
the Ascend stack's own repositories in ``stack/``, 20 pull-request threads and 3 users' notes in ``prweb/``), so the
floor guards what is there."""
HOLDOUT10_MIN_CASES = 19
"""Issue 17: a tenth held-out set, laid out as the ninth, collected in a short stretch by three collectors once the
ninth had become tuning material: 19 cases landed (6 issue threads of projects that run on the NPU in ``apps/``, 5
issue threads elsewhere in ``any/``, 8 pull-request threads and users' notes in ``prweb/``), so the floor guards what
is there."""


def _assert_collected_set_well_formed(folder, half, min_cases):
    """A held-out set kept one folder per collector: every index well formed, ids unique across the folders,
    every log beside an index; returns its cases."""
    indexes = BENCH.collector_indexes(folder)
    assert indexes or not min_cases, f"{folder}/<collector>/index.yaml"
    cases = BENCH.load_collected(folder)
    assert len(cases) >= min_cases
    assert {case.half for case in cases} <= {half}
    for index in indexes:
        _assert_well_formed(BENCH.load_cases(index), index.parent)
    ids = [case.id for case in cases]
    assert len(set(ids)) == len(ids), "ids are unique across the collectors' folders"
    unindexed = [path for path in folder.rglob("*.log") if path.parent.joinpath("index.yaml") not in indexes]
    assert not unindexed, f"every {half} log sits beside an index"
    return cases


def test_third_held_out_set_is_well_formed_and_apart_from_earlier_sets():
    holdout3 = _assert_collected_set_well_formed(BENCH.HOLDOUT3, "holdout3", HOLDOUT3_MIN_CASES)
    _assert_apart(holdout3, CASES + BENCH.load_cases(BENCH.FRESH) + BENCH.load_cases(BENCH.HOLDOUT2))


def test_fourth_held_out_set_is_well_formed_one_case_per_thread_and_apart_from_earlier_sets():
    holdout4 = _assert_collected_set_well_formed(BENCH.HOLDOUT4, "holdout4", HOLDOUT4_MIN_CASES)
    pages = [_page(case.source) for case in holdout4]
    assert len(set(pages)) == len(pages), "one case per thread, across the collectors' folders too"
    _assert_apart(holdout4, CASES + BENCH.load_cases(BENCH.FRESH) + BENCH.load_cases(BENCH.HOLDOUT2)
                  + BENCH.load_collected(BENCH.HOLDOUT3))


def test_fifth_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout5 = _assert_collected_set_well_formed(BENCH.HOLDOUT5, "holdout5", HOLDOUT5_MIN_CASES)
    pages = [_page(case.source) for case in holdout5]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout5, CASES + BENCH.load_cases(BENCH.FRESH) + BENCH.load_cases(BENCH.HOLDOUT2)
                  + BENCH.load_collected(BENCH.HOLDOUT3) + BENCH.load_collected(BENCH.HOLDOUT4))


def _earlier_than_holdout6():
    return (CASES + BENCH.load_cases(BENCH.FRESH) + BENCH.load_cases(BENCH.HOLDOUT2)
            + BENCH.load_collected(BENCH.HOLDOUT3) + BENCH.load_collected(BENCH.HOLDOUT4)
            + BENCH.load_collected(BENCH.HOLDOUT5))


def test_sixth_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout6 = _assert_collected_set_well_formed(BENCH.HOLDOUT6, "holdout6", HOLDOUT6_MIN_CASES)
    pages = [_page(case.source) for case in holdout6]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout6, _earlier_than_holdout6())


def test_seventh_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout7 = _assert_collected_set_well_formed(BENCH.HOLDOUT7, "holdout7", HOLDOUT7_MIN_CASES)
    pages = [_page(case.source) for case in holdout7]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout7, _earlier_than_holdout6() + BENCH.load_collected(BENCH.HOLDOUT6))


def test_eighth_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout8 = _assert_collected_set_well_formed(BENCH.HOLDOUT8, "holdout8", HOLDOUT8_MIN_CASES)
    pages = [_page(case.source) for case in holdout8]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout8, _earlier_than_holdout6() + BENCH.load_collected(BENCH.HOLDOUT6)
                  + BENCH.load_collected(BENCH.HOLDOUT7))


def test_ninth_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout9 = _assert_collected_set_well_formed(BENCH.HOLDOUT9, "holdout9", HOLDOUT9_MIN_CASES)
    pages = [_page(case.source) for case in holdout9]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout9, _earlier_than_holdout6() + BENCH.load_collected(BENCH.HOLDOUT6)
                  + BENCH.load_collected(BENCH.HOLDOUT7) + BENCH.load_collected(BENCH.HOLDOUT8))


def test_tenth_held_out_set_is_well_formed_one_case_per_page_and_apart_from_earlier_sets():
    holdout10 = _assert_collected_set_well_formed(BENCH.HOLDOUT10, "holdout10", HOLDOUT10_MIN_CASES)
    pages = [_page(case.source) for case in holdout10]
    assert len(set(pages)) == len(pages), "one case per page, across the collectors' folders too"
    _assert_apart(holdout10, _earlier_than_holdout6() + BENCH.load_collected(BENCH.HOLDOUT6)
                  + BENCH.load_collected(BENCH.HOLDOUT7) + BENCH.load_collected(BENCH.HOLDOUT8)
                  + BENCH.load_collected(BENCH.HOLDOUT9))


def test_a_set_not_collected_yet_has_no_cases_and_measures_as_none(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "missing"
    assert BENCH.collector_indexes(missing) == []
    assert BENCH.load_collected(missing) == []
    # Pointed at a missing folder so that this never measures the real set (it is read once, at the end).
    monkeypatch.setattr(BENCH, "HOLDOUT10", missing)
    assert BENCH.main(["--holdout10", "--json"]) == 0
    assert '"cases": 0' in capsys.readouterr().out


def test_no_source_page_is_in_two_sets():
    sets = {"split": CASES, "fresh": BENCH.load_cases(BENCH.FRESH), "holdout2": BENCH.load_cases(BENCH.HOLDOUT2),
            "holdout3": BENCH.load_collected(BENCH.HOLDOUT3), "holdout4": BENCH.load_collected(BENCH.HOLDOUT4),
            "holdout5": BENCH.load_collected(BENCH.HOLDOUT5), "holdout6": BENCH.load_collected(BENCH.HOLDOUT6),
            "holdout7": BENCH.load_collected(BENCH.HOLDOUT7), "holdout8": BENCH.load_collected(BENCH.HOLDOUT8),
            "holdout9": BENCH.load_collected(BENCH.HOLDOUT9), "holdout10": BENCH.load_collected(BENCH.HOLDOUT10)}
    owners = {}
    for name, cases in sets.items():
        for page in {_page(case.source) for case in cases}:
            owners.setdefault(page, []).append(name)
    assert {page: names for page, names in owners.items() if len(names) > 1} == {}


@pytest.mark.parametrize("half", ["holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8",
                                  "holdout9", "holdout10"])
def test_a_collected_set_reads_every_collectors_index(tmp_path, half):
    for collector, case_id in (("torch", "t_case"), ("ms", "m_case"), ("web", "w_case")):
        (tmp_path / collector).mkdir()
        (tmp_path / collector / "index.yaml").write_text(
            f"cases:\n  - {{id: {case_id}, source: 'https://x/{case_id}', family: f, cause: c, expect: [[w]],"
            f" key: k, half: {half}}}\n", encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("cases: []\n", encoding="utf-8")
    cases = BENCH.load_collected(tmp_path)
    assert [(case.id, case.folder.name, case.half) for case in cases] == [
        ("m_case", "ms", half), ("t_case", "torch", half), ("w_case", "web", half)]


def test_halves_are_the_hash_split_and_hold_every_family_with_two_sources():
    halves = BENCH.assign_halves(CASES)
    assert {case.id: case.half for case in CASES} == halves
    sizes = Counter(halves.values())
    assert abs(sizes["tune"] - sizes["heldout"]) <= 4, sizes
    sources = {}
    for case in CASES:
        sources.setdefault(case.family, set()).add(case.source)
    for family, members in sources.items():
        if len(members) >= 2:
            assert {case.half for case in CASES if case.family == family} == {"tune", "heldout"}, family


def test_cases_of_one_source_share_a_half():
    by_source = {}
    for case in CASES:
        by_source.setdefault(case.source, set()).add(case.half)
    assert all(len(halves) == 1 for halves in by_source.values())


def test_the_split_depends_on_sources_only_not_on_order():
    assert BENCH.assign_halves(list(reversed(CASES))) == BENCH.assign_halves(CASES)


def test_quoting_the_log_is_not_naming_the_cause():
    from mindpilot.validators.findings import Finding

    case = next(case for case in CASES if case.id == "hccl_doc_ei0005_param_inconsistent")
    lines = case.log.read_text(encoding="utf-8").splitlines()
    quoting = Finding(rule="diagnose.unknown_error", severity="error", title="first error: " + lines[0].strip(),
                      file=str(case.log), matched=lines[0])
    naming = Finding(rule="kb.x.y", severity="error", title="collective arguments differ between ranks")
    assert not BENCH.matches(BENCH.answer_text(quoting, lines), case.expect)
    assert BENCH.matches(BENCH.answer_text(naming, lines), case.expect)


TUNE_TOP1_SHARE = 0.80
"""Issue 17: the root cause names the stated cause in at least 80% of the tuning half ..."""
TUNE_WRONG_SHARE = 0.05
"""... and names a wrong cause with confidence in at most 5%."""
TUNE_KEY_LINE_SHARE = 0.80
"""The first finding points at the line holding the clue (measured 29 of 30 when the rules landed)."""


@pytest.fixture(scope="module")
def tune_figures():
    return BENCH.summary(BENCH.run([case for case in CASES if case.half == "tune"]))


def test_tuning_half_names_the_stated_cause_first(tune_figures):
    cases = tune_figures["cases"]
    assert tune_figures["top1"] >= TUNE_TOP1_SHARE * cases, tune_figures
    assert tune_figures["wrong"] <= TUNE_WRONG_SHARE * cases, tune_figures
    assert tune_figures["key_line_shown"] >= TUNE_KEY_LINE_SHARE * cases, tune_figures


SPENT_SETS_TOP1_SHARE = 0.90
"""The first held-out half and the fresh set became tuning material once measured (docs/diagnose-accuracy.md);
the family rules written from them give 30 of 30 and 13 of 13 top-1 with no wrong answer. Held a little below
that, so one case lost to a change elsewhere in the engine shows here as a figure, not as noise."""
SPENT_SETS_WRONG = 0
"""No confident wrong answer on either set (one each before the family rules)."""


@pytest.mark.parametrize("which", ["heldout", "fresh"])
def test_spent_sets_keep_the_figures_the_family_rules_reached(which):
    cases = ([case for case in CASES if case.half == "heldout"] if which == "heldout"
             else BENCH.load_cases(BENCH.FRESH))
    figures = BENCH.summary(BENCH.run(cases))
    assert figures["top1"] >= SPENT_SETS_TOP1_SHARE * figures["cases"], figures
    assert figures["wrong"] <= SPENT_SETS_WRONG, figures
