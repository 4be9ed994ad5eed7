"""PyNative (MindFormers 2.x ``parallelism:``) rules, each on MindFormers' own 8-card DeepSeek-V3 1B config with
one setting changed: the finding MindFormers' error implies, on the line the user wrote, and none when it is right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mindpilot.validators.check import run_check
from mindpilot.validators.check.pynative_layers import stage_ranges
from mindpilot.validators.findings import Severity

BASE = Path(__file__).parent / "data" / "mf2" / "configs" / "deepseek3" / "pretrain_deepseek3_1b_8p_pynative.yaml"
TEXT = BASE.read_text(encoding="utf-8")  # 16 layers + 1 MTP, 4 heads, seq 4096, gbs 8, lbs 1, sequence_parallel true


def variant(tmp_path: Path, *edits: tuple[str, str], name: str = "pretrain_pynative.yaml") -> Path:
    """The base config with each ``(regex, replacement)`` applied once (each must match)."""
    text = TEXT
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
        assert count == 1, pattern
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def findings(path: Path, cards=8, lang="en"):
    return run_check([path], cards=cards, skip_paths=True, lang=lang).findings


def rules(path: Path, cards=8) -> dict[str, Severity]:
    """The parallel rules that fire (the shipped data_path placeholder, reported as such, is left out)."""
    return {f.rule: f.severity for f in findings(path, cards) if f.rule != "paths.placeholder"}


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_shipped_config_is_clean_on_8_and_16_cards_and_notes_an_unknown_card_count(tmp_path):
    placeholders = [(f.key, f.severity) for f in findings(BASE) if f.rule == "paths.placeholder"]
    assert placeholders == [("train_dataset.dataloader.config.data_path.1", Severity.WARNING)]  # "/path/megatron..."
    assert rules(BASE, 8) == {}
    assert rules(BASE, 16) == {"pynative.global_batch": Severity.ERROR}  # gbs 8 < data parallel 16
    assert rules(BASE, None) == {"pynative.cards_unknown": Severity.INFO}


def test_tensor_parallel_needs_sequence_parallel(tmp_path):
    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 2"),
                   (r"sequence_parallel: true", "sequence_parallel: false"))
    hits = [f for f in findings(path) if f.rule == "pynative.tp_needs_sequence_parallel"]
    assert len(hits) == 1 and hits[0].severity is Severity.ERROR
    assert hits[0].line == line_of(path, "sequence_parallel: false")
    fixed = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 2"), name="ok.yaml")
    assert rules(fixed) == {}


def test_the_readme_hybrid_layout_on_16_cards_is_clean(tmp_path):
    """configs/deepseek3/README.md: 16 cards, tensor_parallel 4, expert_parallel 2 (data parallel 4)."""
    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 4"),
                   (r"expert_parallel: 1", "expert_parallel: 2"),
                   (r"global_batch_size: 8", "global_batch_size: 16"))
    assert rules(path, 16) == {}


def test_heads_must_divide_by_tensor_parallel(tmp_path):
    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 8"),
                   (r"global_batch_size: 8", "global_batch_size: 16"))
    hits = [f for f in findings(path, 16) if f.rule == "pynative.heads_tp"]
    assert len(hits) == 1 and "num_attention_heads (4)" in hits[0].detail


@pytest.mark.parametrize("cards, cp, expected", [
    (8, 3, "pynative.cards_not_divisible"),
    (8, 16, "pynative.degrees_exceed_cards"),
])
def test_degrees_against_the_card_count(tmp_path, cards, cp, expected):
    path = variant(tmp_path, (r"context_parallel: 1 ", f"context_parallel: {cp} "),
                   (r"^(\s+num_attention_heads:).*$", r"\1 48"),
                   (r"use_flash_attention: True", "use_flash_attention: True\n  use_attn_mask_compression: True"),
                   (r"seq_length: 4096", "seq_length: 4800"))
    got = rules(path, cards)
    assert got.get(expected) is Severity.ERROR, got


def test_expert_parallel_must_divide_the_sharded_region(tmp_path):
    path = variant(tmp_path, (r"expert_parallel: 1", "expert_parallel: 16"))
    hits = [f for f in findings(path) if f.rule == "pynative.expert_parallel_region"]
    assert len(hits) == 1 and hits[0].line == line_of(path, "expert_parallel: 16")
    assert "ep(16) must divide dp_shard(8) * cp(1) * tp(1) = 8" in hits[0].detail
    assert rules(variant(tmp_path, (r"expert_parallel: 1", "expert_parallel: 8"), name="ep8.yaml")) == {}


def test_hsdp_shard_that_does_not_divide_is_adjusted_and_limits_experts(tmp_path):
    path = variant(tmp_path, (r"data_parallel_shard: -1", "data_parallel_shard: 3"),
                   (r"expert_parallel: 1", "expert_parallel: 8"))
    got = {f.rule: f for f in findings(path)}
    assert got["pynative.dp_shard_adjusted"].severity is Severity.WARNING  # 8 // 3 = 2 replicas of 4
    assert "dp_shard=4, dp_replicate=2" in got["pynative.dp_shard_adjusted"].title
    assert "dp_shard(4)" in got["pynative.expert_parallel_region"].detail


def test_global_batch_must_be_a_multiple_of_data_parallel_times_local_batch(tmp_path):
    path = variant(tmp_path, (r"global_batch_size: 8", "global_batch_size: 12"))
    hit = next(f for f in findings(path) if f.rule == "pynative.global_batch")
    assert hit.line == line_of(path, "global_batch_size: 12") and "global_batch_size: 16" in hit.fix
    zero = variant(tmp_path, (r"local_batch_size: 1", "local_batch_size: 0"), name="zero.yaml")
    assert rules(zero)["pynative.batch_not_positive"] is Severity.ERROR


def test_unknown_keys_and_sections_that_pynative_never_reads(tmp_path):
    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_paralel: 1"),
                   (r"^# dataset", "recompute_config:\n  recompute: True\n# dataset"))
    got = {f.rule: f for f in findings(path)}
    assert got["pynative.unknown_key"].severity is Severity.ERROR
    assert "Unknown configuration keys for ParallelismConfig: ['tensor_paralel']" in got["pynative.unknown_key"].detail
    assert got["pynative.unknown_key"].line == line_of(path, "tensor_paralel")
    assert got["pynative.legacy_section_ignored"].severity is Severity.WARNING
    assert "did you mean tensor_parallel?" in got["pynative.unknown_key"].title


def test_a_key_no_release_we_know_has_is_a_warning_not_an_error(tmp_path):
    """A newer MindFormers may add keys; only a misspelling of a known key is sure to be rejected."""
    path = variant(tmp_path, (r"^(  sequence_parallel: true.*)$", r"\1\n  hccl_buffer_size_mb: 200"))
    hits = [f for f in findings(path) if f.rule == "pynative.unknown_key"]
    assert len(hits) == 1 and hits[0].severity is Severity.WARNING and "newer than 2.1" in hits[0].fix


@pytest.mark.parametrize("pp, value, expected", [
    (2, None, None),                       # key absent: auto, 16 layers over 2 stages
    (3, None, "pynative.layers_not_divisible"),
    (2, "null", "pynative.layers_per_stage_missing"),
    (3, "['0-5', '6-10', '11-15']", None),
    (3, "['0-7', '8-15']", "pynative.layers_per_stage_invalid"),
    (2, "['0-7', '9-8']", "pynative.layers_per_stage_invalid"),
    (2, "['0-7,8-9', '10-15']", "pynative.layers_per_stage_invalid"),
])
def test_pipeline_layers_per_stage(tmp_path, pp, value, expected):
    edits = [(r"pipeline_parallel: 1 ", f"pipeline_parallel: {pp} "),
             (r"global_batch_size: 8", "global_batch_size: 24")]
    line = r"^  pipeline_parallel_layers_per_stage: null\n"
    edits.append((line, "" if value is None else f"  pipeline_parallel_layers_per_stage: {value}\n"))
    got = {f.rule for f in findings(variant(tmp_path, *edits), cards=pp * 4) if f.severity is Severity.ERROR}
    assert got == ({expected} if expected else set())


def test_stage_ranges_cover_every_layer_once():
    assert stage_ranges(16, 3) == ["0-4", "5-10", "11-15"]
    assert stage_ranges(61, 4, 2) == ["0-6,31-38", "7-14,39-46", "15-22,47-53", "23-30,54-60"]
    for layers, pp, interleave in ((43, 8, 1), (16, 2, 2), (5, 5, 1)):
        covered = [i for entry in stage_ranges(layers, pp, interleave) for chunk in entry.split(",")
                   for i in range(int(chunk.split("-")[0]), int(chunk.split("-")[-1]) + 1)]
        assert sorted(covered) == list(range(layers))


@pytest.mark.parametrize("block, expected", [
    ("mode: full\n  full_recompute_layer: ['0-16']", None),   # 16 layers + 1 MTP layer: 16 is the MTP layer
    ("mode: full\n  full_recompute_layer: ['0-17']", "pynative.recompute_layers"),
    ("mode: full\n  full_recompute_layer: ['0-3', '3-5']", "pynative.recompute_layers"),
    ("mode: full\n  full_recompute_layer: [first]", "pynative.recompute_layers"),
    ("mode: full", "pynative.recompute_empty"),
    ("mode: select", "pynative.recompute_empty"),
    ("mode: select\n  select_module: {'self_attention': ['0-3']}", None),
    ("mode: Full", "pynative.recompute_mode"),
    ("mode: 'None'\n  full_recompute_layer: ['0-99']", None),
])
def test_recompute(tmp_path, block, expected):
    path = variant(tmp_path, (r"^# dataset", f"recompute:\n  {block}\n# dataset"))
    got = [f for f in findings(path) if f.severity is Severity.ERROR]
    assert {f.rule for f in got} == ({expected} if expected else set())
    if expected == "pynative.recompute_empty":  # the fix names the key the mode reads
        assert ("select_module" if "select" in block else "full_recompute_layer") in got[0].fix


@pytest.mark.parametrize("extra, expected", [
    ("context_parallel_method: colossal", {"pynative.cp_needs_mask_compression"}),
    ("context_parallel_method: ring", {"pynative.cp_method"}),
    ("context_parallel_method: hybrid", {"pynative.cp_needs_mask_compression", "pynative.cp_ulysses_degree"}),
    ("context_parallel_method: ulysses\n  ulysses_degree_in_cp: 1", {"pynative.cp_needs_mask_compression",
                                                                     "pynative.cp_ulysses_degree"}),
])
def test_context_parallel(tmp_path, extra, expected):
    path = variant(tmp_path, (r"context_parallel: 1 ", "context_parallel: 2 "),
                   (r"^  context_parallel_method: colossal .*$", f"  {extra}"))
    assert {f.rule for f in findings(path) if f.severity is Severity.ERROR} == expected
    compressed = variant(tmp_path, (r"context_parallel: 1 ", "context_parallel: 2 "),
                         (r"use_flash_attention: True", "use_flash_attention: True\n  use_attn_mask_compression: True"),
                         name="compressed.yaml")
    assert rules(compressed) == {}


def test_deredundancy_dispatcher_needs_expert_parallel_of_a_whole_server(tmp_path):
    path = variant(tmp_path, (r'moe_token_dispatcher_type: "alltoall"',
                              'moe_token_dispatcher_type: "alltoall_deredundancy"'))
    assert rules(path)["pynative.deredundancy_needs_ep"] is Severity.ERROR


def test_every_pynative_text_is_filled_in_both_languages(tmp_path):
    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 3"),
                   (r"sequence_parallel: true", "sequence_parallel: no"),
                   (r"expert_parallel: 1", "expert_parallel: 5"), (r"global_batch_size: 8", "global_batch_size: 7"),
                   (r"^# dataset", "recompute:\n  mode: full\n  full_recompute_layer: ['40']\n# dataset"))
    for lang in ("en", "zh"):
        found = [f for f in findings(path, cards=12, lang=lang) if f.rule.startswith("pynative.")]
        assert len(found) >= 4
        for finding in found:
            for text in (finding.title, finding.detail or "", finding.fix or ""):
                assert not re.search(r"\{[a-z_]+\}", text), (finding.rule, text)


@pytest.mark.parametrize("head, expected", [
    ("run_mode: finetune\n", "pynative.run_mode"),
    ("run_mode: predict\n", "pynative.run_mode"),
    ("run_mode: predict\ninference:\n  max_new_tokens: 16\n", None),
    ("run_mode: train\n", None),
])
def test_run_mode(tmp_path, head, expected):
    path = variant(tmp_path, (r"\A", head))
    assert {f.rule for f in findings(path) if f.severity is Severity.ERROR} == ({expected} if expected else set())


@pytest.mark.parametrize("edit, rule", [
    ((r"tensor_parallel: 1", "tensor_parallel: 0"), "pynative.degree_invalid"),
    ((r"data_parallel_shard: -1", "data_parallel_shard: -2"), "pynative.degree_invalid"),
    ((r"pipeline_parallel: 1 ", "pipeline_parallel: '2' "), "pynative.degree_invalid"),
    ((r"^# dataset", "swap:\n  enable: True\n# dataset"), None),
])
def test_degrees_must_be_positive_integers_and_swap_needs_one_stage(tmp_path, edit, rule):
    path = variant(tmp_path, edit)
    assert {f.rule for f in findings(path) if f.severity is Severity.ERROR} == ({rule} if rule else set())
    if rule is None:
        staged = variant(tmp_path, edit, (r"pipeline_parallel: 1 ", "pipeline_parallel: 2 "), name="pp2.yaml")
        assert "pynative.swap_with_pp" in {f.rule for f in findings(staged)}


def test_hostile_numbers_are_findings_in_bounded_time(tmp_path):
    """Configs are untrusted: huge degrees, layer counts and layer ids give findings, not a hang or a traceback."""
    import time

    path = variant(tmp_path, (r"tensor_parallel: 1", "tensor_parallel: 1000000007"),
                   (r"pipeline_parallel: 1 ", "pipeline_parallel: 999999937 "),
                   (r"^(\s+num_attention_heads:).*$", r"\1 999999999989"),
                   (r"^(\s+num_hidden_layers:).*$", r"\1 999999999999"),
                   (r"^# dataset", "recompute:\n  mode: full\n  full_recompute_layer: ['" + "9" * 5000
                    + "']\n# dataset"))
    start = time.perf_counter()
    got = {f.rule for f in findings(path, cards=8)}
    assert time.perf_counter() - start < 10
    assert {"pynative.degrees_exceed_cards", "pynative.heads_tp", "pynative.layers_per_stage_missing",
            "pynative.recompute_layers"} <= got


def test_a_launch_script_gives_the_pynative_world_size(tmp_path):
    flash = Path(__file__).parent / "data" / "mf2" / "configs-2.1.0" / "deepseek4" / "pretrain_deepseek4_flash.yaml"
    script = tmp_path / "run.sh"
    script.write_text(f"msrun --worker_num=12 --local_worker_num=8 --master_port=8118 run_mindformer.py "
                      f"--config {flash}\n", encoding="utf-8")
    report = run_check([script, flash], skip_paths=True)
    got = {f.rule for f in report.findings}
    assert {"pynative.expert_parallel_region", "pynative.global_batch"} <= got
    assert "pynative.cards_unknown" not in got
    script.write_text(f"msrun --worker_num=8 --local_worker_num=8 run_mindformer.py --config {flash}\n",
                      encoding="utf-8")
    assert [f for f in run_check([script, flash], skip_paths=True).findings if f.severity is Severity.ERROR] == []


@pytest.mark.parametrize("schedule, expected", [
    ("1F1B", None), ("gpipe", None), ("zero_bubble_v", "pynative.pp_schedule"), ("auto", "pynative.pp_schedule"),
])
def test_pipeline_schedule(tmp_path, schedule, expected):
    path = variant(tmp_path, (r"pipeline_parallel: 1 ", "pipeline_parallel: 2 "),
                   (r'pipeline_parallel_schedule: "1f1b"', f'pipeline_parallel_schedule: "{schedule}"'),
                   (r"^  pipeline_parallel_layers_per_stage: null\n", ""))
    got = {f.rule for f in findings(path, cards=8) if f.severity is Severity.ERROR}
    assert got == ({expected} if expected else set())
