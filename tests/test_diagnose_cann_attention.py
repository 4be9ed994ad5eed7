"""The fused attention operators' argument checks (validators/data/kb/cann_attention.yaml): every member of a
family is named with what its line says, the same check in the other operators' wording (FlashAttentionScore,
PromptFlashAttention, IncreFlashAttention, FusedInferAttentionScore, ATB, torch_npu's own checks), and lines of
another constraint stay with their own rule or with the generic tiling rule.

Built from the message formats in CANN ops-transformer's op_host code, ATB's ops_infer checks and op-plugin's
FlashAttentionKernelNpuOpApi.cpp, in the layouts torch_npu and CANN print them (one-line EZ1001 detail, the
EZ9999 block of a failed tiling).
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


def tiling_block(message: str, op: str = "FlashAttentionScore", file: str = "flash_attention_score_tiling.cpp") -> str:
    """The block torch_npu and CANN print when an operator's tiling refuses its inputs."""
    return (f"RuntimeError: call aclnn{op} failed, error code is 561103\n"
            "[ERROR] 2025-01-01-00:00:00 (PID:5, Device:0, RankID:-1) ERR00100 PTA call acl api failed.\n"
            "EZ9999: Inner Error!\n"
            f"EZ9999[PID: 5] 2025-01-01-00:00:00.000.000 (EZ9999):  {message}[FUNC:Check][FILE:{file}][LINE:90]\n"
            "        TraceBack (most recent call last):\n"
            "       Tiling failed")


def detail_line(message: str, op: str = "FlashAttentionScore") -> str:
    """torch_npu's one-line form of an aclnn argument check (the EZ1001 detail)."""
    return f"RuntimeError: call aclnn{op} failed, detail:EZ1001: [PID: 4] 2025-01-01-00:00:00.000.000 {message}"


@pytest.mark.parametrize("text, rule, words", [
    (tiling_block("numHeads(40) should be a multiple of numKeyValueHeads(6).", "IncreFlashAttentionV4",
                  "incre_flash_attention_tiling.cpp"),
     "kb.operator.attention_kv_heads_not_divisor", ["40", "6", "tensor parallel"]),
    (tiling_block("numHeads(28) must be divisible by numKeyValueHeads(8)!", "PromptFlashAttentionV3"),
     "kb.operator.attention_kv_heads_not_divisor", ["28", "8"]),
    (tiling_block("numHeads / numKeyValueHeads = 128, cannot be larger than 64", "PromptFlashAttentionV3"),
     "kb.operator.attention_gqa_group_over_limit", ["128", "64"]),
    (tiling_block("the query's heads num divided by the key/value's heads num = 3, GQA only support {8, 10}.",
                  "FusedInferAttentionScoreV2"),
     "kb.operator.attention_gqa_group_over_limit", ["3", "{8, 10}"]),
    (tiling_block("h1 [4096] should be a multiple of n1Size [48]."),
     "kb.operator.attention_head_num_mismatch", ["48", "4096", "TP"]),
    (tiling_block("query's H(5120) should be an integer multiple of N(48).", "FusedInferAttentionScoreV2"),
     "kb.operator.attention_head_num_mismatch", ["48", "5120"]),
    ("[ATB] [ERROR] SelfAttentionOperation_3 hiddenSizeK(1024) should be multiples of kvHeadNum(6)",
     "kb.operator.attention_head_num_mismatch", ["6", "1024"]),
    (tiling_block("atten mask dim should be 2 or 4, but got 3"), "kb.operator.attention_mask_shape_refused",
     ["[B, 1, Sq, Skv]"]),
    (tiling_block("get unsupported atten_mask shape, the shape is [1, 1, 1, 251]. B=[1], N=[16], Sq=[251], "
                  "Skv=[251], supported atten_mask shape can be [B, N, Sq, Skv], [B, 1, Sq, Skv], [1, 1, Sq, Skv] "
                  "and [Sq, Skv]."), "kb.operator.attention_mask_shape_refused", ["[B, 1, 1, Skv]", "expand"]),
    (tiling_block("get unsupported atten_mask shape, the shape is [4096, 4096]. MaxSq=[2048],  MaxSkv=[2048], "
                  "when input_layout is TND, the supported atten_mask shape is [MaxSq, MaxSkv]."),
     "kb.operator.attention_mask_shape_refused", ["TND"]),
    (tiling_block("attenMask shape must be (2048, 2048) or (1, 2048, 2048) or (1, 1, 2048, 2048) when sparse "
                  "mode = 3", "PromptFlashAttentionV3"),
     "kb.operator.attention_mask_compressed_required", ["2048"]),
    (tiling_block("not support atten_mask type 0, only support bool, int8 and uint8.", "IncreFlashAttentionV4"),
     "kb.operator.attention_mask_dtype_refused", ["bool"]),
    (detail_line("not support input_layout BSND with dim_num 3"), "kb.operator.attention_layout_refused",
     ["input_layout"]),
    (tiling_block("Layout BNSD, queryDims(3) must be 4!", "PromptFlashAttentionV3"),
     "kb.operator.attention_layout_refused", ["BNSD"]),
    (tiling_block("query dtype 1 invalid, should be float16", "IncreFlashAttentionV4"),
     "kb.operator.attention_input_dtype_refused", ["fp16"]),
    (tiling_block("keepProb value must be in range of (0, 1]."), "kb.operator.attention_keep_prob_refused",
     ["1.0 - dropout_p"]),
    ("RuntimeError: The sparse_mode value must be in range of [0,6], but got 7",
     "kb.operator.attention_sparse_mode_refused", ["sparse_mode"]),
    (tiling_block("Var len not support sparse mode 5."), "kb.operator.attention_sparse_mode_refused",
     ["sparse_mode"]),
    (tiling_block("Batch[0] s1[4096] is larger than s2[2048]."), "kb.operator.attention_sparse_mode_refused",
     ["sparse_mode"]),
    ("RuntimeError: For TND layout, actual_seq_qlen and actual_seq_kvlen must be provided and have same size",
     "kb.operator.attention_varlen_seqlens_refused", ["cumulative"]),
    (tiling_block("Query T(4096) and key T(4096) need larger than respectively sum of seqLen(8192) and "
                  "sekvLen(8192)."),
     "kb.operator.attention_varlen_seqlens_refused", ["cumulative"]),
    # the head-dim family in FusedInferAttentionScore's wording
    (tiling_block("the query's head dim(128) should be greater than or equal to the value's head dim(192)",
                  "FusedInferAttentionScoreV2"),
     "kb.operator.flash_attention_kd_lt_vd", ["kD=128", "vD=192"]),
    (tiling_block("dSize is not in range:(0, 512]."), "kb.operator.flash_attention_head_dims_refused", ["768"]),
    # the paged KV cache's block size and dtype (vLLM / MindIE paths)
    (tiling_block("blockSize=72, it need align to 16 when kv dtype is fp16/bf16.", "IncreFlashAttentionV4"),
     "kb.operator.attention_kv_block_size_refused", ["--block-size 128"]),
    (tiling_block("blockSize(64) only support 128 and 512 in GQA.", "IncreFlashAttentionV4"),
     "kb.operator.attention_kv_block_size_refused", ["128"]),
    (tiling_block("when kv_dtype is DT_INT8, 32 / sizeof(kv_dtype) is 32, block_size % (32 / sizeof(kv_dtype)) "
                  "should be 0.", "FusedInferAttentionScoreV2"), "kb.operator.attention_kv_block_size_refused",
     ["128"]),
    (tiling_block("queryRope(DT_FLOAT16) and query(DT_BF16) must have same dType", "FusedInferAttentionScoreV2"),
     "kb.operator.attention_kv_dtype_refused", ["--kv-cache-dtype"]),
    ("[ERROR] PagedAttentionOperation_0 headSize of key and value should be no greater than 256",
     "kb.operator.flash_attention_head_dims_refused", ["256"]),
])
def test_every_member_of_the_family_is_named(tmp_path, text, rule, words):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == "confident"


