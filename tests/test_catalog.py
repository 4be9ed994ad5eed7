"""The finding catalogue and the data loader: bilingual texts, and errors that name file, line, key."""

from __future__ import annotations

import pytest

from mindpilot.validators.catalog import Catalog, load_catalog
from mindpilot.datafiles import DataFileError


def test_shipped_catalogue_loads_and_every_text_is_bilingual():
    rules = load_catalog().rules
    assert len(rules) > 50
    for rule_id, text in rules.items():
        assert text.title.zh.strip() and text.title.en.strip(), rule_id
        if text.fix is not None:
            assert text.fix.zh.strip() and text.fix.en.strip(), rule_id


def test_finding_fills_placeholders_in_the_chosen_language(tmp_path):
    (tmp_path / "demo.yaml").write_text(
        "- rule: demo.cards\n"
        "  severity: error\n"
        "  title: {zh: '需要 {cards} 张卡', en: 'needs {cards} cards'}\n"
        "  fix: {zh: '改为 {cards}', en: 'set it to {cards}'}\n"
        "  source: here\n", encoding="utf-8")
    cat = load_catalog(tmp_path)
    zh = cat.finding("demo.cards", "zh", cards=8, file="a.yaml", line=3)
    en = cat.finding("demo.cards", "en", cards=8)
    assert (zh.title, zh.fix, zh.file, zh.line) == ("需要 8 张卡", "改为 8", "a.yaml", 3)
    assert (en.title, en.severity.value, en.source) == ("needs 8 cards", "error", "here")


def test_missing_translation_names_file_line_and_key(tmp_path):
    (tmp_path / "demo.yaml").write_text(
        "- rule: demo.ok\n  severity: info\n  title: {zh: 好, en: ok}\n"
        "- rule: demo.bad\n  severity: info\n  title:\n    en: only english\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_catalog(tmp_path)
    assert info.value.file.endswith("demo.yaml")
    assert info.value.key == "1.title.zh"
    assert info.value.line == 6


def test_rule_outside_its_family_and_broken_yaml_are_refused(tmp_path):
    (tmp_path / "demo.yaml").write_text("- rule: other.x\n  severity: info\n  title: {zh: a, en: b}\n")
    with pytest.raises(DataFileError, match="must start with 'demo.'"):
        load_catalog(tmp_path)
    (tmp_path / "demo.yaml").write_text("- rule: demo.x\n  title: [unclosed\n")
    with pytest.raises(DataFileError) as info:
        load_catalog(tmp_path)
    assert info.value.line is not None and "invalid YAML" in str(info.value)


def test_lazy_catalogue_reads_only_the_family_it_needs(tmp_path):
    (tmp_path / "good.yaml").write_text("- rule: good.x\n  severity: info\n  title: {zh: 好, en: fine}\n")
    (tmp_path / "broken.yaml").write_text("- rule: broken.x\n  title: [unclosed\n")
    lazy = Catalog(directory=tmp_path)
    assert lazy.finding("good.x", "en").title == "fine"
    assert "good.nothing" not in lazy
    with pytest.raises(DataFileError):
        lazy.finding("broken.x", "en")
    with pytest.raises(KeyError):
        lazy.finding("absent.rule", "en")


def test_every_rule_id_used_in_code_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    used = set()
    for path in root.rglob("*.py"):
        if {".venv", "tests", "build"} & set(path.relative_to(root).parts):
            continue
        used |= set(re.findall(r"make_finding\(\s*[\"']([a-z_]+\.[a-z0-9_.]+)[\"']", path.read_text(encoding="utf-8")))
    known = load_catalog().rules
    assert used, "no make_finding calls found"
    assert sorted(used - set(known)) == []


def test_line_of_a_merged_key_falls_back_to_its_mapping():
    from mindpilot.datafiles import line_of, read_yaml

    doc = read_yaml("inline.yaml", "base: &b\n  x: 1\nchild:\n  <<: *b\n  y: 2\n")
    assert line_of(doc, ["child", "y"]) == 5
    assert line_of(doc, ["child", "x"]) in (3, 4)
