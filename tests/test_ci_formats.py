"""CI formats read by real parsers: SARIF 2.1.0 against OASIS' published schema, JUnit XML through
xml.etree, GitHub annotations through the runner's own escaping rules; and the ``--format`` flag."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mindpilot.validators.ci_formats import render, to_sarif
from mindpilot.validators.findings import Finding, Severity
from support import REPO, run_cli

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra (pip install -e .[test])")

SCHEMA = json.loads((Path(__file__).parent / "data" / "ci" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DEMO_CONFIG = REPO / "tui" / "demo" / "finetune_qwen2_5_7b.yaml"  # three errors a first run makes

AWKWARD = [
    Finding(rule="parallel.product_mismatch", severity=Severity.ERROR, title="dp*mp = 8, but 2 cards: 100% wrong",
            detail="line one\r\nline two", fix="set data_parallel: 1, model_parallel: 2",
            file="configs/微调 配置.yaml", line=86),
    Finding(rule="paths.placeholder", severity=Severity.WARNING, title="load_checkpoint: /path/x", file="/abs/a b.yaml"),
    Finding(rule="doctor.msprobe_missing", severity=Severity.INFO, title="msprobe missing"),
]


def _sarif_validator():
    return jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_sarif_of_awkward_findings_is_valid_and_keeps_every_location():
    log = json.loads(render(AWKWARD, "sarif", "check", "0.1.0"))
    _sarif_validator().validate(log)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 86
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "configs/%E5%BE%AE%E8%B0%83%20%E9%85%8D%E7%BD%AE.yaml"
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///abs/a%20b.yaml"
    assert "locations" not in results[2]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]


def test_sarif_schema_is_strict_enough_to_catch_a_broken_log():
    log = to_sarif(AWKWARD, "check")
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _sarif_validator().validate(log)


@pytest.mark.parametrize("command", [
    ("check", str(DEMO_CONFIG), "--cards", "2", "--skip-paths"),
    ("doctor", "--demo"),
])
def test_cli_sarif_from_check_and_doctor_validates(command):
    done = run_cli(*command, "--format", "sarif")
    assert done.returncode == 1, done.stderr
    log = json.loads(done.stdout)
    _sarif_validator().validate(log)
    plain = json.loads(run_cli(*command, "--json").stdout)
    assert len(log["runs"][0]["results"]) == len(plain["findings"])


def test_junit_counts_match_the_findings():
    root = ElementTree.fromstring(render(AWKWARD, "junit", "check"))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 3 and int(suite.get("tests")) == 3 and int(root.get("tests")) == 3
    assert len(suite.findall("testcase/failure")) == 1 == int(suite.get("failures"))
    assert len(suite.findall("testcase/system-out")) == 2
    failure = cases[0].find("failure")
    assert failure.get("type") == "parallel.product_mismatch" and "line two" in failure.text
    assert cases[0].get("file") == "configs/微调 配置.yaml" and cases[0].get("line") == "86"


def test_junit_without_findings_is_one_passing_case_and_cli_counts_real_errors():
    root = ElementTree.fromstring(render([], "junit", "diagnose"))
    assert root.get("tests") == "1" and root.get("failures") == "0" and len(root.iter("testcase").__next__()) == 0
    done = run_cli("check", str(DEMO_CONFIG), "--cards", "2", "--skip-paths", "--format", "junit")
    findings = json.loads(run_cli("check", str(DEMO_CONFIG), "--cards", "2", "--skip-paths", "--json").stdout)["findings"]
    suite = ElementTree.fromstring(done.stdout).find("testsuite")
    assert len(suite.findall("testcase")) == len(findings)
    assert len(suite.findall("testcase/failure")) == sum(f["severity"] == "error" for f in findings) == 3


def _runner_parse(line: str) -> dict:
    """The GitHub runner's parser (ActionCommand.TryParseV2): split on the first '::' after the name,
    properties on ',' and the first '=', then unescape %0D %0A (%3A %2C for properties) and %25 last."""
    assert line.startswith("::")
    head, message = line[2:].split("::", 1)
    command, _, props_text = head.partition(" ")
    def unescape(text: str, prop: bool) -> str:
        for code, char in [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []):
            text = text.replace(code, char)
        return text.replace("%25", "%")
    props = dict(part.split("=", 1) for part in props_text.split(",")) if props_text else {}
    return {"command": command, "props": {k: unescape(v, True) for k, v in props.items()},
            "message": unescape(message, False)}


def test_github_annotations_survive_the_runners_parser():
    lines = render(AWKWARD, "github", "check").splitlines()
    assert len(lines) == 3
    parsed = [_runner_parse(line) for line in lines]
    assert [p["command"] for p in parsed] == ["error", "warning", "notice"]
    first = parsed[0]
    assert first["props"] == {"file": "configs/微调 配置.yaml", "line": "86",
                              "title": "parallel.product_mismatch: dp*mp = 8, but 2 cards: 100% wrong"}
    assert first["message"].startswith("dp*mp = 8, but 2 cards: 100% wrong\nline one\r\nline two\nfix: set ")
    assert "\n" not in lines[0] and "%0A" in lines[0]
    assert "file" not in parsed[2]["props"]


def test_format_flag_contract():
    as_json = run_cli("check", str(DEMO_CONFIG), "--cards", "2", "--skip-paths", "--format", "json")
    assert as_json.stdout == run_cli("check", str(DEMO_CONFIG), "--cards", "2", "--skip-paths", "--json").stdout
    clash = run_cli("check", str(DEMO_CONFIG), "--json", "--format", "sarif")
    assert clash.returncode == 2 and "contradict" in clash.stderr
    logs = REPO / "tests" / "data" / "logs" / "qa_unknown_failure"
    github = run_cli("diagnose", str(logs), "--format", "github")
    parsed = [_runner_parse(line) for line in github.stdout.splitlines()]
    assert github.returncode == 1 and parsed[0]["command"] == "error"
    assert parsed[0]["props"]["file"].endswith("worker_1.log") and parsed[0]["props"]["line"] == "8"


def _preset_with_config(folder: Path) -> Path:
    (folder / "configs").mkdir()
    (folder / "configs" / "bad.yaml").write_text(DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    preset = folder / "job.yaml"
    preset.write_text("name: ci-job\nframework: mindformers\nscript: run_mindformer.py\n"
                      "script_args: [--config, configs/bad.yaml]\nconfig: configs/bad.yaml\ncards: 2\n"
                      "parallel: {data_parallel: 1, model_parallel: 2, pipeline_stage: 1}\n", encoding="utf-8")
    return preset


def test_ci_artifacts_name_files_relative_to_the_working_directory(tmp_path):
    preset = _preset_with_config(tmp_path)
    sarif = run_cli("check", str(preset), "--skip-paths", "--format", "sarif", cwd=str(tmp_path))
    log = json.loads(sarif.stdout)
    _sarif_validator().validate(log)
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert artifacts and {a["uri"] for a in artifacts} == {"configs/bad.yaml", "job.yaml"}
    assert {a["uriBaseId"] for a in artifacts} == {"%SRCROOT%"}
    assert str(tmp_path) not in sarif.stdout
    github = run_cli("check", str(preset), "--skip-paths", "--format", "github", cwd=str(tmp_path))
    files = {_runner_parse(line)["props"]["file"] for line in github.stdout.splitlines()}
    assert files == {"configs/bad.yaml", "job.yaml"} and str(tmp_path) not in github.stdout
    junit = ElementTree.fromstring(run_cli("check", str(preset), "--skip-paths", "--format", "junit",
                                           cwd=str(tmp_path)).stdout)
    assert {case.get("file") for case in junit.iter("testcase")} == {"configs/bad.yaml", "job.yaml"}


def test_a_file_outside_the_working_directory_keeps_its_absolute_uri(tmp_path):
    inside, outside = tmp_path / "repo", tmp_path / "elsewhere.yaml"
    inside.mkdir()
    found = Finding(rule="paths.placeholder", severity=Severity.WARNING, title="t", file=str(outside), line=1)
    log = json.loads(render([found], "sarif", "check", base=str(inside)))
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "file://" + str(outside)}


def test_a_clean_preset_is_named_as_a_preset(tmp_path):
    preset = REPO / "presets" / "builtin" / "demo.yaml"
    document = json.loads(run_cli("check", str(preset), "--json").stdout)
    assert [entry["schema"] for entry in document["files"]] == ["preset"]
    done = run_cli("check", str(preset), cwd=str(tmp_path))
    text = done.stdout + done.stderr
    assert done.returncode == 0 and "(preset)" in text
    assert "schema not recognised" not in text and "no known error found" not in text
    done = run_cli("check", str(preset), "--lang", "zh")
    assert "(预设)" in done.stdout + done.stderr
