"""Weights and data steps: the exact commands per framework, their checks, and a real tracked run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import fake_mindformers_checkout

from mindpilot.acquire.data import data_command
from mindpilot.acquire.data_check import check_before as data_before, check_dataset, check_result as data_result
from mindpilot.acquire.data_check import check_seq_length
from mindpilot.acquire.stack import Stack, stack_from_facts
from mindpilot.acquire.weights import check_before, check_result, weights_command
from mindpilot.datafiles import package_path, read_yaml


@pytest.fixture
def model_dir(tmp_path):
    model = tmp_path / "Qwen2.5-7B"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2"}')
    return model


def test_mindformers_1x_converts_to_a_ckpt_file(model_dir):
    command = weights_command("mindformers", Stack(mindformers_version="1.3.2", mindformers_dir="/mf"), str(model_dir))
    assert command.argv[1:4] == ["convert_weight.py", "--model", "qwen2_5"]
    assert command.argv[command.argv.index("--output_path") + 1].endswith("Qwen2_5-7B_ms.ckpt")
    assert command.cwd == "/mf" and command.output_kind == "file"


# The shape of MindFormers' convert_weight.py tables (keys as in the v1.3.0 and v1.7.0 tags).
MF13_SCRIPT = """convert_map = {
    'llama': 'mindformers.models.llama.convert_weight.convert_pt_to_ms',
    'glm-n': 'mindformers.models.glm2.convert_weight.convert_pt_to_ms',
    "qwen2": 'research.qwen2.convert_weight.convert_pt_to_ms',
    'qwen2-moe': 'research.qwen2.convert_moe_weight.convert_pt_to_ms',
}
"""
MF17_SCRIPT = """convert_map = {
    'llama': 'mindformers.models.llama.convert_weight.convert_pt_to_ms',
    'qwen2_5': 'research.qwen2_5.convert_weight.convert_weight',
    'glm-n': 'mindformers.models.glm2.convert_weight.convert_weight',
    'mixtral': 'research.mixtral.convert_weight.convert_pt_to_ms',
    'telechat': 'research.telechat.convert_weight.convert_pt_to_ms',
    'deepseekv3': 'toolkit.weight_convert.deepseekv3.convert_deepseekv3_hf_weight.convert_weight'
}
reversed_convert_map = {
    'qwen_only_reversed': 'x',
}
if __name__ == '__main__':
    if args.model in ["glm4"]:
        args.model = "glm-n"
