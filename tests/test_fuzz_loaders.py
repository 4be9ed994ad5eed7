"""Fuzzing the loaders: random YAML, JSON, config.json and preset documents never get a traceback or a hang.

Property (docs/security.md, "Fuzzing"): for any document, the command a user would run on it ends
with exit 0, 1 or 2, prints no traceback, and finishes within :data:`SECONDS_PER_RUN`. Most examples
run the real CLI entry point (:func:`mindpilot.cli.main`) in this process, which is the same code as
the ``mindpilot`` command without an interpreter start per example; :func:`test_real_cli_processes`
runs a few as real subprocesses. The budget is fixed (``max_examples``, ``derandomize=True``, no
example database), so CI runs the same documents every time in well under a minute.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mindpilot import cli
from support import REPO, run_cli

SECONDS_PER_RUN = 20.0
"""A generous bound per document on a shared 2-core CI machine; a hang would be far past it."""
BUDGET = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""The fixed CI budget of each in-process property (the real CLI processes have their own)."""

MINDFORMERS_YAML = REPO / "tests" / "data" / "check" / "qwen2_5_7b_2cards.yaml"
HF_CONFIG = REPO / "tests" / "data" / "plan" / "Qwen3-0.6B" / "config.json"
PRESET = REPO / "presets" / "builtin" / "demo.yaml"

# --- values: what a careless or hostile file can hold where a number or a name belongs --------------------

NASTY_NUMBERS = st.sampled_from([math.nan, 0, math.inf, -1, 10 ** 30, 1 << 62, 1e308, 0.5, True, 3])
NASTY_TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", "\n", "\x00", "*a", "&a", "${X}", "$(id)",
                                                             "'", '"', "{", "[", "~", "null", "1e5", ".nan"]))
SCALARS = st.one_of(st.none(), NASTY_NUMBERS, st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    NASTY_TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def deep(levels: int, kind: str) -> Any:
    """A value nested ``levels`` deep (past the depth bound for large ``levels``)."""
    value: Any = 1
    for _ in range(levels):
        value = [value] if kind == "list" else {"k": value}
    return value


HF_KEYS = ["num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "intermediate_size",
           "vocab_size", "max_position_embeddings", "head_dim", "num_experts", "num_experts_per_tok",
           "moe_intermediate_size", "first_k_dense_replace", "num_nextn_predict_layers", "kv_lora_rank",
           "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_shared_experts", "model_type",
           "tie_word_embeddings"]
"""config.json keys the planner reads: each edit hits one of them, or any key already in the document."""
MODEL_CONFIG_KEYS = ["num_layers", "num_heads", "n_kv_heads", "hidden_size", "intermediate_size", "vocab_size",
                     "seq_length", "multiple_of", "ffn_dim_multiplier", "offset", "pp_interleave_num"]
PARALLEL_KEYS = ["data_parallel", "model_parallel", "pipeline_stage", "context_parallel", "expert_parallel",
                 "micro_batch_num", "vocab_emb_dp", "use_seq_parallel"]
"""MindFormers YAML numbers the checker and planner compute with (``model.model_config``, ``parallel_config``)."""
DEEP = st.builds(deep, st.sampled_from([5, 99, 101, 600]), st.sampled_from(["list", "dict"]))
"""Around the depth bound (100) and far past it (10,000 deep is in test_input_bounds.py)."""
ANY_VALUE = st.one_of(NASTY_NUMBERS, VALUES, DEEP)
"""A third of the draws is a number at an edge (0, negative, huge, NaN, inf): the values code divides by."""


def paths_in(tree: Any, prefix: tuple = ()) -> list:
    """Every path to a value in a loaded document (keys of mappings, indexes of lists), 8 levels at most."""
    found = [prefix] if prefix else []
    if len(prefix) >= 8:
        return found
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths_in(value, (*prefix, index))
    return found


def mutated(base: Any, data: st.DataObject, edits: int = 4) -> Any:
    """``base`` with a few values (anywhere in it) replaced by hostile ones."""
    tree = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, edits))):
        paths = paths_in(tree)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = data.draw(ANY_VALUE)
    return tree


def dump_yaml(tree: Any) -> str:
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    except RecursionError:
        return json.dumps(tree)  # JSON is YAML; deep trees are written flow style


YAML_CHARS = st.sampled_from(list("abk01:-[]{},&*!|>'\"#%@` \n\t.~?") + ["  ", ": ", "- ", "\n  ", "&a ", "*a", "<<: "])
RAW_YAML = st.lists(YAML_CHARS, max_size=80).map("".join)
"""Text made of YAML's own punctuation: the parser's error paths, not only well-formed trees."""


@contextlib.contextmanager
def state_dir(tmp: Path):
    old = os.environ.get("MINDPILOT_STATE_DIR")
    os.environ["MINDPILOT_STATE_DIR"] = str(tmp / "state")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINDPILOT_STATE_DIR", None)
        else:
            os.environ["MINDPILOT_STATE_DIR"] = old


