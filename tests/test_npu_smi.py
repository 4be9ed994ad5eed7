"""``npu-smi info`` parsing: every layout in the reference, plus process tables and bad health."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mindpilot.validators.probe.npu_smi import parse_npu_smi

DATA = Path(__file__).parent / "data" / "doctor" / "npu_smi"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_910b_driver_24_1_has_two_cards_with_hbm():
    info = parse_npu_smi(read("910b_driver_24.1.0.txt"))
    assert info.version == "24.1.0"
    assert [(n.id, n.chip, n.name, n.health) for n in info.npus] == [(0, 0, "910B", "OK"), (1, 0, "910B", "OK")]
    assert [(n.hbm_used_mb, n.hbm_total_mb) for n in info.npus] == [(1365, 32768), (4, 32768)]
    assert [(n.memory_used_mb, n.memory_total_mb) for n in info.npus] == [(1197, 13553), (2411, 15665)]
    assert info.npus[0].bus_id == "0000:C1:00.0"


def test_910b4_numbering_need_not_start_at_zero():
    info = parse_npu_smi(read("910b4_npu2.txt"))
    assert info.version is None
    assert [(n.id, n.name, n.hbm_used_mb, n.hbm_total_mb) for n in info.npus] == [(2, "910B4", 2858, 32768)]


def test_310p_has_no_hbm_and_its_process_table_is_not_a_card():
    info = parse_npu_smi(read("310p3_with_process_table.txt"))
    assert info.version == "25.3.rc1"
    assert len(info.npus) == 1
    npu = info.npus[0]
    assert (npu.id, npu.chip, npu.name, npu.health) == (6, 0, "310P3", "OK")
    assert npu.hbm_total_mb is None and npu.hbm_used_mb is None
    assert (npu.memory_used_mb, npu.memory_total_mb) == (1839, 21525)
    assert info.processes == []


def test_process_table_rows_and_unhealthy_cards():
    info = parse_npu_smi(read("busy_and_unhealthy_910b.txt"))
    assert [n.health for n in info.npus] == ["OK", "Warning"]
    assert info.npus[0].hbm_used_mb == 58211
    assert [(p.npu, p.pid, p.name, p.memory_mb) for p in info.processes] == [(0, 48213, "python3.10", 54889)]


def test_every_layout_in_the_reference_parses(shared_dir):
    text = (shared_dir / "reference" / "npu-smi.md").read_text(encoding="utf-8")
    tables = [block for block in re.findall(r"```\n(.*?)```", text, re.S) if "NPU" in block and "Health" in block]
    assert len(tables) >= 3
    for table in tables:
        info = parse_npu_smi(table)
        assert info.npus, table
        for npu in info.npus:
            assert npu.health == "OK"
            assert npu.name[:3] in ("910", "310")


@pytest.mark.parametrize("text", ["", "npu-smi: command not found", "+----+\n| garbage | here |\n+----+"])
def test_garbage_gives_no_cards_and_no_error(text):
    assert parse_npu_smi(text).npus == []


def test_demo_tree_has_eight_910b_with_64_gb():
    from mindpilot.validators.probe import demo_root

    info = parse_npu_smi((demo_root() / "npu-smi-info.txt").read_text(encoding="utf-8"))
    assert len(info.npus) == 8
    assert {n.hbm_total_mb for n in info.npus} == {65536}
    assert [n.id for n in info.npus] == list(range(8))


def test_a3_boards_list_two_chips_per_npu():
    # Layout as pasted in vllm-project/vllm-ascend issues #2035 / #2082 (Atlas A3, "Chip  Phy-ID" header).
    info = parse_npu_smi(read("a3_ascend910_two_chips_per_npu.txt"))
    assert info.version == "24.1.rc3.7"
    assert [(n.id, n.chip, n.name) for n in info.npus] == [(0, 0, "Ascend910"), (0, 1, "Ascend910"),
                                                           (1, 0, "Ascend910"), (1, 1, "Ascend910")]
    assert [n.hbm_used_mb for n in info.npus] == [3412, 3196, 3414, 3193]
    assert {n.hbm_total_mb for n in info.npus} == {65536}
