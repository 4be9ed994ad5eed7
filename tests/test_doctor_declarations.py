"""The doctor judges by the frameworks' own declarations: real METADATA in a real venv, probed with --python.

Each environment is a venv (no pip, a few ms to make) whose site-packages holds dist-info directories
with the METADATA files copied from the real wheels (tests/data/versions), so the probe reads them the
way it reads a real install. CANN and the driver come from a fake Ascend tree given with --root.
"""

from __future__ import annotations

import json
import os
import shutil
import venv
from pathlib import Path
from typing import Optional

import pytest
from support import run_cli

from mindpilot.exit_codes import ExitCode

VERSIONS = Path(__file__).parent / "data" / "versions"


def make_venv(path: Path, dists: dict[str, str], version_map: Optional[str] = None) -> Path:
    """A venv whose site-packages holds ``{name-version: METADATA text}``; returns its python."""
    venv.create(path, with_pip=False, symlinks=True)
    site = next(path.glob("lib/python*/site-packages"))
    for key, text in dists.items():
        name, version = key.rsplit("-", 1)
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(text, encoding="utf-8")
        package = site / name.replace("-", "_")
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("raise SystemExit('the probe must not import me')\n")
    if version_map:
        shutil.copy(VERSIONS / version_map / "VERSION_MAP.json", site / "mindformers" / "VERSION_MAP.json")
    return path / "bin" / "python"


def real(name: str) -> str:
    """METADATA copied from a real wheel."""
    return (VERSIONS / name / "METADATA").read_text(encoding="utf-8")


