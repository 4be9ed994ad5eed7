"""The shipped knowledge is read from JSON compiled at build time (``mindpilot/compiled.py``): the
checked-in files match the YAML, decode to what the loaders build, build nothing but mindpilot's own
types, and nothing in the package reads a pickle."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from mindpilot import compiled
from mindpilot.datafiles import PACKAGE_ROOT, package_path


def test_the_checked_in_build_matches_the_yaml_and_the_loaders():
    done = subprocess.run([sys.executable, "-m", "mindpilot.compiled", "--check"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, f"stale: regenerate with `python -m mindpilot.compiled`\n{done.stderr}"


def test_every_shipped_yaml_file_is_compiled():
    sources = {json.loads(file.read_text(encoding="utf-8"))["source"] for file in compiled.BUILT_DIR.glob("*.json")}
    shipped = {path.relative_to(PACKAGE_ROOT).as_posix() for path in PACKAGE_ROOT.rglob("*.y*ml")
               if ".venv" not in path.parts and compiled.shipped(path)}
    folders = {source for source in sources if (PACKAGE_ROOT / source).is_dir()}  # the knowledge base's index
    assert folders == {"validators/data/kb"}
    assert shipped and sources - folders == shipped


def test_a_folder_build_is_stale_once_any_of_its_files_changes_comes_or_goes(tmp_path):
    (tmp_path / "a.yaml").write_text("rules: []\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not knowledge\n", encoding="utf-8")
    first = compiled._digest(tmp_path)
    (tmp_path / "notes.txt").write_text("edited\n", encoding="utf-8")
    assert compiled._digest(tmp_path) == first  # only the YAML files count
    (tmp_path / "a.yaml").write_text("rules: [] \n", encoding="utf-8")
    edited = compiled._digest(tmp_path)
    (tmp_path / "b.yaml").write_text("rules: []\n", encoding="utf-8")
    added = compiled._digest(tmp_path)
    (tmp_path / "a.yaml").rename(tmp_path / "c.yaml")
    assert len({first, edited, added, compiled._digest(tmp_path)}) == 4


def test_the_compiled_json_decodes_to_what_the_yaml_builds():
    from mindpilot.tui import labels
    from mindpilot.validators import catalog, stacks

    cases = [(stacks.STACKS_FILE, "stacks", lambda: stacks._read_stacks(stacks.STACKS_FILE)),
             (labels.LABELS_FILE, "labels", labels._read_labels),
             (catalog.RULES_DIR / "doctor.yaml", "rules", lambda: catalog._read_family(catalog.RULES_DIR / "doctor.yaml"))]
    for path, name, build in cases:
        from_json = compiled.built(path, name, lambda: "built from the YAML")
        assert from_json != "built from the YAML"  # read from _built/, the builder never ran
        built_now = build()
        assert from_json == built_now and compiled.encode(from_json) == compiled.encode(built_now)  # types too


def test_a_yaml_edited_since_the_build_is_read_again_not_taken_from_json(monkeypatch):
    path = package_path("validators", "data", "stacks.yaml")
    assert compiled.built(path, "stacks", lambda: "built") != "built"
    monkeypatch.setattr(compiled, "_digest", lambda _path: "0" * 64)
    assert compiled.built(path, "stacks", lambda: "built") == "built"


def test_the_decoder_makes_only_mindpilots_own_dataclasses_enums_and_texts(tmp_path):
    path = package_path("validators", "data", "stacks.yaml")
    digest = compiled._digest(path)
    hostile = [{"object:subprocess:Popen": [["args", "touch pwned"]]},
               {"object:mindpilot.cli:main": []},  # mindpilot's, but a function
               {"enum:os:system": "touch pwned"},
               {"object:mindpilot.validators.findings:Severity": []},  # an enum posing as a dataclass
               {"what": "unknown tag"}]
    for data in hostile:
        file = tmp_path / "entry.json"
        file.write_text(json.dumps({"format": compiled.FORMAT, "sha256": digest, "data": data}), encoding="utf-8")
        assert compiled._read_built(path, file) is compiled._MISS, data
    assert not (tmp_path / "pwned").exists()
    good = {"tuple": [{"text": ["甲", "a"]}, {"enum:mindpilot.validators.findings:Severity": "error"}]}
    file.write_text(json.dumps({"format": compiled.FORMAT, "sha256": digest, "data": good}), encoding="utf-8")
    from mindpilot.bilingual import Bilingual
    from mindpilot.validators.findings import Severity

    assert compiled._read_built(path, file) == (Bilingual(zh="甲", en="a"), Severity.ERROR)


def test_a_type_name_outside_the_registered_list_imports_nothing(tmp_path):
    """An edited compiled file naming another module of the package: importing it would run its code."""
    path = package_path("validators", "data", "stacks.yaml")
    digest = compiled._digest(path)
    for module in ("mindpilot.__main__", "mindpilot.bench.startup"):
        assert module not in sys.modules
        file = tmp_path / "entry.json"
        data = {f"object:{module}:Anything": []}
        file.write_text(json.dumps({"format": compiled.FORMAT, "sha256": digest, "data": data}), encoding="utf-8")
        assert compiled._read_built(path, file) is compiled._MISS
        assert module not in sys.modules, f"decoding imported {module}"


def test_the_registered_types_are_exactly_those_the_build_holds():
    named = set()
    for file in compiled.BUILT_DIR.glob("*.json"):
        named |= set(re.findall(r'"(?:object|enum):([^"]+)"', file.read_text(encoding="utf-8")))
    assert named == set(compiled.COMPILED_TYPES)


def test_nothing_in_the_package_reads_a_pickle_or_marshal():
    offenders = [str(path.relative_to(PACKAGE_ROOT)) for path in PACKAGE_ROOT.rglob("*.py")
                 if not {".venv", "tests"} & set(path.relative_to(PACKAGE_ROOT).parts)
                 and re.search(r"^\s*(import|from)\s+(pickle|cPickle|marshal|shelve|dill)\b|\bpickle\.loads?\(",
                               path.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_a_dataclass_that_gained_a_field_since_the_build_is_built_again(tmp_path):
    path = package_path("validators", "data", "stacks.yaml")
    file = tmp_path / "entry.json"
    stale = {"object:mindpilot.validators.stacks:Requirement": [["name", "mindspore"]]}  # most fields missing
    file.write_text(json.dumps({"format": compiled.FORMAT, "sha256": compiled._digest(path), "data": stale}),
                    encoding="utf-8")
    assert compiled._read_built(path, file) is compiled._MISS


def test_quick_commands_write_nothing_to_the_users_cache_or_home(tmp_path):
    """The knowledge is read from the package: no cache directory appears, however often a command runs."""
    from support import run_cli

    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache"), "MINDPILOT_CACHE_DIR": str(tmp_path / "mp"),
           "MINDPILOT_DATA_DIR": str(tmp_path / "data"), "MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    config = next((PACKAGE_ROOT / "tests" / "data" / "check").glob("*.yaml"))
    log = tmp_path / "job.log"
    log.write_text("RuntimeError: Allocate memory failed\n", encoding="utf-8")
    for _ in range(2):
        assert run_cli("check", str(config), env=env).returncode in (0, 1)
        assert run_cli("diagnose", str(log), env=env).returncode in (0, 1)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home", "job.log"]
    assert list(home.iterdir()) == []
