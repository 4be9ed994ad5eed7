"""QA: an error no rule knows still gets named by ``diagnose`` (as the live view names it), with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from mindpilot.exit_codes import ExitCode
from support import run_cli

LOGS = Path(__file__).parent / "data" / "logs"


def test_the_first_failing_rank_s_unknown_error_is_the_root_cause():
    done = run_cli("diagnose", str(LOGS / "qa_unknown_failure"), "--json", "--lang", "en")
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    report = json.loads(done.stdout)
    root = report["root_cause"]
    assert root["rank"] == 1 and root["line"] == 8 and root["file"].endswith("worker_1.log")
    first = report["findings"][0]
    assert first["rule"] == "diagnose.unknown_error" and "column 'input_ids' has 0 rows" in first["title"]
    assert {"rule", "severity", "title", "detail", "fix", "file", "line", "source"} <= set(first)


def test_text_and_chinese_name_the_rank_and_clean_logs_stay_clean():
    done = run_cli("diagnose", str(LOGS / "qa_unknown_failure"), "--lang", "zh")
    assert done.returncode == ExitCode.FINDINGS
    assert done.stdout.startswith("▶") and "rank 1" in done.stdout.splitlines()[0]
    clean = run_cli("diagnose", str(LOGS / "clean"), "--lang", "en")
    assert clean.returncode == ExitCode.OK and "no known error found" in clean.stdout
