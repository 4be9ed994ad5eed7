"""The Plan step's candidate text (``tui/candidate_view.py``) on the real planner's candidates."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from mindpilot.tui import candidate_view, core

pytest.importorskip("mindpilot.presets.planner")


def _rows(lines: list[str], width: int) -> int:
    return sum(max(1, -(-cell_len(line) // width)) for line in lines)


@pytest.fixture(scope="module")
def candidates() -> list[dict]:
    return core.plan("qwen2.5-7b", 8, 32.0, 4096, "en", "mindformers", 1)


@pytest.mark.parametrize("width, rows", [(78, 3), (78, 4), (40, 4), (120, 6)])
def test_details_keep_reasons_whole_and_within_the_pane(candidates, width, rows):
    candidate = candidates[1]
    lines = candidate_view.detail_lines(candidate, width, rows)
    reasons = [line[2:] for line in lines if line.startswith("· ")]
    assert lines[0].startswith("recompute: ") and any(line.startswith("GB: ") for line in lines)
    assert all(reason in candidate["reasons"] for reason in reasons)  # whole, never cut
    assert reasons == candidate["reasons"][:len(reasons)]  # in the planner's order
    fixed = [line for line in lines if not line.startswith("· ")]
    assert _rows(lines, width) <= max(rows, _rows(fixed, width))


def test_why_it_does_not_fit_comes_first(candidates):
    candidate = dict(candidates[0], fits=False, reasons=["needs 40 GB of 29 GB usable", "try pp 2"])
    lines = candidate_view.detail_lines(candidate, 78, 3)
    assert lines[0] == "· needs 40 GB of 29 GB usable"


def test_memory_terms_break_before_a_plus_only(candidates):
    lines = candidate_view.detail_lines(candidates[0], 30, 3)
    terms = [line for line in lines if line.startswith(("GB: ", "    + "))]
    assert len(terms) > 1 and all(cell_len(line) <= 30 for line in terms)
    total = candidates[0]["memory_gb_per_card"]["total"]
    assert terms[-1].endswith(f"= {total:.1f}")


def test_mindspeed_details_name_the_script_values_and_convert_arguments():
    candidate = core.plan("qwen2.5-7b", 8, 64.0, 4096, "en", "mindspeed-llm", 1)[0]
    lines = candidate_view.detail_lines(candidate, 78, 4)
    assert lines[0].startswith(f"TP {candidate['mindspeed']['TP']}  PP {candidate['mindspeed']['PP']}")
    assert lines[1] == "convert_ckpt.py " + " ".join(candidate["mindspeed"]["convert_args"])


def test_table_row_and_bar(candidates):
    row = candidate_view.table_row(1, candidates[0], 32.0, lambda key: key)
    parts = core.layout(candidates[0])
    assert row[:6] == ["1"] + [str(parts[key]) for key in candidate_view.LAYOUT_COLUMNS]
    assert row[-1] == "yes" and row[-2].startswith("█") and len(row[-2]) == candidate_view.BAR_WIDTH
    assert candidate_view.memory_bar(40.0, 29.0) == "█" * 10 + "!"
    assert candidate_view.memory_bar(None, 29.0) == ""


def test_a_replan_keeps_the_chosen_layout(candidates):
    assert candidate_view.same_layout_row(candidates, dict(candidates[2])) == 2
    assert candidate_view.same_layout_row(candidates, None) == 0
