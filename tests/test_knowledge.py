"""``mindpilot knowledge``: coverage and date; ``learn`` with the real pip, offline (a wheel built here, --find-links).

pip runs with ``PIP_CONFIG_FILE=/dev/null`` so that no machine-wide index or find-links leaks in; the
learned overlay goes to ``MINDPILOT_DATA_DIR`` under tmp_path, and doctor must use it afterwards.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from support import run_cli
from test_doctor_declarations import ascend_root, by_rule, make_venv, minimal, real

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.knowledge import table_date

FUTURE_MAP = {"mf": {"2.3.0": {"prefer": "2.13.0", "support": ["2.13.0"]}},
              "ms": {"2.13.0": {"prefer": "9.4.0", "support": ["9.4.0"]}},
              "cann": {"9.4.0": {"prefer": "26.4.0", "support": ["26.4.0"]}}}


def future_metadata() -> str:
    """A MindFormers 2.3.0 METADATA: the real 2.1.0 one with the version and MindSpore pin moved on."""
    return real("mindformers-2.1.0").replace("Version: 2.1.0", "Version: 2.3.0").replace(
        "mindspore~=2.11.0", "mindspore~=2.13.0")


def build_wheel(directory: Path) -> Path:
    """A tiny but real wheel named mindformers 2.3.0 with METADATA, VERSION_MAP.json and two configs."""
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / "mindformers-2.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mindformers/__init__.py", "__version__ = '2.3.0'\n")
        archive.writestr("mindformers/VERSION_MAP.json", json.dumps(FUTURE_MAP))
        archive.writestr("configs/deepseek4/pretrain_deepseek4.yaml", "parallelism:\n  tensor_parallel: 4\n")
        archive.writestr("configs/qwen3/finetune_qwen3.yaml", "training:\n  global_batch_size: 8\n")
        archive.writestr("mindformers-2.3.0.dist-info/METADATA", future_metadata())
        archive.writestr("mindformers-2.3.0.dist-info/WHEEL",
                         "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr("mindformers-2.3.0.dist-info/RECORD", "")
    return wheel


def offline(tmp_path: Path, links: Path) -> dict[str, str]:
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
            "MINDPILOT_DATA_DIR": str(tmp_path / "data")}


def test_knowledge_shows_the_table_date_and_covered_releases(tmp_path):
    done = run_cli("knowledge", "--json", env={"MINDPILOT_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == ExitCode.OK, done.stderr
    document = json.loads(done.stdout)
    assert document["table_date"] == table_date() and table_date()[:2] == "20"
    assert {"1.8.0", "1.9.0", "2.0.0", "2.1.0"} <= set(document["table"]["mindformers"])
    assert {"2.9.0", "2.10.0"} <= set(document["table"]["mindspore"])
    assert document["learned"] == []
    text = run_cli("knowledge", "--lang", "en", env={"MINDPILOT_DATA_DIR": str(tmp_path / "data")}).stdout
    assert f"table checked on {table_date()}" in text and "2.1.0" in text
    assert "mindpilot knowledge learn mindformers==X" in text


def test_learn_without_an_index_says_so_in_one_line(tmp_path):
    empty = tmp_path / "links"
    empty.mkdir()
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": str(empty),
           "PIP_RETRIES": "0", "PIP_TIMEOUT": "5", "MINDPILOT_DATA_DIR": str(tmp_path / "data")}
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", env=env)
    assert done.returncode == ExitCode.USAGE
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no package index answered with mindformers==2.3.0" in lines[0], done.stderr
    assert "127.0.0.1:9" in lines[0] and "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "data" / "knowledge").exists()


def test_learn_refuses_what_is_not_a_framework_release(tmp_path):
    from mindpilot.validators.learn import LearnError, parse_target

    assert parse_target("MindFormers==2.1.0") == ("mindformers", "2.1.0")
    assert parse_target("vllm_mindspore") == ("vllm-mindspore", None)
    for target in ("numpy==1.26.4", "mindformers; rm -rf ~", "mindformers==not.a.version", "-r x.txt"):
        try:
            parse_target(target)
        except LearnError:
            continue
        raise AssertionError(f"{target!r} was accepted")
    done = run_cli("knowledge", "learn", "mindformers; rm -rf ~", env={"MINDPILOT_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == ExitCode.USAGE and len(done.stderr.strip().splitlines()) == 1
    assert "NAME==VERSION" in done.stderr


def test_a_learned_release_is_used_by_doctor(tmp_path):
    links = tmp_path / "links"
    build_wheel(links)
    python = make_venv(tmp_path / "env", {"mindformers-2.3.0": future_metadata(),
                                           "mindspore-2.13.0": minimal("mindspore", "2.13.0"),
                                           "transformers-5.4.0": minimal("transformers", "5.4.0"),
                                           "hyper-parallel-1.0.0": minimal("hyper-parallel", "1.0.0")})
    root = ascend_root(tmp_path / "root", "9.3.0", "26.3.0")
    env = {**offline(tmp_path, links), "ASCEND_HOME_PATH": "/usr/local/Ascend/ascend-toolkit/latest"}
    doctor = ("doctor", "--python", str(python), "--root", str(root), "--json", "--lang", "en")

    before = json.loads(run_cli(*doctor, env=env).stdout)
    assert by_rule(before, "doctor.newer_than_table") and not by_rule(before, "doctor.cann_outside_stack")

    done = run_cli("knowledge", "learn", "mindformers==2.3.0", "--json", env=env)
    assert done.returncode == ExitCode.OK, done.stderr
    learned = json.loads(done.stdout)
    assert (learned["version"], learned["requires_python"], learned["configs"]) == ("2.3.0", ">=3.10", 2)
    assert "mindspore~=2.13.0" in learned["requires"] and learned["version_map"] is True
    assert Path(learned["wheel"]).parent == tmp_path / "data" / "wheels"

    listing = json.loads(run_cli("knowledge", "--json", env=env).stdout)
    assert [(r["name"], r["version"]) for r in listing["learned"]] == [("mindformers", "2.3.0")]

    after = json.loads(run_cli(*doctor, env=env).stdout)
    assert after["stack"] == "mindformers-2.3.0" and not by_rule(after, "doctor.newer_than_table")
    cann = by_rule(after, "doctor.cann_outside_stack")[0]
    assert cann["title"] == "CANN 9.3.0 is not what mindformers-2.3.0 was released for (9.4.0)"


def test_check_can_read_a_learned_config(tmp_path, monkeypatch):
    from mindpilot.validators.knowledge import learned_release, save_learned
    from mindpilot.validators.learn import LearnError, learned_config_text, read_wheel

    from mindpilot.validators.expectations import newest_known

    monkeypatch.setenv("MINDPILOT_DATA_DIR", str(tmp_path / "data"))
    assert newest_known("mindformers") == "2.1.0"
    save_learned(read_wheel(build_wheel(tmp_path / "links")))
    assert newest_known("mindformers") == "2.3.0"
    release = learned_release("mindformers", "2.3.0")
    assert release is not None and "configs/deepseek4/pretrain_deepseek4.yaml" in release.configs
    assert "tensor_parallel: 4" in learned_config_text(release, "configs/deepseek4/pretrain_deepseek4.yaml")
    try:
        learned_config_text(release, "../../etc/passwd")
    except LearnError as exc:
        assert "ships no" in str(exc)
    else:
        raise AssertionError("a path the release does not ship was read")


def test_learn_with_an_interpreter_without_pip_says_so(tmp_path):
    python = make_venv(tmp_path / "env", {})
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", "--python", str(python),
                   env={"MINDPILOT_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == ExitCode.USAGE
    assert len(done.stderr.strip().splitlines()) == 1 and "No module named pip" in done.stderr, done.stderr