@pytest.mark.parametrize("text, rule", [
    # another constraint of the same operator: left to the generic tiling rule, which quotes it
    (tiling_block("pse shape is invalid."), "kb.operator.attention_mask_shape_refused"),
    (tiling_block("query dtype and key dtype should be same."), "kb.operator.attention_layout_refused"),
    # a head count that is a multiple of something else is not the GQA check
    (tiling_block("selectedBlockSize [20] should be multiple of 16!"), "kb.operator.attention_head_num_mismatch"),
    (tiling_block("compressBlockSize must be a multiple of 16, but got compressBlockSize=20"),
     "kb.operator.attention_kv_heads_not_divisor"),
    # a block size of another operator family
    (tiling_block("compressBlockSize must be a multiple of 16 and compressBlockSize must not be greater than 128"),
     "kb.operator.attention_kv_block_size_refused"),
    # an application's own sparse-mode message without the operator's wording
    ("ValueError: unknown sparse mode 'block' in config", "kb.operator.attention_sparse_mode_refused"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_the_generic_tiling_rule_yields_to_the_constraint_on_its_line(tmp_path):
    report = diagnose_text(tmp_path, tiling_block("n1Size [14] should be a multiple of n2Size [4]."))
    assert report.root_cause.rule == "kb.operator.attention_kv_heads_not_divisor"
    assert "kb.operator.aclnn_tiling_rejected" not in [finding.rule for finding in report.findings[:1]]


@pytest.mark.parametrize("line, rule", [
    # CANN's plog line of the tiling step, with its own prefix and the operator's node name
    ("[ERROR] OP(12345,python):2025-01-01-00:00:00.000.000 [flash_attention_score_tiling_general.cpp:1099]"
     "[OP_TILING][AnalyzeDtype][12345] OpName:[FlashAttentionScore_1] n1Size [14] should be a multiple of n2Size [4].",
     "kb.operator.attention_kv_heads_not_divisor"),
    # MindSpore's kernel log around the same aclnn detail
    ("[ERROR] KERNEL(3301,ffff8a,python):2025-01-01-00:00:00.000.000 [mindspore/ops/kernel/ascend/opapi/"
     "aclnn_kernel_mod.h:200] Call aclnnFlashAttentionScore failed, detail:EZ1001: [PID: 3301] 2025-01-01-00:00:00"
     ".000.000 invalid attenMask dtype[DT_FLOAT16], only support bool or uint8.",
     "kb.operator.attention_mask_dtype_refused"),
    # torchrun's rank prefix and vLLM's worker logger
    ("[rank3]: RuntimeError: call aclnnFlashAttentionScore failed, detail:EZ1001: [PID: 9] 2025-01-01 not support "
     "input_layout BNSD with dim_num 3", "kb.operator.attention_layout_refused"),
    ("(VllmWorker TP1 pid=33) ERROR 09-01 10:00:00 [multiproc_executor.py:546] RuntimeError: The keep_prob value "
     "must be in range of (0, 1], but got 0", "kb.operator.attention_keep_prob_refused"),
])
def test_the_message_is_read_under_every_launcher_s_prefix(tmp_path, line, rule):
    report = diagnose_text(tmp_path, line)
    assert report.root_cause.rule == rule and report.root_cause.confidence == "confident"
