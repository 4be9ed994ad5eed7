"""``check`` with a learned release: the real ``knowledge learn`` (pip, --find-links, a wheel built here),
then the real CLI ``check``; and the same files without an overlay, where neither note may appear.

The wheel is a MindFormers 2.3.0 (newer than the shipped table) that ships two real 2.0.0 configs from
``tests/data/mf2`` and one config of a schema mindpilot has no rules for.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from support import run_cli
from test_knowledge import FUTURE_MAP, future_metadata, offline

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.knowledge import LearnedRelease, save_learned, table_date

DATA = Path(__file__).parent / "data"
PYNATIVE = DATA / "mf2" / "configs" / "deepseek3" / "pretrain_deepseek3_1b_8p_pynative.yaml"
GRAPH = DATA / "check" / "qwen2_5_7b_2cards.yaml"
NEW_SCHEMA = "configs/deepseek5/pretrain_deepseek5_671b.yaml"
NEW_SCHEMA_TEXT = """\
# a schema no kind of check recognises
seed: 1234
output_dir: ./output
mesh:
  data: -1
  tensor: 8
model_spec:
  num_layers: 61
dataset_spec:
  path: /data/wiki
optimizer_spec:
  lr: 1.0e-4
"""


def build_wheel(directory: Path) -> Path:
    """mindformers 2.3.0: METADATA, VERSION_MAP.json, two real 2.0.0 configs and one new-schema config."""
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / "mindformers-2.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mindformers/__init__.py", "__version__ = '2.3.0'\n")
        archive.writestr("mindformers/VERSION_MAP.json", json.dumps(FUTURE_MAP))
        archive.writestr(f"configs/deepseek3/{PYNATIVE.name}", PYNATIVE.read_text(encoding="utf-8"))
        archive.writestr("configs/deepseek3/predict_deepseek3_671b.yaml",
                         (PYNATIVE.parent / "predict_deepseek3_671b.yaml").read_text(encoding="utf-8"))
        archive.writestr(NEW_SCHEMA, NEW_SCHEMA_TEXT)
        archive.writestr("mindformers-2.3.0.dist-info/METADATA", future_metadata())
        archive.writestr("mindformers-2.3.0.dist-info/WHEEL",
                         "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr("mindformers-2.3.0.dist-info/RECORD", "")
    return wheel


@pytest.fixture(scope="module")
def learned_env(tmp_path_factory) -> dict[str, str]:
    """An environment whose data directory holds mindformers 2.3.0, learned with the real CLI and pip."""
    root = tmp_path_factory.mktemp("learned")
    links = root / "links"
    build_wheel(links)
    env = offline(root, links)
    done = run_cli("knowledge", "learn", "mindformers==2.3.0", "--json", env=env)
    assert done.returncode == ExitCode.OK, done.stderr
    assert json.loads(done.stdout)["configs"] == 3
    return env


def user_config(tmp_path: Path) -> Path:
    """The user's job config in the new schema: the shipped one edited, one key added."""
    path = tmp_path / "my_job.yaml"
    path.write_text(NEW_SCHEMA_TEXT.replace("tensor: 8", "tensor: 4") + "profile: true\n", encoding="utf-8")
    return path


def check_json(*args: str, env: dict[str, str]) -> tuple[int, dict]:
    done = run_cli("check", *args, "--json", "--lang", "en", env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_without_an_overlay_neither_note_appears(tmp_path):
    env = {"MINDPILOT_DATA_DIR": str(tmp_path / "data")}
    code, document = check_json(str(user_config(tmp_path)), "--cards", "8", env=env)
    assert code == ExitCode.OK and [f["rule"] for f in document["findings"]] == ["yaml.unknown_kind"]
    code, document = check_json(str(PYNATIVE), "--cards", "8", env=env)
    assert not [f for f in document["findings"] if f["rule"].startswith("learned.")]


def test_an_unrecognised_yaml_is_named_after_the_learned_config_it_resembles(tmp_path, learned_env):
    path = user_config(tmp_path)
    code, document = check_json(str(path), "--cards", "8", env=learned_env)
    assert code == ExitCode.OK
    assert document["files"] == [{"file": str(path), "kind": "unknown", "schema": "schema not recognised"}]
    [note] = document["findings"]
    assert note["rule"] == "learned.unknown_schema" and note["severity"] == "info" and note["file"] == str(path)
    assert note["title"] == ("schema not recognised, not checked: it looks like a config shipped with mindformers "
                             f"2.3.0 (learned on this machine: {NEW_SCHEMA}); mindpilot's rules do not cover "
                             "that schema yet")
    assert note["detail"].startswith(f"6 of this file's 7 top-level keys are those of {NEW_SCHEMA}")
    assert "mesh" in note["detail"] and "profile" not in note["detail"]
    assert "mindformers-2.3.0-py3-none-any.whl" in note["source"]

    text = run_cli("check", str(path), "--cards", "8", "--lang", "zh", env=learned_env)
    assert text.returncode == ExitCode.OK
    shown = "".join((text.stdout + text.stderr).split())  # Chinese lines wrap between any two characters
    assert "它像是mindformers2.3.0自带的配置" in shown and "0个错误不代表配置没问题" in shown


def test_a_yaml_unlike_every_learned_config_keeps_the_plain_note(tmp_path, learned_env):
    path = tmp_path / "serve.yaml"
    path.write_text("model: Qwen/Qwen2.5-7B-Instruct\ntensor_parallel_size: 4\nseed: 1\n", encoding="utf-8")
    code, document = check_json(str(path), "--cards", "8", env=learned_env)
    assert code == ExitCode.OK and [f["rule"] for f in document["findings"]] == ["yaml.unknown_kind"]


def test_mindformers_configs_get_one_note_that_rules_may_lag_the_learned_release(learned_env):
    table = json.loads(run_cli("knowledge", "--json", env=learned_env).stdout)["table"]["mindformers"]
    newest = max(table, key=lambda v: tuple(int(p) for p in v.split(".")))
    code, document = check_json(str(PYNATIVE), "--cards", "8", env=learned_env)
    lag = [f for f in document["findings"] if f["rule"] == "learned.rules_may_lag"]
    assert len(lag) == 1 and lag[0]["severity"] == "info" and lag[0]["file"] == str(PYNATIVE)
    assert lag[0]["title"] == (f"mindformers 2.3.0 was learned on this machine; check's rules were written for "
                               f"releases up to {newest} (table of {table_date()}) and may lag it")
    assert "mindformers-2.3.0-py3-none-any.whl" in lag[0]["source"]
    assert not [f for f in document["findings"] if f["severity"] == "error"]

    code, document = check_json(str(GRAPH), str(PYNATIVE), "--cards", "2", env=learned_env)
    assert [f["file"] for f in document["findings"] if f["rule"] == "learned.rules_may_lag"] == [str(GRAPH)]


def test_a_learned_release_the_table_already_covers_adds_no_lag_note(tmp_path):
    data = tmp_path / "data"
    save_learned(LearnedRelease(name="mindformers", version="2.0.0", requires=["mindspore~=2.10.0"],
                                wheel=str(tmp_path / "gone.whl"), learned="2026-11-29"), data / "knowledge")
    code, document = check_json(str(PYNATIVE), "--cards", "8", env={"MINDPILOT_DATA_DIR": str(data)})
    assert not [f for f in document["findings"] if f["rule"].startswith("learned.")]
    code, document = check_json(str(user_config(tmp_path)), "--cards", "8", env={"MINDPILOT_DATA_DIR": str(data)})
    assert [f["rule"] for f in document["findings"]] == ["yaml.unknown_kind"]  # its wheel is gone: no guess
