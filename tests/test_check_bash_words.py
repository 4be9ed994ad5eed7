"""Launch-script assignments are read as bash reads them: a trailing comment, a ``;`` or quotes do not change
the value, and a multi-node MindSpeed-LLM script with its master at ``localhost`` is flagged whichever
launcher (torchrun or msrun) it uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.check.bash_words import assignment_value

MSRUN_64_NODES = Path(__file__).parent / "data" / "check" / "tune_deepseek3_671b_4k_full_ms.sh"


@pytest.mark.parametrize("text, value", [
    ("localhost #主节点IP", "localhost"),
    ("localhost;#主节点IP", "localhost"),
    ("localhost\t# comment", "localhost"),
    ("localhost#主节点IP", "localhost#主节点IP"),  # not at a word start: part of the value, as in bash
    ('"localhost" #x', "localhost"),
    ("'a b'c # d", "a bc"),
    ('"say \\"hi\\"" # c', 'say "hi"'),
    ("a\\ b # c", "a b"),
    ("$(($NPUS_PER_NODE * $NNODES)) # total", "$(($NPUS_PER_NODE * $NNODES))"),
    ("${X:-a b} rest", "${X:-a b}"),
    ("`hostname -I` # c", "`hostname -I`"),
    (" command", ""),  # NAME= followed by a blank: empty, and the rest is a command
    ('"', ""),
])
def test_assignment_values_are_what_bash_assigns(text, value):
    assert assignment_value(text) == value


def _findings(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    script = tmp_path / "pretrain.sh"
    script.write_text(text, encoding="utf-8")
    return sorted((f.rule, f.line) for f in check_files([str(script)]))


@pytest.mark.parametrize("assignment", ["MASTER_ADDR=localhost #主节点IP", "MASTER_ADDR=localhost;#主节点IP",
                                        "MASTER_ADDR='localhost' # 主节点 IP", "export MASTER_ADDR=localhost #IP"])
def test_a_trailing_comment_changes_no_finding(tmp_path, assignment):
    body = ("#!/bin/bash\nNPUS_PER_NODE=8\n{}\nMASTER_PORT=6000\nNNODES=64 #节点数\nNODE_RANK=0\n"
            "torchrun --nproc_per_node $NPUS_PER_NODE --nnodes $NNODES --master_addr $MASTER_ADDR "
            "pretrain_gpt.py --no-shared-storage\n")
    plain = _findings(tmp_path, body.format("MASTER_ADDR=localhost"))
    assert ("mindspeed.multinode_localhost", 3) in plain
    assert _findings(tmp_path, body.format(assignment)) == plain


def test_the_msrun_script_for_64_nodes_with_master_localhost_is_an_error():
    findings = check_files([str(MSRUN_64_NODES)])
    localhost = [f for f in findings if f.rule == "mindspeed.multinode_localhost"]
    assert [(f.line, f.severity.value) for f in localhost] == [(11, "error")]
    assert "NNODES=64" in localhost[0].title and "localhost" in localhost[0].title


def test_one_node_with_master_localhost_is_fine(tmp_path):
    text = MSRUN_64_NODES.read_text(encoding="utf-8").replace("NNODES=64\n", "NNODES=1\n")
    assert not [rule for rule, _ in _findings(tmp_path, text) if rule.startswith("mindspeed.multinode")]


def test_a_quoted_value_over_several_lines_is_one_value_and_split_where_it_is_used():
    from mindpilot.validators.check.context import CheckContext
    from mindpilot.validators.check.bash_script import Script
    from mindpilot.validators.check.scripts import check_script

    text = MSRUN_64_NODES.read_text(encoding="utf-8")
    script = Script(str(MSRUN_64_NODES), text)
    assert script.vars["DISTRIBUTED_ARGS"].split()[:4] == ["--master_addr", "$MASTER_ADDR", "--node_rank",
                                                           "$NODE_RANK"]
    assert "--tokenizer-name-or-path ${TOKENIZER_PATH}" in " ".join(script.vars["GPT_ARGS"].split())
    facts = check_script(str(MSRUN_64_NODES), text, CheckContext(skip_paths=True))
    assert facts.worker_num == 512  # msrun $DISTRIBUTED_ARGS: --worker_num $WORLD_SIZE = 8 * 64
    # ${TOKENIZER_PATH} inside GPT_ARGS names a variable, not a tutorial placeholder
    assert not [f for f in check_files([str(MSRUN_64_NODES)]) if f.rule == "launch.placeholder_path"]


def test_msrun_flags_from_an_args_variable_are_checked(tmp_path):
    text = MSRUN_64_NODES.read_text(encoding="utf-8").replace("--local_worker_num $NPUS_PER_NODE",
                                                              "--local_worker_num 1024")
    assert ("launch.local_gt_worker", 84) in _findings(tmp_path, text)
