"""Every input has a stated bound; past it the real CLI says so in one line with exit 2, fast, never a traceback.

The bounds are constants in the code (``MAX_DEPTH``, ``MAX_NODES``, ``MAX_TEXT_BYTES`` ...); these tests
build an input just past each one (and, where it is cheap, one just inside) and run the command a
user would run.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from mindpilot.exit_codes import ExitCode
from mindpilot.validators.datafiles import MAX_DEPTH, MAX_NODES, MAX_TEXT_BYTES, InputBoundError, check_shape
from support import REPO, run_cli

FAST_SECONDS = 30
"""A refusal must come long before a user thinks the tool hangs (generous: the CI machine is shared)."""


def refused(done, name: str, words: str, started: float) -> str:
    """The one stderr line of a bound refusal naming ``name``; asserts exit 2, no traceback, fast."""
    assert time.monotonic() - started < FAST_SECONDS
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == ExitCode.USAGE, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and words in lines[0], done.stderr
    return lines[0]


def deep_flow_yaml(levels: int) -> str:
    return "model:\n  model_config: " + "[" * levels + "]" * levels + "\n"


def deep_block_yaml(levels: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(levels))


def billion_laughs() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join(["*" + previous] * 9) + "]\n"
        previous = name
    return text + "parallel_config:\n  data_parallel: *i\nmodel:\n  model_config:\n    x: *i\n"


def test_the_shape_bounds_are_exact():
    nested: object = 1
    for _ in range(MAX_DEPTH):
        nested = [nested]
    check_shape(nested, "inside")  # exactly MAX_DEPTH levels is accepted
    with pytest.raises(InputBoundError, match=f"deeper than {MAX_DEPTH}"):
        check_shape([nested], "outside")
    check_shape(list(range(MAX_NODES - 1)), "inside")  # the list itself counts as one value
    with pytest.raises(InputBoundError, match=f"more than {MAX_NODES}"):
        check_shape(list(range(MAX_NODES)), "outside")
    shared = list(range(1000))
    with pytest.raises(InputBoundError, match="aliases"):  # one list used 300 times counts 300 times
        check_shape({"k%d" % i: shared for i in range(300)}, "aliases")


@pytest.mark.parametrize("builder", [deep_flow_yaml, deep_block_yaml], ids=["flow", "block"])
@pytest.mark.parametrize("command", [
    ("check", "{f}", "--skip-paths"),
    ("check", "{f}", "--cards", "8", "--fix"),
    ("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", "{f}"),
    ("launch", "{f}", "--dry-run", "--no-probe"),
    ("preset", "show", "{f}"),
])
def test_a_yaml_nested_10000_deep_is_one_line_exit_2(tmp_path, builder, command):
    target = tmp_path / "deep.yaml"
    target.write_text(builder(10_000 if builder is deep_flow_yaml else 500))  # block: 500 levels is 125 KB
    before = target.read_bytes()
    started = time.monotonic()
    done = run_cli(*[part.format(f=target) for part in command], env={"MINDPILOT_STATE_DIR": str(tmp_path / "s")})
    refused(done, "deep.yaml", f"deeper than {MAX_DEPTH}", started)
    assert target.read_bytes() == before
    assert not (tmp_path / "deep.yaml.bak").exists()


def test_a_config_json_nested_10000_deep_is_one_line_exit_2(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"num_hidden_layers": ' + "[" * 10_000 + "]" * 10_000 + "}")
    started = time.monotonic()
    refused(run_cli("plan", "--model", str(model), "--cards", "8"), "config.json", "deeper than", started)


def test_a_preset_json_nested_10000_deep_is_one_line_exit_2(tmp_path):
    target = tmp_path / "job.json"
    target.write_text('{"name": "x", "env": ' + "{\"a\": " * 10_000 + "1" + "}" * 10_000 + "}")
    started = time.monotonic()
    refused(run_cli("preset", "show", str(target)), "job.json", "deeper than", started)


@pytest.mark.parametrize("command", [("check", "{f}", "--skip-paths"), ("preset", "show", "{f}")])
def test_billion_laughs_is_refused_not_walked(tmp_path, command):
    target = tmp_path / "laughs.yaml"
    target.write_text(billion_laughs())
    started = time.monotonic()
    refused(run_cli(*[part.format(f=target) for part in command]), "laughs.yaml", "aliases", started)


def test_ordinary_anchors_stay_accepted(tmp_path):
    """The shipped configs share blocks with anchors; a few uses are far below the bound."""
    target = tmp_path / "anchored.yaml"
    source = REPO / "tests" / "data" / "check" / "qwen2_5_7b_2cards.yaml"
    target.write_text(source.read_text() + "\nextra: &extra {a: 1, b: [1, 2, 3]}\nagain: *extra\nmore: *extra\n")
    done = run_cli("check", str(target), "--skip-paths", "--cards", "2")
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr
    assert "refused" not in done.stderr


def test_a_config_bigger_than_the_bound_is_refused_unread(tmp_path):
    target = tmp_path / "huge.yaml"
    target.write_text("# padding\n" * (MAX_TEXT_BYTES // 10 + 1))
    assert target.stat().st_size > MAX_TEXT_BYTES
    started = time.monotonic()
    refused(run_cli("check", str(target), "--skip-paths"), "huge.yaml", "too big", started)
    target.write_text("# padding\n" * (MAX_TEXT_BYTES // 20) + "seed: 0\n")
    inside = run_cli("check", str(target), "--skip-paths")
    assert "too big" not in inside.stderr and "Traceback" not in inside.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
@pytest.mark.parametrize("command", [
    ("check", "/dev/zero", "--skip-paths"),
    ("plan", "--model", "/dev/zero.json", "--cards", "8"),
    ("preset", "show", "/dev/zero"),
])
def test_a_device_as_input_is_refused_not_read(tmp_path, command):
    if "/dev/zero.json" in command:  # a config.json path that is a device: a link named config.json
        model = tmp_path / "model"
        model.mkdir()
        (model / "config.json").symlink_to("/dev/zero")
        command = ("plan", "--model", str(model), "--cards", "8")
    started = time.monotonic()
    done = run_cli(*command, timeout=60)
    assert time.monotonic() - started < FAST_SECONDS
    assert done.returncode == ExitCode.USAGE and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_fifo_as_a_config_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = run_cli("plan", "--model", "qwen2.5-7b", "--cards", "8", "--apply", str(fifo), timeout=60)
    refused(done, "config.yaml", "FIFO", started)


def test_json_helpers_accept_what_the_bounds_allow(tmp_path):
    """A real config.json (shipped test data) still loads through the bounded reader."""
    from mindpilot.presets.models import read_json

    config = REPO / "tests" / "data" / "plan" / "Qwen3-0.6B" / "config.json"
    assert read_json(config) == json.loads(config.read_text())


def qwen_config(**changes: object) -> str:
    config = {"model_type": "qwen2", "num_hidden_layers": 28, "hidden_size": 3584, "num_attention_heads": 28,
              "num_key_value_heads": 4, "intermediate_size": 18944, "vocab_size": 152064}
    config.update(changes)
    return json.dumps(config)  # NaN and Infinity as Python's json writes them (and reads them back)


@pytest.mark.parametrize("changes,words", [
    ({"num_hidden_layers": 1_000_000_000}, "num_layers: must be between 1 and 1000"),
    ({"num_attention_heads": 0}, "num_heads: must be between 1 and"),
    ({"hidden_size": float("nan")}, "expected an integer, got nan"),
    ({"vocab_size": float("inf")}, "expected an integer, got inf"),
    ({"max_position_embeddings": float("-inf")}, "expected an integer, got -inf"),
    ({"kv_lora_rank": 1e300}, "kv_lora_rank: must be between"),
], ids=["layers", "heads0", "nan", "inf", "neginf", "huge-rank"])
def test_architecture_numbers_out_of_range_in_config_json(tmp_path, changes, words):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(qwen_config(**changes))
    started = time.monotonic()
    refused(run_cli("plan", "--model", str(model), "--cards", "8"), "config.json", words, started)


YAML_SOURCE = REPO / "tests" / "data" / "check" / "qwen2_5_7b_2cards.yaml"


CHECK_FIX = ("check", "{f}", "--cards", "8", "--fix")
PLAN_MODEL = ("plan", "--model", "{f}", "--cards", "8")


@pytest.mark.parametrize("old,new,words,command", [
    ("num_layers: 28", "num_layers: 1000000000", "must be between 1 and 1000", CHECK_FIX),
    ("num_layers: 28", "num_layers: 1000000000", "must be between 1 and 1000", PLAN_MODEL),
    ("num_heads: 28", "num_heads: 0", "must be between 1 and", CHECK_FIX),
    ("num_heads: 28", "num_heads: 0", "must be between 1 and", PLAN_MODEL),
    # check --fix plans a NaN size with the catalogue model the file names; plan --model has only the file
    ("hidden_size: 3584", "hidden_size: .nan", "expected an integer, got nan", PLAN_MODEL),
], ids=["layers-fix", "layers-plan", "heads0-fix", "heads0-plan", "nan-plan"])
def test_architecture_numbers_out_of_range_in_a_yaml(tmp_path, old, new, words, command):
    text = YAML_SOURCE.read_text()
    assert old in text
    target = tmp_path / "finetune.yaml"
    target.write_text(text.replace(old, new))
    started = time.monotonic()
    refused(run_cli(*[part.format(f=target) for part in command]), "finetune.yaml", words, started)
    assert target.read_text() == text.replace(old, new)


def test_check_without_fix_finishes_on_a_billion_layers(tmp_path):
    """The plain check reports the numbers; it must not run a per-layer loop a billion times."""
    target = tmp_path / "finetune.yaml"
    target.write_text(YAML_SOURCE.read_text().replace("num_layers: 28", "num_layers: 1000000000"))
    started = time.monotonic()
    done = run_cli("check", str(target), "--skip-paths", "--cards", "8")
    assert time.monotonic() - started < FAST_SECONDS
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE) and "Traceback" not in done.stderr


@pytest.mark.parametrize("args,words", [
    (("plan", "--model", "qwen2.5-7b", "--cards", "4611686018427387904"), "cards must be at most 131072"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "8", "--hbm", "1e308"), "hbm_gb must be at most 4096"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "8", "--seq-len", "99999999999"), "seq_len must be at most"),
    (("plan", "--model", "qwen2.5-7b", "--cards", "8", "--global-batch", "99999999999"), "global_batch must be"),
    (("check", str(YAML_SOURCE), "--cards", "4611686018427387904"), "--cards must be between 1 and 131072"),
    (("check", str(YAML_SOURCE), "--cards", "8", "--hbm", "1e308"), "--hbm must be a positive number of GB up to"),
], ids=["plan-cards", "plan-hbm", "plan-seq", "plan-batch", "check-cards", "check-hbm"])
def test_flag_numbers_past_their_bound(args, words):
    started = time.monotonic()
    line = refused(run_cli(*args), "mindpilot", words, started)
    assert len(line) < 200  # no 300-digit number


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_diagnose_refuses_a_device_and_a_fifo(tmp_path):
    fifo = tmp_path / "worker_0.log"
    os.mkfifo(fifo)
    for target in ("/dev/zero", str(fifo)):
        started = time.monotonic()
        line = refused(run_cli("diagnose", target, timeout=60), target, "not a regular file", started)
        assert "mindpilot diagnose -" in line  # where streams go instead


def test_diagnose_skips_special_files_inside_a_log_directory(tmp_path):
    (tmp_path / "worker_0.log").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "worker_1.log")
    (tmp_path / "worker_2.log").write_text("RuntimeError: something broke\n")
    started = time.monotonic()
    done = run_cli("diagnose", str(tmp_path), "--json", timeout=60)
    assert time.monotonic() - started < FAST_SECONDS and "Traceback" not in done.stderr
    assert [f["file"] for f in json.loads(done.stdout)["files"]] == [str(tmp_path / "worker_2.log")]


def test_diagnose_stops_a_stream_at_its_bound(monkeypatch):
    import io

    from mindpilot.validators.kb import diagnose

    monkeypatch.setattr(diagnose, "MAX_STREAM_BYTES", 1 << 20)
    report = diagnose.diagnose_paths(["-"], "en", stdin=io.BytesIO(b"x" * (3 << 20)))
    assert report.files[0].bytes == 1 << 20
    assert "stopped at 1048576 bytes" in (report.files[0].error or "")
    assert any(f.rule == "diagnose.read_stopped" for f in report.findings + report.notes)


def test_diagnose_of_an_unreadable_directory_is_not_a_clean_pass(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "worker_0.log").write_text("RuntimeError: x\n")
    if os.geteuid() != 0:
        logs.chmod(0)
        try:
            done = run_cli("diagnose", str(logs))
        finally:
            logs.chmod(0o755)
        assert done.returncode == ExitCode.USAGE and "cannot read" in done.stderr, done.stderr
        return
    # root reads every directory: make this one fail to list, and run the CLI in this process
    from mindpilot import cli

    real_listdir = os.listdir

    def refuse(path):
        if str(path) == str(logs):
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", refuse)
    assert cli.main(["diagnose", str(logs)]) == ExitCode.USAGE


def test_doctor_kills_a_python_that_prints_forever(tmp_path):
    flood = tmp_path / "flood"
    flood.write_text(f"#!{sys.executable}\nimport sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    flood.chmod(0o755)
    started = time.monotonic()
    done = run_cli("doctor", "--python", str(flood), timeout=120)
    assert time.monotonic() - started < FAST_SECONDS
    assert done.returncode == ExitCode.ENVIRONMENT and "Traceback" not in done.stderr
    assert "printed more than 8 MiB" in done.stderr


def test_run_captured_keeps_memory_bounded():
    from mindpilot.validators.probe.subprocesses import MAX_OUTPUT_BYTES, OutputTooLarge, run_captured

    with pytest.raises(OutputTooLarge):
        run_captured([sys.executable, "-c", "import sys\nwhile True: sys.stderr.write('y' * 65536)"], timeout=60)
    done = run_captured([sys.executable, "-c", f"print('z' * {MAX_OUTPUT_BYTES - 10})"], timeout=60)
    assert len(done.stdout) == MAX_OUTPUT_BYTES - 9


@pytest.mark.parametrize("content,words", [
    ("", "is empty"), ("# only a comment\n", "is empty"), ("- a\n- b\n", "is a list"), ("hello\n", "single value"),
], ids=["empty", "comment", "list", "scalar"])
def test_check_of_a_yaml_that_is_not_a_mapping_fails_ci(tmp_path, content, words):
    """CI runs ``mindpilot check`` to gate a config: a config emptied or cut to a scalar must not pass."""
    target = tmp_path / "finetune.yaml"
    target.write_text(content)
    done = run_cli("check", str(target), "--json")
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["yaml.not_a_mapping"] and findings[0]["severity"] == "error"
    assert words in findings[0]["title"]


def test_doctor_refuses_a_probe_answer_nested_10000_deep(tmp_path):
    liar = tmp_path / "liar"
    liar.write_text(f"#!{sys.executable}\nprint('[' * 10000 + ']' * 10000)\n")
    liar.chmod(0o755)
    done = run_cli("doctor", "--python", str(liar), timeout=120)
    assert done.returncode == ExitCode.ENVIRONMENT and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "deeper than" in done.stderr


def test_flow_nesting_is_refused_before_parsing():
    """ruamel's scanner takes time in the square of the flow depth; the bracket scan refuses first."""
    from mindpilot.validators.datafiles import flow_depth, parse_bounded

    assert flow_depth("a: [1, {b: [2]}]\nc: '[x'\n") == 3
    called = []
    with pytest.raises(InputBoundError, match="deeper than"):
        parse_bounded("deep.yaml", lambda: called.append(1), "[" * (MAX_DEPTH + 1))
    assert not called


def test_a_reused_anchor_is_not_a_warning_on_stderr(tmp_path):
    target = tmp_path / "anchors.yaml"
    target.write_text("a: &x 1\nb: &x 2\nc: *x\n")
    done = run_cli("check", str(target), "--skip-paths")
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_wheel_with_a_deep_version_map_is_a_learn_error(tmp_path):
    import zipfile

    from mindpilot.validators.learn import LearnError, read_wheel

    wheel = tmp_path / "mindformers-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mindformers-9.9.9.dist-info/METADATA", "Name: mindformers\nVersion: 9.9.9\n")
        archive.writestr("mindformers/VERSION_MAP.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(LearnError, match="not a readable wheel"):
        read_wheel(wheel)
