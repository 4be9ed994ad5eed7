"""The seed's own 2-card Qwen2.5-7B YAML (seed 000, appendix 2): clean on 2 cards, and every mistake the
seeds describe, put back into it one at a time, is reported on the right line with the right fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.findings import Severity

SEED = Path(__file__).parent / "data" / "check" / "qwen2_5_7b_2cards.yaml"


def _errors(findings):
    return [f for f in findings if f.severity is Severity.ERROR]


def test_seed_yaml_has_no_error_on_two_cards_only_placeholder_warnings():
    findings = check_files([SEED], cards=2, hbm_gb=64)
    assert _errors(findings) == []
    placeholders = sorted(f.line for f in findings if f.rule == "paths.placeholder")
    assert placeholders == [8, 55]
    assert all(f.severity is Severity.WARNING for f in findings if f.rule == "paths.placeholder")


def _mutate(tmp_path: Path, replacements: list[tuple[str, str]]) -> tuple[Path, dict[str, int]]:
    """Apply (old line start, new line) replacements; return the file and the 1-based line of each new line."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    where: dict[str, int] = {}
    for old, new in replacements:
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(old))
        lines[index] = lines[index][: len(lines[index]) - len(lines[index].lstrip())] + new
        where[new] = index + 1
    path = tmp_path / "finetune_qwen2_5_7b_2cards.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, where


