"""Conformance: every real config in ../shared/corpus/configs gets the verdict its INDEX.md row implies."""

from __future__ import annotations

import re
from pathlib import Path

from mindpilot.validators.check import check_files, run_check
from mindpilot.validators.findings import Severity


def _rows(shared: Path) -> list[dict[str, str]]:
    rows = []
    for line in (shared / "corpus" / "configs" / "INDEX.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 9 and cells[0].endswith(".yaml"):
            rows.append({"file": cells[0], "parallel": cells[5], "other": cells[7], "notes": cells[8]})
    return rows


def _errors(findings):
    return [f"{f.rule}@{f.line}: {f.title}" for f in findings if f.severity is Severity.ERROR]


def test_every_corpus_config_is_in_the_index_and_none_has_an_error(shared_dir):
    configs = shared_dir / "corpus" / "configs"
    rows = _rows(shared_dir)
    assert sorted(r["file"] for r in rows) == sorted(p.name for p in configs.glob("*.yaml"))
    failures = {}
    for row in rows:
        errors = _errors(check_files([configs / row["file"]], skip_paths=True))
        if errors:
            failures[row["file"]] = errors
    assert failures == {}


def test_card_count_from_the_index_passes_and_twice_that_fails(shared_dir):
    configs = shared_dir / "corpus" / "configs"
    checked = 0
    for row in _rows(shared_dir):
        match = re.search(r"prod=(\d+)", row["other"])
        if not match or "use_parallel=True" not in row["other"]:
            continue
        prod = int(match.group(1))
        path = configs / row["file"]
        assert _errors(check_files([path], cards=prod, hbm_gb=64, skip_paths=True)) == [], row["file"]
        wrong = [f for f in check_files([path], cards=prod * 2, skip_paths=True) if f.rule == "parallel.product_mismatch"]
        assert len(wrong) == 1, row["file"]
        checked += 1
    assert checked >= 15


def test_kinds_are_detected(shared_dir):
    configs = shared_dir / "corpus" / "configs"
    for row in _rows(shared_dir):
        kind = run_check([configs / row["file"]], skip_paths=True).files[0]["kind"]
        expected = "grpo" if row["file"].endswith("grpo_config.yaml") else "mindformers"
        assert kind == expected, row["file"]


def test_flagged_rows_get_their_warnings(shared_dir):
    configs = shared_dir / "corpus" / "configs"
    rows = {r["file"]: r for r in _rows(shared_dir)}
    glm = next(name for name in rows if "predict_glm4" in name)
    assert "recompute_config" in rows[glm]["notes"]
    rules = {f.rule: f.severity for f in check_files([configs / glm], skip_paths=True)}
    assert rules["recompute.ignored_in_predict"] is Severity.WARNING
    assert rules["parallel.ignored_without_use_parallel"] is Severity.WARNING


def test_suspect_grpo_tutorial_against_its_run_grpo_sh(shared_dir, tmp_path):
    configs = shared_dir / "corpus" / "configs"
    rows = {r["file"]: r for r in _rows(shared_dir)}
    suspect = next(name for name, row in rows.items() if "SUSPECT" in row["notes"])
    assert "worker_num=32" in rows[suspect]["notes"]
    script = tmp_path / "run_grpo.sh"
    script.write_text(f"msrun --worker_num=32 --local_worker_num=8 --master_port=9887 main.py "
                      f"--config {configs / suspect}\n", encoding="utf-8")
    hits = [f for f in check_files([script, configs / suspect], skip_paths=True)
            if f.rule == "launch.worker_num_vs_config"]
    assert len(hits) == 1 and hits[0].severity is Severity.ERROR
    script.write_text(f"msrun --worker_num=8 --local_worker_num=8 main.py --config {configs / suspect}\n",
                      encoding="utf-8")
    assert _errors(check_files([script, configs / suspect], skip_paths=True)) == []
