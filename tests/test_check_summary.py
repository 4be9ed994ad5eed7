"""QA: the one-line summary ``check`` prints on stderr: right plurals, short for many files, 80 columns."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from support import run_cli

SEED_YAML = Path(__file__).parent / "data" / "check" / "qwen2_5_7b_2cards.yaml"


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def summary(done) -> str:
    return done.stderr.strip()


def test_singular_and_plural(tmp_path):
    target = tmp_path / "finetune.yaml"
    target.write_text(SEED_YAML.read_text(encoding="utf-8"), encoding="utf-8")
    done = run_cli("check", str(target), "--cards", "8", "--skip-paths", "--lang", "en")
    text = summary(done)
    assert "1 error," in text and "1 errors" not in text, text


def test_many_files_are_counted_per_kind_and_every_line_fits(tmp_path):
    files = []
    for index in range(5):
        target = tmp_path / f"finetune_{index}.yaml"
        target.write_text(SEED_YAML.read_text(encoding="utf-8"), encoding="utf-8")
        files.append(str(target))
    for lang, words in (("en", "5 files (mindformers 5)"), ("zh", "5 个文件（mindformers 5）")):
        done = run_cli("check", *files, "--cards", "2", "--skip-paths", "--lang", lang)
        text = summary(done)
        assert words in text, text
        assert "finetune_3.yaml" not in text
        assert all(columns(line) <= 80 for line in text.splitlines()), text


def test_the_fix_names_the_real_file_quoted_for_the_shell(tmp_path):
    target = tmp_path / "my finetune.yaml"
    text = SEED_YAML.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    for lang in ("en", "zh"):
        done = run_cli("check", str(target), "--cards", "8", "--skip-paths", "--lang", lang)
        assert f"mindpilot check --fix '{target}' --cards 8" in done.stdout, done.stdout
        assert "FILE" not in done.stdout and "--fix 文件" not in done.stdout