CASES = [
    # (id, replacements, cards, hbm, rule, the replacement whose line is reported, text the fix must contain)
    ("recompute-list-longer-than-pp", [("recompute: [7]", "recompute: [7, 7]")], 2, 64,
     "recompute.list_too_long", "recompute: [7, 7]", "recompute: [14]"),
    ("select-recompute-list-longer-than-pp", [("'feed_forward\\.mul'", "'feed_forward\\.mul': [14, 14]")], 2, 64,
     "recompute.pattern_list_too_long", "'feed_forward\\.mul': [14, 14]", "[28]"),
    ("product-not-cards", [("data_parallel:", "data_parallel: 2")], 2, 64,
     "parallel.product_mismatch", "data_parallel: 2", "data_parallel: 1"),
    ("2-card-yaml-on-8-cards", [], 8, 64, "parallel.product_mismatch", "data_parallel:", "data_parallel: 4"),
    ("llamaconfig-for-qwen2", [("type: Qwen2Config", "type: LlamaConfig")], 2, 64,
     "model.config_arch_mismatch", "type: LlamaConfig", "type: Qwen2Config"),
    ("58gb-on-a-32gb-card", [], 2, 32, "memory.max_device_memory_above_hbm", "max_device_memory:", "30GB"),
    ("flase", [("use_parallel:", "use_parallel: Flase")], 2, 64,
     "yaml.string_not_bool", "use_parallel: Flase", "use_parallel: True"),  # product 2: parallel is meant
    ("1e-7-is-a-string", [("lr_end:", "lr_end: 1e-7")], 2, 64, "yaml.float_as_string", "lr_end: 1e-7", "lr_end: 1.0e-7"),
    ("micro-batch-interleave-inside-parallel-config", [("micro_batch_num:", "micro_batch_interleave_num: 2")], 2, 64,
     "parallel.unknown_key", "micro_batch_interleave_num: 2", "micro_batch_interleave_num"),
    ("micro-batch-below-pp", [("model_parallel:", "model_parallel: 1"), ("pipeline_stage:", "pipeline_stage: 2"),
                              ("micro_batch_num:", "micro_batch_num: 1")], 2, 64,
     "parallel.micro_batch_lt_pp", "micro_batch_num: 1", "micro_batch_num: 2"),
    ("kv-heads-vs-mp", [("model_parallel:", "model_parallel: 8")], 8, 64,
     "parallel.kv_heads_mp", "model_parallel: 8", "1, 2, 4"),
    ("offset-sum", [("model_parallel:", "model_parallel: 1"), ("pipeline_stage:", "pipeline_stage: 2"),
                    ("seq_length:", "offset: [1, 0]")], 2, 64, "model.offset_sum", "offset: [1, 0]", "offset: [0, 0]"),
    ("cp-without-flash", [("model_parallel:", "context_parallel: 2"), ("use_flash_attention:", "use_flash_attention: False")],
     2, 64, "parallel.cp_needs_flash", "use_flash_attention: False", "use_flash_attention: True"),
    ("layers-fewer-than-pp", [("model_parallel:", "model_parallel: 1"), ("pipeline_stage:", "pipeline_stage: 32"),
                              ("micro_batch_num:", "micro_batch_num: 32")], 32, 64,
     "model.layers_lt_pp", "pipeline_stage: 32", "28"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_seed_mistake_is_reported_on_its_line_with_the_fix(tmp_path, case):
    _, replacements, cards, hbm, rule, marker, fix_text = case
    path, where = _mutate(tmp_path, replacements)
    findings = check_files([path], cards=cards, hbm_gb=hbm)
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"{rule} not reported; got {[f.rule for f in findings]}"
    hit = hits[0]
    expected_line = where.get(marker) or next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip().startswith(marker))
    assert hit.line == expected_line
    assert hit.file == str(path)
    assert fix_text in hit.fix or fix_text in hit.detail
    assert hit.source


def test_llamaconfig_with_hf_kv_key_is_an_error_because_llamaconfig_reads_n_kv_heads(tmp_path):
    path, where = _mutate(tmp_path, [("type: Qwen2Config", "type: LlamaConfig"),
                                     ("type: Qwen2ForCausalLM", "type: LlamaForCausalLM")])
    findings = check_files([path], cards=2, hbm_gb=64)
    ignored = [f for f in findings if f.rule == "model.key_ignored" and f.severity is Severity.ERROR]
    assert [f.key for f in ignored] == ["num_key_value_heads"]
    assert "n_kv_heads: 4" in ignored[0].fix
    assert not any(f.rule == "model.config_arch_mismatch" for f in findings)


def test_missing_checkpoint_is_an_error_unless_paths_are_skipped(tmp_path):
    path, where = _mutate(tmp_path, [("load_checkpoint:", "load_checkpoint: /nonexistent/qwen2_5_7b.ckpt")])
    missing = [f for f in check_files([path], cards=2) if f.rule == "paths.missing"]
    assert [(f.line, f.severity) for f in missing] == [(where["load_checkpoint: /nonexistent/qwen2_5_7b.ckpt"],
                                                        Severity.ERROR)]
    assert not [f for f in check_files([path], cards=2, skip_paths=True) if f.rule == "paths.missing"]


def test_checkpoint_named_like_a_file_that_is_a_directory(tmp_path):
    folder = tmp_path / "qwen2_5_ms.ckpt"
    folder.mkdir()
    path, _ = _mutate(tmp_path, [("load_checkpoint:", f"load_checkpoint: {folder}")])
    rules = {f.rule for f in check_files([path], cards=2)}
    assert "paths.expected_file" in rules


def test_chinese_findings_are_chinese(tmp_path):
    path, _ = _mutate(tmp_path, [("data_parallel:", "data_parallel: 2")])
    hit = next(f for f in check_files([path], cards=2, lang="zh") if f.rule == "parallel.product_mismatch")
    assert "张卡" in hit.title and "改成" in hit.fix


def test_mcore_yaml_without_numbers_uses_the_catalogue_for_heads(tmp_path):
    path = tmp_path / "finetune_qwen3.yaml"
    path.write_text("use_parallel: True\nrun_mode: 'finetune'\nuse_legacy: False\n"
                    "pretrained_model_dir: '/models/Qwen3-32B'\nparallel_config:\n  data_parallel: 1\n"
                    "  model_parallel: 16\n  pipeline_stage: 1\n  use_seq_parallel: True\n", encoding="utf-8")
    hits = [f for f in check_files([path], cards=16, skip_paths=True) if f.rule == "parallel.kv_heads_mp"]
    assert len(hits) == 1 and hits[0].line == 7
    assert "qwen3-32b" in hits[0].detail and "8" in hits[0].title


def test_numbers_copied_from_another_model_are_flagged(tmp_path):
    path, where = _mutate(tmp_path, [("num_layers:", "num_layers: 32")])
    hits = [f for f in check_files([path], cards=2) if f.rule == "model.numbers_differ"]
    assert len(hits) == 1 and hits[0].line == where["num_layers: 32"] and "28" in hits[0].title


@pytest.mark.parametrize("typo, cards, parallel", [("Flase", 2, "model_parallel: 2"), ("Ture", 2, "model_parallel: 2"),
                                                   ("Flase", 1, "model_parallel: 1")])
def test_the_fix_for_a_misspelt_use_parallel_leads_to_a_clean_check(tmp_path, typo, cards, parallel):
    path, where = _mutate(tmp_path, [("use_parallel:", f"use_parallel: {typo}"), ("model_parallel:", parallel)])
    typo_line = where[f"use_parallel: {typo}"]
    hits = [f for f in check_files([path], cards=cards, hbm_gb=64) if f.rule == "yaml.string_not_bool"]
    assert [f.line for f in hits] == [typo_line]
    fixed_line = hits[0].fix.split(": ", 1)[1]  # "change it to: use_parallel: True", as the user reads it
    assert fixed_line == ("use_parallel: True" if cards > 1 else "use_parallel: False")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[typo_line - 1] = fixed_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    def warnings(file, card_count):
        return {f.rule for f in check_files([file], cards=card_count, hbm_gb=64)
                if f.severity in (Severity.ERROR, Severity.WARNING)}

    assert warnings(path, cards) == warnings(SEED, 2)  # only what the seed itself is warned about is left


def test_every_fix_of_the_demo_yaml_applied_as_written_leads_to_a_clean_check(tmp_path):
    demo = Path(__file__).parent.parent / "tui" / "demo" / "finetune_qwen2_5_7b.yaml"
    path = tmp_path / demo.name
    path.write_text(demo.read_text(encoding="utf-8"), encoding="utf-8")
    findings = check_files([path], cards=2, hbm_gb=64, skip_paths=True)
    assert len(findings) == 3  # the three mistakes the demo starts with
    lines = path.read_text(encoding="utf-8").splitlines()
    for finding in findings:
        fixed = finding.fix.split(": ", 1)[1].split(" (or run ", 1)[0]  # "change it to: X (or run ...)"
        old = lines[finding.line - 1]
        lines[finding.line - 1] = old[: len(old) - len(old.lstrip())] + fixed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [(f.rule, f.line) for f in check_files([path], cards=2, hbm_gb=64, skip_paths=True)] == []