def minimal(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


def ascend_root(root: Path, cann: str, driver: str) -> Path:
    info = root / "usr/local/Ascend/ascend-toolkit/latest/aarch64-linux"
    info.mkdir(parents=True)
    (info / "ascend_toolkit_install.info").write_text(f"package_name=Ascend-cann-toolkit\nversion={cann}\n")
    (root / "usr/local/Ascend/driver").mkdir(parents=True)
    (root / "usr/local/Ascend/driver/version.info").write_text(f"Version={driver}\n")
    return root


def doctor(python: Path, root: Path, *extra: str) -> tuple[int, dict]:
    env = {"ASCEND_HOME_PATH": "/usr/local/Ascend/ascend-toolkit/latest", "MINDPILOT_DATA_DIR": str(root / "data")}
    done = run_cli("doctor", "--python", str(python), "--root", str(root), "--json", "--lang", "en", *extra, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def by_rule(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def rows(report: dict) -> dict[str, dict]:
    return {row["name"]: row for row in report["components"]}


def test_mindformers_2_0_with_mindspore_2_10_on_cann_9_1_is_good(tmp_path):
    python = make_venv(tmp_path / "env", {"mindformers-2.0.0": real("mindformers-2.0.0"),
                                           "mindspore-2.10.0": real("mindspore-2.10.0"),
                                           "transformers-4.57.1": minimal("transformers", "4.57.1"),
                                           "hyper-parallel-1.0.0": minimal("hyper-parallel", "1.0.0")},
                       version_map="mindformers-2.0.0")
    code, report = doctor(python, ascend_root(tmp_path / "root", "9.1.0", "26.1.0"))
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors == [] and code == ExitCode.OK
    assert report["stack"] == "mindformers-2.0.0"
    table = rows(report)
    assert {table[n]["status"] for n in ("mindformers", "mindspore", "transformers", "CANN", "driver")} == {"ok"}
    assert table["mindspore"]["expected"] == "~=2.10.0"
    assert not any("==1." in f["fix"] or "mindspore==2.7" in f["fix"] for f in report["findings"])
    assert report["environment"]["package_details"]["mindformers"]["requires_python"] == ">=3.7"


def test_mindformers_2_1_with_mindspore_2_10_reports_the_real_mismatch_going_forward(tmp_path):
    python = make_venv(tmp_path / "env", {"mindformers-2.1.0": real("mindformers-2.1.0"),
                                           "mindspore-2.10.0": real("mindspore-2.10.0"),
                                           "transformers-5.3.0": minimal("transformers", "5.3.0"),
                                           "hyper-parallel-1.0.0": minimal("hyper-parallel", "1.0.0")},
                       version_map="mindformers-2.1.0")
    code, report = doctor(python, ascend_root(tmp_path / "root", "9.1.0", "26.1.0"))
    assert code == ExitCode.FINDINGS
    mismatch = by_rule(report, "doctor.declared_mismatch")
    assert [f["title"] for f in mismatch] == [
        "mindformers 2.1.0 requires mindspore~=2.11.0 (its own package metadata); mindspore 2.10.0 is installed"]
    assert mismatch[0]["fix"] == 'pip install "mindspore==2.11.0"'  # VERSION_MAP's preferred build: forward
    cann = by_rule(report, "doctor.cann_outside_stack")[0]
    assert "(9.2.0)" in cann["title"]  # 2.11.0 -> CANN 9.2.0, from VERSION_MAP
    assert cann["detail"].endswith("MindFormers VERSION_MAP.json: MindSpore 2.11.0 → CANN 9.2.0 → driver 26.2.RC1")
    assert not any(f["rule"] == "doctor.package_mismatch" for f in report["findings"])
    assert not any("mindformers==" in f["fix"] for f in report["findings"])  # never back to an older MindFormers
    assert rows(report)["hyper-parallel"]["status"] == "ok"  # judged from the same METADATA


def test_a_release_newer_than_the_table_is_judged_by_its_own_metadata(tmp_path):
    future = real("mindformers-2.1.0").replace("Version: 2.1.0", "Version: 2.3.0").replace(
        "mindspore~=2.11.0", "mindspore~=2.13.0")
    python = make_venv(tmp_path / "env", {"mindformers-2.3.0": future, "mindspore-2.13.1": minimal("mindspore", "2.13.1"),
                                           "transformers-5.4.0": minimal("transformers", "5.4.0"),
                                           "hyper-parallel-1.0.2": minimal("hyper-parallel", "1.0.2")})
    code, report = doctor(python, ascend_root(tmp_path / "root", "9.4.0", "26.4.0"))
    note = by_rule(report, "doctor.newer_than_table")[0]
    assert note["severity"] == "info" and "mindformers 2.3.0 is newer than every release" in note["title"]
    assert "newest there: 2.1.0" in note["title"] and "table of 20" in note["title"]
    assert note["fix"] == "To learn this release's full data: mindpilot knowledge learn mindformers==2.3.0"
    assert report["stack"] == "mindformers-2.3.0"
    assert code == ExitCode.OK, [f["title"] for f in report["findings"] if f["severity"] == "error"]
    assert rows(report)["mindspore"]["status"] == "ok"


def test_a_dependency_newer_than_the_declarer_asks_gets_an_upgrade_of_the_declarer(tmp_path):
    python = make_venv(tmp_path / "env", {"mindformers-2.0.0": real("mindformers-2.0.0"),
                                           "mindspore-2.11.0": minimal("mindspore", "2.11.0"),
                                           "transformers-4.57.1": minimal("transformers", "4.57.1")},
                       version_map="mindformers-2.0.0")
    _, report = doctor(python, ascend_root(tmp_path / "root", "9.2.0", "26.2.RC1"))
    found = by_rule(report, "doctor.declared_forward")[0]
    assert found["title"] == ("mindformers 2.0.0 requires mindspore~=2.10.0 (its own package metadata); "
                              "the newer mindspore 2.11.0 is installed")
    assert found["fix"] == 'pip install "mindformers==2.1.0"'
    assert "mindformers 2.1.0 accepts mindspore 2.11.0" in found["detail"]


@pytest.mark.parametrize("python_version,expected", [("3.9", True), ("3.11", False)])
def test_requires_python_of_the_installed_release_is_judged(python_version, expected):
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.probe.facts import EnvFacts, PackageInfo, PythonInfo

    metadata = real("mindformers-2.1.0")
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    details = {"mindformers": PackageInfo(name="mindformers", version="2.1.0", requires=requires,
                                          requires_python=">=3.10"),
               "mindspore": PackageInfo(name="mindspore", version="2.11.0"),
               "transformers": PackageInfo(name="transformers", version="5.3.0")}
    facts = EnvFacts(python=PythonInfo(executable="/env/bin/python", version=f"{python_version}.9"),
                     packages={k: v.version for k, v in details.items()}, package_details=details)
    report = judge(facts, None, "en")
    assert any(f.rule == "doctor.python_outside_stack" for f in report.findings) is expected


def test_a_source_checkout_is_judged_by_its_version_map(tmp_path):
    from test_probe_python import make_checkout

    repo = tmp_path / "mindformers"
    make_checkout(repo, version="2.0.0")
    shutil.copy(VERSIONS / "mindformers-2.0.0" / "VERSION_MAP.json", repo / "mindformers" / "VERSION_MAP.json")
    python = make_venv(tmp_path / "env", {"mindspore-2.9.0": minimal("mindspore", "2.9.0"),
                                           "transformers-4.57.1": minimal("transformers", "4.57.1")})
    root = ascend_root(tmp_path / "root", "9.1.0", "26.1.0")
    pythonpath = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
    env = {"ASCEND_HOME_PATH": "/usr/local/Ascend/ascend-toolkit/latest", "PYTHONPATH": pythonpath,
           "MINDPILOT_DATA_DIR": str(tmp_path / "data")}
    done = run_cli("doctor", "--python", str(python), "--root", str(root), "--json", "--lang", "en", env=env)
    report = json.loads(done.stdout)
    assert report["environment"]["checkouts"]["mindformers"]["version"] == "2.0.0"
    assert list(report["environment"]["version_maps"]) == [str(repo / "mindformers" / "VERSION_MAP.json")]
    found = by_rule(report, "doctor.declared_mismatch")[0]
    assert found["title"] == ("mindformers 2.0.0 requires mindspore==2.10.0 (its own VERSION_MAP.json); "
                              "mindspore 2.9.0 is installed")
    assert found["fix"] == 'pip install "mindspore==2.10.0"'


def requires_of(name: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in real(name).splitlines() if line.startswith("Requires-Dist: ")]


def test_vllm_mindspore_speaks_first_and_vllms_own_torch_pin_is_not_judged():
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.probe.facts import EnvFacts, PackageInfo, PythonInfo

    details = {
        "vllm-mindspore": PackageInfo(name="vllm-mindspore", version="0.5.1", requires=requires_of("vllm-mindspore-0.5.1"),
                                      requires_python=">=3.9"),
        "vllm": PackageInfo(name="vllm", version="0.11.0", requires=["torch==2.8.0", "transformers>=4.56.0"]),
        "mindformers": PackageInfo(name="mindformers", version="1.7.0",
                                   requires=["transformers==4.51.3", "mindspore~=2.7.1"]),
        "mindspore": PackageInfo(name="mindspore", version="2.7.1"),
        "transformers": PackageInfo(name="transformers", version="4.57.1"),
    }
    facts = EnvFacts(python=PythonInfo(executable="/env/bin/python", version="3.11.4"),
                     packages={k: v.version for k, v in details.items()}, package_details=details)
    report = judge(facts, None, "en")
    assert report.stack == "vllm-mindspore-0.5"
    rules = [f.rule for f in report.findings]
    assert "doctor.declared_missing" not in rules  # vllm's torch==2.8.0: installed without deps on purpose
    row = {r.name: r for r in report.components}["transformers"]
    assert (row.expected, row.status.value) == ("4.57.1", "ok")  # vllm-mindspore's own ==4.57.1


@pytest.mark.parametrize("document", [
    {"mf": {"2.0.0": {"prefer": "2.10.0; rm -rf /", "support": ["x y", {"a": 1}]}}},
    {"mf": {"2.0.0": {"prefer": {"x": 1}, "support": "2.10.0"}}, "ms": [], "cann": None},
    {"mf": ["2.0.0"]}, [], {"mf": {"2.0.0": "2.10.0"}},
    {"mf": {"2.0.0": {"prefer": "8.0.RC3", "support": ["9.1.RC1"]}}, "ms": {"2.10.0": {"prefer": "x"}}},
])
def test_a_hostile_version_map_is_ignored_not_fatal(document):
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.probe.facts import EnvFacts, PackageInfo, PythonInfo

    details = {"mindformers": PackageInfo(name="mindformers", version="2.0.0"),
               "mindspore": PackageInfo(name="mindspore", version="2.10.0")}
    facts = EnvFacts(python=PythonInfo(executable="/env/bin/python", version="3.11.4"),
                     packages={k: v.version for k, v in details.items()}, package_details=details,
                     version_maps={"/w/mf/mindformers/VERSION_MAP.json": document} if isinstance(document, dict) else {})
    report = judge(facts, None, "en")
    assert report.stack == "mindformers-2.0.0"
    assert not any("rm -rf" in f.fix or "{" in f.fix for f in report.findings)


def test_a_dependency_newer_than_any_known_release_accepts_is_a_warning_not_a_downgrade():
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.findings import Severity
    from mindpilot.validators.probe.facts import EnvFacts, PackageInfo, PythonInfo

    details = {"mindformers": PackageInfo(name="mindformers", version="2.1.0", requires=requires_of("mindformers-2.1.0"),
                                          requires_python=">=3.10"),
               "mindspore": PackageInfo(name="mindspore", version="2.12.0"),
               "transformers": PackageInfo(name="transformers", version="5.3.0"),
               "hyper-parallel": PackageInfo(name="hyper-parallel", version="1.0.0")}
    facts = EnvFacts(python=PythonInfo(executable="/env/bin/python", version="3.11.4"),
                     packages={k: v.version for k, v in details.items()}, package_details=details)
    for lang in ("en", "zh"):
        report = judge(facts, None, lang)
        newer = [f for f in report.findings if f.rule == "doctor.declared_newer"]
        assert len(newer) == 1 and newer[0].severity is Severity.WARNING
        assert "2.12.0" in newer[0].title and "~=2.11.0" in newer[0].title
        assert not any(f.severity is Severity.ERROR for f in report.findings), [f.title for f in report.findings]


@pytest.mark.parametrize("torch_npu,cann,stack,newer", [
    ("2.7.1.post12", "8.5.0", "mindspeed-llm-26.0.0", False),  # a newer build of the same line: the CANN decides
    ("2.7.1.post11", "9.1.0", "mindspeed-llm-26.1.0", False),
    ("2.14.0", "9.1.0", "torch-npu-2.14.0", True),
])
def test_mindspeed_rows_are_told_apart_by_cann_and_a_new_torch_npu_line_by_its_metadata(torch_npu, cann, stack, newer):
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.probe.facts import EnvFacts, PackageInfo, PythonInfo

    torch = torch_npu.split(".post")[0]
    details = {"torch-npu": PackageInfo(name="torch-npu", version=torch_npu, requires=[f"torch=={torch}.*", "numpy"]),
               "torch": PackageInfo(name="torch", version=torch)}
    facts = EnvFacts(python=PythonInfo(executable="/env/bin/python", version="3.10.14"), cann_version=cann,
                     packages={k: v.version for k, v in details.items()}, package_details=details,
                     set_env_sourced=True, nnal=True, nnal_sourced=True)
    report = judge(facts, None, "en")
    assert report.stack == stack
    assert any(f.rule == "doctor.newer_than_table" for f in report.findings) is newer
    assert not any(f.severity.value == "error" for f in report.findings), [f.title for f in report.findings]
