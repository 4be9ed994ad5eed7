"""Every pain in the seed diaries (``../shared/seeds/00N_*.txt``) is caught by a mindpilot command.

One row per pain point: the seed it comes from, what went wrong, the input that reproduces it (a realistic
excerpt copied into ``tests/data/seeds/``, so this test never needs ``../shared``), the command that
catches it, and the rule it must report. ``docs/seeds-coverage.md`` is the same table in prose.

Commands are called through their core functions (what the CLI adapters call): ``diagnose`` ->
``diagnose_paths``, ``check`` -> ``check_files``, ``doctor`` -> ``judge`` on recorded environment facts
(``--stack`` when the row names one) or ``find_cann`` on a fake install tree, ``launch`` preflight ->
``preflight``, and the live view -> ``follow_logs``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple, Optional

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.kb import diagnose_paths

SEEDS = Path(__file__).parent / "data" / "seeds"


class Pain(NamedTuple):
    id: str
    """Stable row id: seed number and a short name."""
    seed: str
    """The seed file the pain comes from (its number)."""
    pain: str
    """What went wrong, in a few words."""
    inputs: tuple[str, ...]
    """Files (or folders) under tests/data/seeds/."""
    command: str
    """diagnose | check | doctor | cann | preflight | tail."""
    expect: str
    """The rule id that must be reported (for ``cann``/``tail``: the fact that must be read)."""
    options: Optional[dict] = None
    """Command options: cards, hbm, stack, tokenizer/output for preflight."""


def _p(id, seed, pain, inputs, command, expect, **options) -> Pain:
    return Pain(id, seed, pain, (inputs,) if isinstance(inputs, str) else tuple(inputs), command, expect, options)


PAINS = [
    # seed 000: MindRLHF + MindFormers, Qwen2.5-7B GRPO tutorial
    _p("000-ms22-convert", "000", "MindSpore 2.2 too old for convert_weight.py", "000_mindspore_2_2_convert.log",
       "diagnose", "kb.versions.mindspore_too_old"),
    _p("000-ms22-env", "000", "MindSpore 2.2 under a MindFormers 1.6 checkout", "000_env_mindspore_2_2.json",
       "doctor", "doctor.mindspore_too_old"),
    _p("000-pip-upgrate", "000", "pip install --upgrate (option typo)", "000_pip_upgrate.log",
       "diagnose", "kb.environment.pip_option_typo"),
    _p("000-pip-minspore", "000", "pip install minspore: no matching distribution", "000_pip_minspore.log",
       "diagnose", "kb.environment.pip_no_distribution"),
    _p("000-pip-minspore-script", "000", "misspelt package name in a script", "000_pip_fastchat.sh",
       "check", "shell.pip_wrong_name"),
    _p("000-pip-unquoted", "000", "pip install fastchat>=0.2.13 unquoted (bash redirection)", "000_pip_fastchat.sh",
       "check", "shell.pip_unquoted_specifier"),
    _p("000-fastchat-missing", "000", "No module named 'fastchat' in alpaca_converter.py", "000_fastchat_missing.log",
       "diagnose", "kb.data.fastchat_missing"),
    _p("000-research-import", "000", "from research.qwen2.qwen2_tokenizer import fails",
       "000_qwen2_preprocess_research.log", "diagnose", "kb.environment.no_module_research"),
    _p("000-tokenizer-file", "000", "tokenizer.json given where a tokenizer folder is needed",
       "000_qwen_preprocess_tokenizer_file.log", "diagnose", "kb.data.tokenizer_not_directory"),
    _p("000-tokenizer-incomplete", "000", "tokenizer_dir without merges.txt", "000_models/Qwen2.5",
       "preflight", "preflight.tokenizer_incomplete"),
    _p("000-launcher-default-8", "000", "msrun_launcher.sh defaults to 8 cards on a 2-card machine",
       "000_strategy_default_8cards.sh", "check", "launch.launcher_default_8", cards=2),
    _p("000-launcher-vs-yaml", "000", "8 launcher workers for a 2-card YAML",
       ["000_strategy/msrun_strategy.sh", "000_strategy/finetune_qwen2_5_7b_2cards.yaml"],
       "check", "launch.worker_num_vs_config"),
    _p("000-port-placeholder", "000", "PORT placeholder left in the launcher call", "000_strategy_2cards_port.sh",
       "check", "launch.placeholder_port"),
    _p("000-port-placeholder-log", "000", "msrun: invalid int value: 'PORT'", "000_msrun_port.log",
       "diagnose", "kb.launch.port_placeholder"),
    _p("000-path-placeholder", "000", "/{path}/ placeholders in the 10.1 command", "000_result_10_1.sh",
       "check", "launch.placeholder_path"),
    _p("000-8-workers-2-cards", "000", "8 workers asked for on 2 cards (10.1)", "000_result_10_1.sh",
       "check", "launch.local_gt_cards", cards=2),
    _p("000-cd-absolute", "000", "cd /research/qwen2_5, cd /mindrlhf", "000_cd_absolute.sh",
       "check", "shell.cd_absolute"),
    _p("000-env-placeholder", "000", "MINDRLHF_FILE=/{path}/mindrlhf/", "000_grpo_env.sh",
       "check", "launch.placeholder_path"),
    _p("000-path-list-space", "000", "MINDFORMERS_PATH joined with a space", "000_grpo_env.sh",
       "check", "shell.path_list_space"),
    _p("000-msrun-path-to", "000", "/path/to/ placeholders in the GRPO msrun", "000_grpo_msrun_placeholders.sh",
       "check", "launch.placeholder_path"),
    _p("000-lr-string", "000", "end_lr: 1e-10 read as a string", "000_grpo_config_flat.yaml",
       "check", "yaml.float_as_string"),
    _p("000-end-lr-order", "000", "end_lr must be strictly below start_lr", "000_grpo_config_lr_order.yaml",
       "check", "grpo.min_lr_not_below_lr"),
    _p("000-predict-pp", "000", "inference model with pipeline_stage > 1", "000_predict_qwen2_5_7b_instruct.yaml",
       "check", "parallel.predict_pp"),
    _p("000-output-path-dir", "000", "IsADirectoryError: ckpt_file_name is a directory",
       "000_convert_weight_output_dir.log", "diagnose", "kb.weights.ckpt_path_is_directory"),
    _p("000-output-path-dir-preflight", "000", "checkpoint output path is a folder", "000_model_new",
       "preflight", "preflight.path_is_directory"),
    _p("000-recompute-len", "000", "recompute list longer than pipeline_stage",
       "000_finetune_qwen2_5_7b_2cards_before.yaml", "check", "recompute.list_too_long", cards=2),
    _p("000-select-recompute-len", "000", "select_recompute lists of length 2 with pp=1",
       "000_finetune_qwen2_5_7b_2cards_before.yaml", "check", "recompute.pattern_list_too_long", cards=2),
    _p("000-llamaconfig", "000", "LlamaConfig with Qwen2ForCausalLM", "000_finetune_qwen2_5_7b_2cards_before.yaml",
       "check", "model.config_arch_mismatch", cards=2),
    _p("000-58gb", "000", "max_device_memory 58GB on a smaller card", "000_finetune_qwen2_5_7b_2cards_before.yaml",
       "check", "memory.max_device_memory_above_hbm", cards=2, hbm=32),
    _p("000-yaml-placeholder", "000", "[请填写...] placeholders in the YAML",
       "000_finetune_qwen2_5_7b_2cards_before.yaml", "check", "paths.placeholder", cards=2),
    _p("000-seq-mismatch", "000", "alpaca-fastchat4096 data with seq_length 8192",
       "000_finetune_filled_alpaca4096.yaml", "check", "paths.dataset_seq_length", cards=2),
    _p("000-python39", "000", "Python 3.9 env while the GRPO wheels are cp310", "001_env_grpo_python39.json",
       "doctor", "doctor.python_outside_stack", stack="mindrlhf-grpo-2025-08"),
    # seed 001: the same pipeline with pinned commits and wheel URLs
    _p("001-commit-pin", "001", "mindformers at 6a52b43, the stack needs 051d65f", "001_env_grpo.json",
       "doctor", "doctor.checkout_commit"),
    _p("001-wheel-urls", "001", "hunting wheel URLs for vllm 0.8.4.dev0 & co", "001_env_grpo.json",
       "doctor", "doctor.package_missing"),
    _p("001-two-checkouts-env", "001", "a second mindformers inside vllm-mindspore", "001_env_grpo.json",
       "doctor", "doctor.checkout_shadowed"),
    _p("001-pythonpath-variants", "001", "three mindformers on PYTHONPATH, one in /home/wst",
       "001_pythonpath_variants.sh", "check", "shell.pythonpath_conflict"),
    _p("001-msprobe-log", "001", "msprobe missing: cannot import name 'save'", "001_msprobe_save.log",
       "diagnose", "kb.environment.msprobe_missing"),
    _p("001-msprobe-env", "001", "mindstudio-probe not installed", "001_env_grpo.json",
       "doctor", "doctor.msprobe_missing"),
    _p("001-urllib3-log", "001", "cannot import name 'DEFAULT_CIPHERS'", "001_urllib3_default_ciphers.log",
       "diagnose", "kb.environment.urllib3_default_ciphers"),
    _p("001-urllib3-env", "001", "urllib3 2 with the image's old botocore", "001_env_grpo.json",
       "doctor", "doctor.urllib3_botocore"),
    _p("001-msadapter-placeholder", "001", "MSADAPTER_PATH=/path/to/msadapter", "001_run_grpo_vllm.sh",
       "check", "launch.placeholder_path"),
    _p("001-cann-version", "001", "cat arm64-linux/ascend_toolkit_install.info to learn CANN", "001_cann_root",
       "cann", "8.1.RC1"),
    _p("001-wheel-cp310", "001", "cp310 wheel on a Python 3.9 env", "001_wheel_cp310_on_py39.log",
       "diagnose", "kb.environment.wheel_platform"),
    _p("001-jsonlines", "001", "rlhf_data.py needs jsonlines", "001_jsonlines_missing.log",
       "diagnose", "kb.data.jsonlines_missing"),
    _p("001-pythonpath-needed", "001", "rlhf_data.py without mindformers on PYTHONPATH",
       "001_rlhf_data_no_mindformers.log", "diagnose", "kb.environment.no_module_mindformers"),
    # seed 002: MindSpeed-LLM guide and MindSpeed-RL GRPO
    _p("002-model-type-hf-log", "002", "--model-type-hf qwen: 'NoneType' has no attribute 'weight'",
       "002_convert_model_type_hf_qwen.log", "diagnose", "kb.weights.model_type_hf_qwen"),
    _p("002-model-type-hf-script", "002", "--model-type-hf qwen in the conversion script",
       "002_ckpt_convert_model_type_hf_qwen.sh", "diagnose", "kb.weights.model_type_hf_qwen_script"),
    _p("002-mcore2hf-tp-pp", "002", "mcore -> hf with TP/PP not 1", "002_ckpt_convert_mcore2hf_tp2.sh",
       "check", "mindspeed.convert_to_hf_parallel"),
    _p("002-apex", "002", "apex must be the Ascend build", "002_apex_missing.log",
       "diagnose", "kb.environment.apex_missing"),
    _p("002-megatron", "002", "megatron folder not copied into MindSpeed-LLM", "002_megatron_missing.log",
       "diagnose", "kb.environment.no_module_megatron"),
    _p("002-incomplete-weights", "002", "weights fetched with git/web are incomplete", "002_weights_git_lfs.log",
       "diagnose", "kb.weights.safetensors_truncated"),
    _p("002-torch-cp38", "002", "cp38 torch_npu wheel on another Python", "002_torch_wheel_cp38.log",
       "diagnose", "kb.environment.wheel_platform"),
    _p("002-set-env", "002", "conda session without source set_env.sh", "002_env_mindspeed_unsourced.json",
       "doctor", "doctor.set_env_not_sourced"),
    _p("002-no-cann", "002", "toolkit/kernels/nnal not installed yet", "002_env_no_cann.json",
       "doctor", "doctor.cann_missing"),
    _p("002-prompt-type", "002", "--prompt-type llama2 with a Qwen tokenizer", "002_preprocess_prompt_type.sh",
       "check", "mindspeed.prompt_type_family"),
    _p("002-rl-model-name", "002", "reward_config model qwen25_7b not in defaults (qwen25-7b)",
       "002_mindspeed_rl_model_name.log", "diagnose", "kb.rl.role_model_not_in_defaults"),
    _p("002-ray-ip", "002", "ray start --address=IP_ADDRESS:6344", "002_ray_worker_join.sh",
       "check", "shell.placeholder_address"),
    # seed 003: MindSpeed-LLM Qwen2.5-7B adaptation
    _p("003-torch-and-mindspore", "003", "PyTorch and MindSpore stacks in one env", "002_env_mindspeed_unsourced.json",
       "doctor", "doctor.torch_with_mindspore"),
    _p("003-nnal", "003", "NNAL/ATB not installed", "003_env_no_nnal.json", "doctor", "doctor.nnal_missing"),
    _p("003-atb", "003", "nnal/atb/set_env.sh not sourced: libatb.so missing", "003_atb_not_sourced.log",
       "diagnose", "kb.environment.cann_lib_missing"),
    _p("003-docker-devices", "003", "docker run maps /dev/davinci8-15 on an 8-card host", "003_docker_davinci15.log",
       "diagnose", "kb.environment.docker_device_missing"),
    _p("003-backslash-space", "003", "spaces after a continuation backslash", "003_data_convert_qwen25_pretrain.sh",
       "check", "shell.backslash_space"),
    _p("003-backslash-space-log", "003", "--output-prefix: command not found", "003_data_convert_broken_line.log",
       "diagnose", "kb.launch.continuation_broken"),
    _p("003-blob-url", "003", "wget of a Hugging Face /blob/ page", "003_download_alpaca_blob.sh",
       "check", "shell.hf_blob_url"),
    _p("003-parquet-html", "003", "Parquet magic bytes not found", "003_parquet_is_html.log",
       "diagnose", "kb.data.parquet_not_parquet"),
    _p("003-locahost", "003", "MASTER_ADDR=locahost", "003_pretrain_qwen25_7b_32k_ptd.sh",
       "check", "launch.master_addr_typo"),
    _p("003-gpus-per-node", "003", "WORLD_SIZE from GPUS_PER_NODE, only NPUS_PER_NODE set",
       "003_pretrain_qwen25_7b_32k_ptd.sh", "check", "launch.undefined_variable"),
    _p("003-tp-pp-vs-convert", "003", "TP=4 PP=2 training on a tp1pp4 conversion",
       ["003_pretrain_qwen25_7b_32k_ptd.sh", "003_ckpt_convert_tp1pp4.sh"], "check", "mindspeed.convert_mismatch"),
    _p("003-multinode-localhost", "003", "two nodes, MASTER_ADDR still localhost", "003_pretrain_multinode.sh",
       "check", "mindspeed.multinode_localhost"),
    _p("003-no-shared-storage", "003", "multi-node without --no-shared-storage", "003_pretrain_multinode.sh",
       "check", "mindspeed.multinode_shared_storage"),
    # seed 004: MindSpeed-LLM fine-tuning notes
    _p("004-ckpt-layout", "004", "TP=4 loading mcore_tp2_pp1", "004_tune_qwen25_7b_4k_full_ptd.sh",
       "check", "mindspeed.checkpoint_layout"),
    _p("004-convert-vs-train", "004", "converted TP1 PP1, trained TP4",
       ["004_tune_qwen25_7b_4k_full_ptd.sh", "004_ckpt_convert_tp1pp1.sh"], "check", "mindspeed.convert_mismatch"),
    _p("004-output-prefix-script", "004", "--output-prefix given a folder", "004_preprocess_output_prefix_dir.sh",
       "check", "mindspeed.output_prefix_is_directory"),
    _p("004-output-prefix-log", "004", ".idx/.bin not found at the path prefix", "004_train_data_path_dir.log",
       "diagnose", "kb.data.output_prefix_is_directory"),
    _p("004-loss-last-rank", "004", "loss only printed by the last rank", "004_logs", "tail", "rank 3"),
]


def _doctor(row: Pain) -> list:
    from mindpilot.datafiles import validate
    from mindpilot.validators.doctor import judge
    from mindpilot.validators.probe.facts import EnvFacts
    from mindpilot.validators.stacks import get_stack

    data = json.loads((SEEDS / row.inputs[0]).read_text(encoding="utf-8"))
    data.pop("_comment", None)
    stack = get_stack(row.options["stack"]) if row.options.get("stack") else None
    return judge(validate(EnvFacts, data, row.inputs[0]), stack, "en").findings


def _preflight(row: Pain, tmp_path: Path) -> list:
    from mindpilot.launch.preflight import preflight
    from mindpilot.presets.preset import Preset

    script = tmp_path / "main.py"
    script.write_text("print('seed')\n", encoding="utf-8")
    target = str(SEEDS / row.inputs[0])
    extra = {"tokenizer_dir": target} if row.expect == "preflight.tokenizer_incomplete" else {"output_files": [target]}
    preset = Preset(name="seed", model="qwen2.5-7b", script=str(script), cards=2, log_dir=str(tmp_path / "logs"),
                    workdir=str(tmp_path), **extra)
    return preflight(preset, None, lang="en", msrun="/bin/true", check_config=False)


def _findings(row: Pain, tmp_path: Path) -> list:
    paths = [str(SEEDS / name) for name in row.inputs]
    if row.command == "diagnose":
        return diagnose_paths(paths, "en").findings
    if row.command == "check":
        return check_files(paths, cards=row.options.get("cards"), hbm_gb=row.options.get("hbm"), skip_paths=True)
    if row.command == "doctor":
        return _doctor(row)
    if row.command == "preflight":
        return _preflight(row, tmp_path)
    raise AssertionError(row.command)


@pytest.mark.parametrize("row", [r for r in PAINS if r.command not in ("cann", "tail")], ids=lambda r: r.id)
def test_pain_is_caught(row, tmp_path):
    findings = _findings(row, tmp_path)
    hits = [f for f in findings if f.rule == row.expect]
    assert hits, f"{row.id}: {row.expect} not reported; got {sorted({f.rule for f in findings})}"
    for hit in hits:
        assert hit.title and hit.fix and hit.source, hit.rule
    if row.command == "check":
        assert all(hit.line for hit in hits), "check findings point at a line"


def test_cann_version_is_read_where_the_seed_found_it():
    from mindpilot.validators.probe.ascend import find_cann

    row = next(r for r in PAINS if r.command == "cann")
    version, info, _home = find_cann(SEEDS / row.inputs[0], {})
    assert version == row.expect
    assert info.endswith("arm64-linux/ascend_toolkit_install.info")


def test_loss_printed_by_one_rank_reaches_the_live_view():
    from mindpilot.launch.tail import follow_logs

    row = next(r for r in PAINS if r.command == "tail")
    events = list(follow_logs(SEEDS / row.inputs[0], stop=lambda: True, kb=False))
    metrics = [e for e in events if type(e).__name__ == "MetricEvent"]
    assert [(m.rank, m.step) for m in metrics] == [(3, 1), (3, 2)]
    assert row.expect == f"rank {metrics[0].rank}"
    assert metrics[-1].loss == pytest.approx(1.398822)


def test_wheel_url_and_commit_fixes_are_exact():
    row = next(r for r in PAINS if r.id == "001-wheel-urls")
    findings = _doctor(row)
    vllm = next(f for f in findings if f.rule == "doctor.package_missing" and "vllm" in f.title)
    assert "repo.mindspore.cn" in vllm.fix and vllm.fix.startswith("pip install ")
    commit = next(f for f in findings if f.rule == "doctor.checkout_commit")
    assert "051d65f" in commit.fix and "checkout" in commit.fix


def test_new_shell_rules_point_at_the_right_line_and_fix():
    findings = check_files([str(SEEDS / name) for name in ("003_data_convert_qwen25_pretrain.sh",
                            "003_download_alpaca_blob.sh", "001_pythonpath_variants.sh", "000_grpo_env.sh")],
                           skip_paths=True)
    by_rule = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, finding)
    assert sorted(f.line for f in findings if f.rule == "shell.backslash_space") == [8, 9]
    assert "/resolve/main/data/" in by_rule["shell.hf_blob_url"].fix
    conflict = by_rule["shell.pythonpath_conflict"]
    assert "3 copies of mindformers" in conflict.title and "/home/ma-user/work/mindformers" in conflict.title
    assert by_rule["shell.path_list_space"].fix == 'export MINDFORMERS_PATH="$MINDFORMERS_FILE:$MINDFORMERS_PATH"'


def test_clean_scripts_have_no_shell_findings(tmp_path):
    script = tmp_path / "good.sh"
    script.write_text('#!/bin/bash\nexport PYTHONPATH=/home/ma-user/work/mindformers:$PYTHONPATH\n'
                      'pip install "urllib3<2" fschat==0.2.36\n'
                      'wget https://huggingface.co/datasets/tatsu-lab/alpaca/resolve/main/data/x.parquet\n'
                      'cd /home/ma-user/work/mindformers/research/qwen2_5\n'
                      'python convert_ckpt.py --save-model-type hf --target-tensor-parallel-size 1 \\\n'
                      '    --target-pipeline-parallel-size 1\n'
                      'python preprocess_data.py --output-prefix ./datasets/alpaca --prompt-type qwen \\\n'
                      '    --tokenizer-name-or-path /models/Qwen2.5-7B\n', encoding="utf-8")
    rules = {f.rule for f in check_files([str(script)], skip_paths=True)}
    assert not {r for r in rules if r.startswith("shell.") or r.startswith("mindspeed.")}, rules


def test_every_seed_has_rows_and_inputs_exist():
    assert {row.seed for row in PAINS} == {"000", "001", "002", "003", "004"}
    assert len({row.id for row in PAINS}) == len(PAINS)
    for row in PAINS:
        for name in row.inputs:
            assert (SEEDS / name).exists(), name


def test_the_coverage_page_names_every_rule_of_the_table():
    page = (Path(__file__).parent.parent / "docs" / "seeds-coverage.md").read_text(encoding="utf-8")
    missing = sorted({row.expect for row in PAINS if row.command not in ("cann", "tail")} - set(
        re.findall(r"`([a-z]+\.[a-z0-9_.]+)`", page)))
    assert missing == [], f"docs/seeds-coverage.md does not mention {missing}"


def test_the_cli_commands_report_the_rows_too():
    """The same inputs through ``mindpilot check`` and ``mindpilot diagnose`` (one subprocess each)."""
    from support import run_cli

    for command in ("check", "diagnose"):
        rows = [r for r in PAINS if r.command == command and len(r.inputs) == 1 and not r.options]
        files = sorted({str(SEEDS / r.inputs[0]) for r in rows})
        args = [command, *files, "--json", "--lang", "zh"] + (["--skip-paths"] if command == "check" else [])
        result = run_cli(*args)
        assert result.returncode == 1, result.stderr
        found = {(f["file"], f["rule"]) for f in json.loads(result.stdout)["findings"]}
        missing = [r.id for r in rows if (str(SEEDS / r.inputs[0]), r.expect) not in found]
        assert missing == [], f"{command}: {missing}"
