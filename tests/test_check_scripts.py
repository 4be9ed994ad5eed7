"""Launch scripts: msrun / msrun_launcher.sh / run_grpo.sh / MindSpeed-LLM, alone and against their configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.check import check_files, run_check
from mindpilot.validators.findings import Severity

DATA = Path(__file__).parent / "data" / "check"


def _by_rule(findings):
    out: dict[str, list] = {}
    for finding in findings:
        out.setdefault(finding.rule, []).append(finding)
    return out


def test_seed_003_script_typos_and_the_conversion_mismatch():
    script, convert = DATA / "pretrain_qwen25_7b_32k_ptd.sh", DATA / "ckpt_convert_qwen25_hf2mcore.sh"
    report = run_check([script, convert], cards=8, skip_paths=True)
    assert [entry["kind"] for entry in report.files] == ["script", "script"]
    rules = _by_rule(report.findings)
    assert rules["launch.master_addr_typo"][0].line == 6
    undefined = rules["launch.undefined_variable"][0]
    assert undefined.line == 10 and "GPUS_PER_NODE" in undefined.title
    assert "WORLD_SIZE=$(($NPUS_PER_NODE * $NNODES))" in undefined.fix
    mismatch = rules["mindspeed.convert_mismatch"][0]
    assert (mismatch.file, mismatch.line) == (str(script), 17)
    assert "--target-tensor-parallel-size 4 --target-pipeline-parallel-size 2" in mismatch.fix
    assert all(f.severity is Severity.ERROR for f in report.findings)


def test_conversion_alone_or_matching_has_no_mismatch(tmp_path):
    script = DATA / "pretrain_qwen25_7b_32k_ptd.sh"
    assert "mindspeed.convert_mismatch" not in _by_rule(check_files([script], cards=8))
    convert = tmp_path / "convert.sh"
    convert.write_text((DATA / "ckpt_convert_qwen25_hf2mcore.sh").read_text().replace(
        "--target-tensor-parallel-size 1", "--target-tensor-parallel-size 4").replace(
        "--target-pipeline-parallel-size 4", "--target-pipeline-parallel-size 2"))
    assert "mindspeed.convert_mismatch" not in _by_rule(check_files([script, convert], cards=8))


def test_seed_004_checkpoint_folder_converted_for_another_tp():
    hit = _by_rule(check_files([DATA / "tune_qwen25_7b_4k_full_ptd.sh"], cards=4))["mindspeed.checkpoint_layout"][0]
    assert hit.line == 12 and "tp2/pp1" in hit.title and "TP=4 PP=1" in hit.title


def test_world_size_not_divisible_and_global_batch(tmp_path):
    text = (DATA / "tune_qwen25_7b_4k_full_ptd.sh").read_text()
    script = tmp_path / "tune.sh"
    script.write_text(text.replace("NPUS_PER_NODE=4 ", "NPUS_PER_NODE=6 ").replace("mcore_tp2_pp1", "mcore_tp4_pp1"))
    rules = _by_rule(check_files([script], cards=8))
    assert rules["mindspeed.world_not_divisible"][0].line == text.splitlines().index("TP=4") + 1
    script.write_text(text.replace("NPUS_PER_NODE=4 ", "NPUS_PER_NODE=8 ").replace("GBS=8", "GBS=3")
                      .replace("mcore_tp2_pp1", "mcore_tp4_pp1"))
    rules = _by_rule(check_files([script], cards=8))
    assert "mindspeed.global_batch" in rules and "mindspeed.world_not_divisible" not in rules


def test_port_placeholder_in_msrun_launcher_call():
    rules = _by_rule(check_files([DATA / "msrun_2cards_port.sh"], cards=2))
    assert rules["launch.placeholder_port"][0].line == 4


@pytest.mark.parametrize("args, cards, rule", [
    ('"run_mindformer.py --config a.yaml"', 2, "launch.launcher_default_8"),
    ('"run_mindformer.py --config a.yaml" 1', 2, "launch.launcher_single_worker"),
    ('"run_mindformer.py --config a.yaml" 2 8118', 2, "launch.launcher_argc"),
    ('"run_mindformer.py --config a.yaml" 16 8118 out False 7200', 8, "launch.local_gt_cards"),
    ('"run_mindformer.py --config a.yaml" 2 abc out False 7200', 2, "launch.bad_number"),
])
def test_msrun_launcher_argument_forms(tmp_path, args, cards, rule):
    script = tmp_path / "start.sh"
    script.write_text(f"#!/bin/bash\nbash scripts/msrun_launcher.sh {args}\n")
    hits = _by_rule(check_files([script], cards=cards)).get(rule)
    assert hits and hits[0].line == 2


def test_msrun_launcher_correct_forms_are_clean(tmp_path):
    script = tmp_path / "start.sh"
    script.write_text('#!/bin/bash\nbash scripts/msrun_launcher.sh "run_mindformer.py --config a.yaml" 2 8118 '
                      'output/msrun_log False 7200\nbash scripts/msrun_launcher.sh "x.py" 8\n')
    assert check_files([script], cards=8) == []


def test_msrun_local_more_than_total(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("msrun --worker_num=4 --local_worker_num=8 --master_port=8118 train.py\n")
    assert "launch.local_gt_worker" in _by_rule(check_files([script]))


def test_run_grpo_worker_num_against_its_8_card_config():
    report = run_check([DATA / "run_grpo.sh", DATA / "grpo_config.yaml"], cards=8, skip_paths=True)
    hit = _by_rule(report.findings)["launch.worker_num_vs_config"][0]
    assert (hit.file, hit.line) == (str(DATA / "run_grpo.sh"), 3)
    assert "32" in hit.title and "8" in hit.title
    # the --config named in the script is found on disk when only the script is given
    alone = _by_rule(check_files([DATA / "run_grpo.sh"]))
    assert "launch.worker_num_vs_config" in alone


def test_worker_num_against_a_mindformers_yaml(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text(f"msrun --worker_num=8 --local_worker_num=8 run_mindformer.py --config "
                      f"{DATA / 'qwen2_5_7b_2cards.yaml'}\n")
    hit = _by_rule(check_files([script], skip_paths=True))["launch.worker_num_vs_config"][0]
    assert "8" in hit.title and "2" in hit.title


@pytest.mark.parametrize("addr, typo", [("locahost", True), ("localhsot", True), ("loaclhost", True),
                                        ("localhost", False), ("127.0.0.1", False), ("node-1", False),
                                        ("${master_ip}", False), ("lokalhost", True)])
def test_master_addr_typos(tmp_path, addr, typo):
    script = tmp_path / "run.sh"
    script.write_text(f"MASTER_ADDR={addr}\ntorchrun --master_addr $MASTER_ADDR pretrain_gpt.py\n")
    assert ("launch.master_addr_typo" in _by_rule(check_files([script]))) is typo


def test_msrun_multi_node_without_node_rank(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("msrun --worker_num=16 --local_worker_num=8 --master_addr=10.0.0.1 train.py\n")
    assert _by_rule(check_files([script]))["launch.node_rank_unset"][0].severity is Severity.WARNING
    script.write_text("msrun --worker_num=16 --local_worker_num=8 --master_addr=10.0.0.1 --node_rank=0 train.py\n")
    assert "launch.node_rank_unset" not in _by_rule(check_files([script]))


def test_mindspeed_experts_and_min_lr(tmp_path):
    script = tmp_path / "pretrain.sh"
    script.write_text("TP=1\nPP=1\nNPUS_PER_NODE=8\ntorchrun --nproc_per_node $NPUS_PER_NODE pretrain_gpt.py \\\n"
                      "  --tensor-model-parallel-size ${TP} --pipeline-model-parallel-size ${PP} \\\n"
                      "  --num-experts 60 --expert-model-parallel-size 8 \\\n  --lr 1.0e-6 --min-lr 1.0e-5\n")
    rules = _by_rule(check_files([script], cards=8))
    assert rules["mindspeed.experts_ep"][0].line == 6
    assert rules["mindspeed.min_lr"][0].line == 7


def test_conversion_expert_parallel_must_match(tmp_path):
    train = tmp_path / "train.sh"
    train.write_text("TP=2\nPP=2\nNPUS_PER_NODE=8\ntorchrun pretrain_gpt.py --tensor-model-parallel-size ${TP} "
                     "--pipeline-model-parallel-size ${PP} --expert-model-parallel-size 2\n")
    convert = tmp_path / "convert.sh"
    convert.write_text("python convert_ckpt.py --target-tensor-parallel-size 2 --target-pipeline-parallel-size 2\n")
    hit = _by_rule(check_files([train, convert], cards=8))["mindspeed.convert_mismatch"][0]
    assert "EP=2" in hit.title and "EP=1" in hit.title


def test_placeholder_paths_in_scripts(tmp_path):
    script = tmp_path / "run_grpo.sh"
    script.write_text("MINDRLHF_FILE=/{path}/mindrlhf/\nexport MSADAPTER_PATH=/path/to/msadapter # need modify\n"
                      "msrun --worker_num=8 --local_worker_num=8 main.py --dataset_file /path/to/gsm8k.mindrecord\n")
    lines = sorted(f.line for f in check_files([script]) if f.rule == "launch.placeholder_path")
    assert lines == [1, 2, 3]


@pytest.mark.parametrize("sizes", ["--tensor-model-parallel-size 0 --pipeline-model-parallel-size 1",
                                   "--tensor-model-parallel-size 2 --pipeline-model-parallel-size 0",
                                   "--tensor-model-parallel-size 2 --pipeline-model-parallel-size 1 "
                                   "--context-parallel-size 0"])
def test_a_zero_parallel_size_is_no_layout_to_divide_by(tmp_path, sizes):
    script = tmp_path / "train.sh"
    script.write_text("NPUS_PER_NODE=8\nNNODES=1\nWORLD_SIZE=$(($NPUS_PER_NODE*$NNODES))\n"
                      f"torchrun --nproc_per_node $NPUS_PER_NODE pretrain_gpt.py {sizes} "
                      "--micro-batch-size 1 --global-batch-size 3\n")
    rules = _by_rule(check_files([script], cards=8))
    assert "mindspeed.world_not_divisible" not in rules
    # a CP of 0 is read as none: the layout 2 x 1 still gets its checks (3 is no multiple of dp 4)
    assert ("mindspeed.global_batch" in rules) == ("context-parallel-size 0" in sizes)