def run_main(*argv: str) -> tuple[int, str, str]:
    """:func:`mindpilot.cli.main` in this process; any exception it lets out fails the property."""
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    elapsed = time.monotonic() - started
    assert elapsed < SECONDS_PER_RUN, (argv, elapsed)
    assert code in (0, 1, 2), (argv, code, err.getvalue()[-2000:])
    assert "Traceback" not in err.getvalue(), err.getvalue()[-2000:]
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@BUDGET
@given(data=st.data())
def test_check_and_fix_on_mutated_mindformers_yaml(workdir, data):
    document = yaml.safe_load(MINDFORMERS_YAML.read_text())
    document["model"]["model_config"].update(
        data.draw(st.dictionaries(st.sampled_from(MODEL_CONFIG_KEYS), NASTY_NUMBERS, min_size=1, max_size=4)))
    document["parallel_config"].update(data.draw(st.dictionaries(st.sampled_from(PARALLEL_KEYS), NASTY_NUMBERS,
                                                                 max_size=3)))
    if data.draw(st.booleans()):
        document = mutated(document, data)
    target = workdir / "finetune.yaml"
    target.write_text(dump_yaml(document))
    run_main("check", str(target), "--skip-paths", "--cards", "8", "--json")
    run_main("check", str(target), "--cards", "8", "--fix", "--dry-run")
    run_main("plan", "--model", str(target), "--cards", "8", "--json")


@BUDGET
@given(text=st.one_of(RAW_YAML, VALUES.map(dump_yaml), DEEP.map(json.dumps)))
def test_check_and_apply_on_random_yaml_text(workdir, text):
    target = workdir / "random.yaml"
    target.write_text(text)
    run_main("check", str(target), "--skip-paths")
    before = target.read_bytes()
    code, _, _ = run_main("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(target), "--dry-run")
    assert target.read_bytes() == before  # --dry-run writes nothing, whatever the file holds


@settings(BUDGET, max_examples=50)
@given(data=st.data())
def test_plan_on_mutated_config_json(workdir, data):
    document = json.loads(HF_CONFIG.read_text())
    document.update(data.draw(st.dictionaries(st.sampled_from(HF_KEYS), NASTY_NUMBERS, min_size=1, max_size=6)))
    if data.draw(st.booleans()):
        document = mutated(document, data, edits=2)
    model = workdir / "model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text(json.dumps(document))  # NaN and Infinity as Python writes them
    run_main("plan", "--model", str(model), "--cards", data.draw(st.sampled_from(["1", "8", "64", "4096"])),
             "--json")


@BUDGET
@given(text=st.one_of(VALUES.map(json.dumps), DEEP.map(json.dumps), st.text(max_size=40)))
def test_plan_on_random_json(workdir, text):
    model = workdir / "json-model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text(text)
    run_main("plan", "--model", str(model), "--cards", "8")


@BUDGET
@given(data=st.data(), as_json=st.booleans())
def test_preset_show_and_dry_run_launch_on_mutated_presets(workdir, data, as_json):
    document = mutated(yaml.safe_load(PRESET.read_text()), data)
    target = workdir / ("preset.json" if as_json else "preset.yaml")
    target.write_text(json.dumps(document) if as_json else dump_yaml(document))
    with state_dir(workdir):
        run_main("preset", "show", str(target))
        run_main("preset", "run-sh", str(target))
        run_main("check", str(target), "--skip-paths")


def test_found_by_the_fuzz_check_of_an_invalid_preset_in_text_mode(tmp_path):
    """``check PRESET`` of a preset that does not load (a name that is NaN) printed a KeyError traceback."""
    target = tmp_path / "job.yaml"
    target.write_text("name: .nan\nscript: train.py\n")
    code, out, err = run_main("check", str(target), "--skip-paths")
    assert code == 1 and "preset.invalid" in out + err


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_real_cli_processes(tmp_path, data):
    """A few documents through the real ``mindpilot`` process: exit code and stderr as a user sees them."""
    yaml_doc = tmp_path / "finetune.yaml"
    yaml_doc.write_text(dump_yaml(mutated(yaml.safe_load(MINDFORMERS_YAML.read_text()), data)))
    preset = tmp_path / "preset.yaml"
    preset.write_text(dump_yaml(mutated(yaml.safe_load(PRESET.read_text()), data)))
    for argv in (("check", str(yaml_doc), "--skip-paths", "--cards", "8"),
                 ("launch", str(preset), "--dry-run", "--no-probe")):
        started = time.monotonic()
        done = run_cli(*argv, env={"MINDPILOT_STATE_DIR": str(tmp_path / "state")}, cwd=str(tmp_path), timeout=120)
        assert time.monotonic() - started < SECONDS_PER_RUN + 10  # plus an interpreter start
        assert done.returncode in (0, 1, 2), (argv, done.returncode, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, done.stderr[-2000:]