"""


@pytest.mark.parametrize("script, model_type, expected", [
    (MF13_SCRIPT, "qwen2", "qwen2"), (MF17_SCRIPT, "qwen2", "qwen2_5"), (MF17_SCRIPT, "glm4", "glm4"),
    (MF13_SCRIPT, "glm4", "glm-n"), (MF17_SCRIPT, "deepseek_v3", "deepseekv3")])
def test_the_model_name_is_one_the_checkouts_own_script_accepts(tmp_path, model_dir, script, model_type, expected):
    checkout = tmp_path / "mindformers"
    checkout.mkdir()
    (checkout / "convert_weight.py").write_text(script)
    (model_dir / "config.json").write_text(json.dumps({"model_type": model_type}))
    command = weights_command("mindformers", Stack(mindformers_version="1.3.0", mindformers_dir=str(checkout)),
                              str(model_dir))
    assert command.argv[command.argv.index("--model") + 1] == expected
    assert check_before(command) == []


def test_a_model_the_checkouts_script_cannot_convert_is_caught_before_running(tmp_path, model_dir):
    checkout = tmp_path / "mindformers"
    checkout.mkdir()
    (checkout / "convert_weight.py").write_text(MF17_SCRIPT)
    (model_dir / "config.json").write_text(json.dumps({"model_type": "internlm2"}))
    command = weights_command("mindformers", Stack(mindformers_version="1.7.0", mindformers_dir=str(checkout)),
                              str(model_dir))
    found = check_before(command)
    assert [f.rule for f in found] == ["acquire.convert_model_unknown"]
    assert "--model internlm2" in found[0].title and "qwen_only_reversed" not in found[0].detail
    assert "llama, qwen2_5, glm-n, mixtral, telechat, deepseekv3, glm4" in found[0].detail


def test_mindformers_2x_says_pretrained_model_dir_instead_of_converting(model_dir):
    command = weights_command("mindformers", Stack(mindformers_version="2.0.0"), str(model_dir))
    assert command.argv == [] and command.yaml_keys == {"pretrained_model_dir": str(model_dir)}
    assert "pretrained_model_dir" in command.notes[0]


def test_grpo_loads_hf_weights_directly(model_dir):
    command = weights_command("mindrlhf-grpo", Stack(), str(model_dir), lang="zh")
    assert command.argv == [] and "--actor_checkpoint_path" in command.notes[0]


def test_mindspeed_convert_ckpt_takes_tp_pp_from_the_plan(model_dir, tmp_path):
    command = weights_command("mindspeed-llm", Stack(), str(model_dir), str(tmp_path / "mcore"), tp=4, pp=2)
    argv = command.argv
    assert argv[argv.index("--target-tensor-parallel-size") + 1] == "4"
    assert argv[argv.index("--target-pipeline-parallel-size") + 1] == "2"
    assert argv[argv.index("--model-type-hf") + 1] == "llama2" and "--add-qkv-bias" in argv
    (tmp_path / "mcore" / "iter_0000001" / "mp_rank_00_000").mkdir(parents=True)
    found = check_result(command)
    assert [f.rule for f in found] == ["acquire.rank_folders_missing"] and "found 1" in found[0].title
    for tp in range(4):
        for pp in range(2):
            (tmp_path / "mcore" / "iter_0000001" / f"mp_rank_{tp:02d}_{pp:03d}").mkdir(exist_ok=True)
    assert check_result(command) == []


def test_a_directory_given_as_the_ckpt_file_is_caught_before_running(model_dir, tmp_path):
    (tmp_path / "model_new").mkdir()
    command = weights_command("mindformers", Stack(mindformers_version="1.3.0"), str(model_dir),
                              str(tmp_path / "model_new"))
    found = check_before(command)
    assert [f.rule for f in found] == ["acquire.output_is_dir"] and "model_new/model_new_ms.ckpt" in found[0].fix


def test_the_stack_comes_from_the_doctor_facts():
    facts = {"checkouts": {"mindformers": {"path": "/w/mf", "version": "1.6.0"}, "mindrlhf": {"path": "/w/rl"}},
             "python": {"executable": "/env/bin/python"}, "packages": {}}
    stack = stack_from_facts(facts)
    assert (stack.mindformers_version, stack.mindformers_dir, stack.mindrlhf_dir, stack.python) == \
        ("1.6.0", "/w/mf", "/w/rl", "/env/bin/python")
    assert stack.checkout("mindspeed-llm") == "MindSpeed-LLM"


def test_an_html_page_saved_as_parquet_is_caught(tmp_path):
    page = tmp_path / "train-00000-of-00001.parquet"
    page.write_text("\n<!DOCTYPE html>\n<html><head><title>alpaca</title></head></html>")
    assert [f.rule for f in check_dataset(str(page))] == ["acquire.dataset_is_html"]
    real = tmp_path / "real.parquet"
    real.write_bytes(b"PAR1" + b"\0" * 100 + b"PAR1")
    assert check_dataset(str(real)) == []
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(b"PAR1" + b"\0" * 100)
    assert [f.rule for f in check_dataset(str(cut))] == ["acquire.dataset_not_parquet"]


def test_mindspeed_output_prefix_must_not_be_a_folder(model_dir, tmp_path):
    folder = tmp_path / "finetune_dataset"
    folder.mkdir()
    command = data_command("mindspeed-llm", Stack(), str(tmp_path / "alpaca.parquet"), str(model_dir), str(folder),
                           seq_length=4096)
    found = data_before(command)
    assert [f.rule for f in found] == ["acquire.prefix_is_dir"] and "finetune_dataset/finetune_dataset" in found[0].fix
    good = data_command("mindspeed-llm", Stack(), "a.parquet", str(model_dir), str(folder / "alpaca"))
    assert [f.rule for f in data_result(good)] == ["acquire.output_missing"]
    for suffix in ("bin", "idx"):
        (folder / f"alpaca_packed_input_ids_document.{suffix}").write_bytes(b"x")
    assert data_result(good) == []


def test_sequence_length_must_match_the_yaml(tmp_path):
    config = tmp_path / "finetune.yaml"
    config.write_text("model:\n  model_config:\n    seq_length: 8192\n")
    assert [f.rule for f in check_seq_length(4096, str(config))] == ["acquire.seq_length_mismatch"]
    assert check_seq_length(8192, str(config)) == []


def test_mindrecord_needs_its_db_file(model_dir, tmp_path):
    command = data_command("mindrlhf-grpo", Stack(), str(tmp_path / "train.jsonl"), str(model_dir),
                           str(tmp_path / "gsm8k.mindrecord"))
    assert command.argv[1].endswith("rlhf_data.py") and "--dataset_type" in command.argv
    (tmp_path / "gsm8k.mindrecord").write_bytes(b"x")
    assert [f.rule for f in data_result(command)] == ["acquire.mindrecord_missing_db"]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mindpilot", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_cli_data_refuses_a_web_page_dataset_with_exit_1(tmp_path, model_dir):
    page = tmp_path / "alpaca.parquet"
    page.write_text("<html><body>blob</body></html>")
    done = _cli("data", str(page), "--model-dir", str(model_dir), "--framework", "mindspeed-llm", "--no-probe",
                "--json")
    assert done.returncode == 1, done.stderr
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["acquire.dataset_is_html"]


def test_cli_weights_runs_the_conversion_as_a_tracked_job_and_checks_the_file(tmp_path, model_dir):
    checkout = fake_mindformers_checkout(tmp_path)
    out = tmp_path / "qwen_ms.ckpt"
    env = {"MINDPILOT_STATE_DIR": str(tmp_path / "state")}
    done = _cli("weights", "--model-dir", str(model_dir), "--checkout", str(checkout), "--python", sys.executable,
                "--mindformers-version", "1.3.0", "--no-probe", "--output", str(out), "--run", "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["exit_code"] == 0 and result["findings"] == [] and out.read_bytes() == b"ckpt"
    jobs = _cli("jobs", "--json", env=env)
    assert result["job"] in jobs.stdout
    again = _cli("weights", "--model-dir", str(model_dir), "--checkout", str(checkout), "--python", sys.executable,
                 "--mindformers-version", "1.3.0", "--no-probe", "--output", str(tmp_path / "again.ckpt"), "--run",
                 env=env)
    assert again.returncode == 0, again.stderr
    assert f"converting {model_dir}" in again.stderr  # the job's console, followed to its end


def test_cli_weights_demo_takes_the_checkout_and_python_from_the_probe(model_dir):
    done = _cli("weights", "--model-dir", str(model_dir), "--demo", "--json")
    assert done.returncode == 0, done.stderr
    assert "probe failed" not in done.stderr
    command = json.loads(done.stdout)
    demo_env = read_yaml(package_path("validators", "data", "demo_root", "demo_env.yaml"))
    assert command["cwd"] == demo_env["checkouts"]["mindformers"]["path"]
    assert command["argv"][0] == demo_env["python"]["executable"]
