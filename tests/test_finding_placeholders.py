"""QA: a finding never shows a raw ``{placeholder}`` to the user."""

from __future__ import annotations

from mindpilot.exit_codes import ExitCode
from mindpilot.i18n import Bilingual
from mindpilot.validators.catalog import Catalog, RuleText
from tests.support import run_cli


def test_file_and_line_fill_placeholders_of_the_same_name():
    text = RuleText(rule="demo.where", severity="warning",
                    title=Bilingual(zh="{file} 第 {line} 行", en="{file} line {line}"))
    finding = Catalog({"demo.where": text}).finding("demo.where", "en", file="a.log", line=3)
    assert finding.title == "a.log line 3"
    assert (finding.file, finding.line) == ("a.log", 3)


def test_diagnose_of_a_directory_without_logs_names_it_without_placeholders(tmp_path):
    for lang in ("en", "zh"):
        done = run_cli("diagnose", str(tmp_path), "--lang", lang)
        assert done.returncode == ExitCode.OK, done.stderr
        assert "diagnose.empty_directory" in done.stderr and str(tmp_path) in done.stderr
        assert "{" not in done.stderr + done.stdout


def test_diagnose_json_findings_have_no_placeholders(tmp_path):
    import json

    done = run_cli("diagnose", str(tmp_path), "--json", "--lang", "en")
    assert done.returncode == ExitCode.OK, done.stderr
    assert "{file}" not in json.dumps(json.loads(done.stdout))
