"""QA: ``mindpilot plan`` text stays aligned, within 80 columns, and in the user's language."""

from __future__ import annotations

import unicodedata

import pytest

from mindpilot.exit_codes import ExitCode
from tests.support import run_cli


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def bar_columns(text: str) -> list[int]:
    """The terminal column where each table row's memory bar starts."""
    return [columns(line[: line.index("[")]) for line in text.splitlines() if "[" in line and "/" in line
            and line[:2].strip().isdigit()]


@pytest.mark.parametrize("args", [
    ("--model", "Qwen3-30B-A3B", "--cards", "32", "--seq-len", "8192", "--lang", "en"),   # cp2 ep32 labels
    ("--model", "qwen2.5-7b", "--cards", "8", "--hbm", "64", "--lang", "zh"),            # 全量 11 选择 17
    ("--model", "qwen2.5-7b", "--cards", "8", "--framework", "mindrlhf-grpo", "--lang", "en"),
])
def test_table_rows_align_and_every_line_fits_80_columns(args):
    done = run_cli("plan", *args)
    assert done.returncode == ExitCode.OK, done.stderr
    starts = bar_columns(done.stdout)
    assert len(starts) == 5 and len(set(starts)) == 1, done.stdout
    wide = [line for line in done.stdout.splitlines() if columns(line) > 80]
    assert wide == []


def test_memory_terms_are_chinese_with_lang_zh():
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--lang", "zh")
    assert done.returncode == ExitCode.OK, done.stderr
    block = done.stdout.split("每卡显存（", 1)[1].split("理由", 1)[0]
    assert "权重" in block and "梯度" in block
    assert "weights" not in block and "not sharded" not in block


def test_apply_warns_when_the_written_plan_does_not_fit_memory(tmp_path, shared_dir):
    """Seed 000 appendix 2: Qwen2.5-7B full fine-tuning on 2 cards of 64 GB does not fit; say so."""
    seed = next((shared_dir / "seeds").glob("000_*.txt")).read_text(encoding="utf-8")
    yaml_text = seed.split("# 附录2", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    target = tmp_path / "finetune.yaml"
    target.write_text(yaml_text, encoding="utf-8")
    for lang, words in (("en", ("nothing written", "64.1", "58.0")), ("zh", ("没有写入", "64.1", "58.0"))):  # seq 8192
        done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "2", "--apply", str(target), "--lang", lang)
        assert done.returncode == ExitCode.FINDINGS, done.stderr  # refused: it does not fit
        refusal = [line for line in done.stderr.splitlines() if words[0] in line]
        assert len(refusal) == 1 and all(word in refusal[0] for word in words) and "--force" in refusal[0]
        assert target.read_text(encoding="utf-8") == yaml_text and not (tmp_path / "finetune.yaml.bak").exists()
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "2", "--apply", str(target), "--force", "--lang", "en")
    assert done.returncode == ExitCode.FINDINGS  # written as asked, but still no layout that fits
    warning = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1 and "64.1" in warning[0] and "wrote candidate 1" in done.stderr
    assert (tmp_path / "finetune.yaml.bak").read_text(encoding="utf-8") == yaml_text
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--dry-run")
    assert "warning" not in done.stderr and done.returncode == ExitCode.OK


def test_check_fix_warns_too_when_the_best_plan_does_not_fit(tmp_path, shared_dir):
    seed = next((shared_dir / "seeds").glob("000_*.txt")).read_text(encoding="utf-8")
    yaml_text = seed.split("# 附录2", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    target = tmp_path / "finetune.yaml"
    target.write_text(yaml_text, encoding="utf-8")
    done = run_cli("check", str(target), "--fix", "--cards", "2", "--hbm", "64", "--lang", "en")
    assert "warning: the best plan" in done.stderr and "out-of-memory" in done.stderr, done.stderr
    assert (tmp_path / "finetune.yaml.bak").read_text(encoding="utf-8") == yaml_text
    done = run_cli("check", str(target), "--fix", "--cards", "8", "--hbm", "64", "--dry-run", "--lang", "en")
    assert "warning: the best plan" not in done.stderr


def test_apply_plans_for_the_yaml_s_sequence_length_unless_told_otherwise():
    from pathlib import Path
    import json

    target = Path(__file__).parent / "data" / "plan" / "finetune_qwen2_5_7b_8k.yaml"
    args = ("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--dry-run", "--json")
    assert json.loads(run_cli(*args).stdout)["seq_len"] == 8192
    assert json.loads(run_cli(*args, "--seq-len", "4096").stdout)["seq_len"] == 4096
    assert json.loads(run_cli("plan", "--model", str(target), "--cards", "8", "--json").stdout)["seq_len"] == 8192
    assert json.loads(run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--json").stdout)["seq_len"] == 4096
