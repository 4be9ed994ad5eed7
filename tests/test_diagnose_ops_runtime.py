"""Run-time failures of CANN operators, ATB and HCCL that say their own cause (validators/data/kb/atb.yaml,
cann_moe.yaml, aclnn_checks.yaml, process_group_hccl.yaml): every member named, with the confidence its rule
claims, and look-alike lines left to other rules.

Built from the message formats of CANN ascend-transformer-boost (operation_base.cpp, graph_runner.cpp,
hccl_runner.cpp), ops-transformer mc2/moe_distribute_* tiling, ops-nn op_error_check.h, hcomm and torch_npu's
HCCLUtils.hpp.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text

ATB = "[2025-01-01 10:00:01.123456] [123] [281473] [operations] [ERROR] [operation_base.cpp:930] "


def ez9999(message: str, op: str) -> str:
    return (f"RuntimeError: call aclnn{op} failed, error code is 561103\nEZ9999: Inner Error!\n"
            f"EZ9999[PID: 5] 2025-01-01-00:00:00.000.000 (EZ9999):  {message}[FUNC:Check][FILE:tiling.cpp][LINE:9]")


def hccl_call(call: str, code: int) -> str:
    return (f"RuntimeError: [Rank 2] HCCL function error: {call}(numRanks, &rootInfo, rank, &comm), error code is "
            f"{code}\n[ERROR] 2025-01-01-10:00:00 (PID:1, Device:2, RankID:2) ERR02200 DIST call hccl api failed.")


@pytest.mark.parametrize("text, rule, confidence, words", [
    (ATB + "PagedAttentionOperation_12 execute fail, error code: 26",
     "kb.operator.atb_device_memory", "confident", ["gpu_memory_utilization", "npu-smi"]),
    (ATB + "LinearParallelOperation_2 setup fail, error code: 26", "kb.operator.atb_device_memory", "confident", []),
    (ATB + "AllReduceOperation_3 execute fail, error code: 25", "kb.operator.atb_hccl_failed", "likely", ["EI"]),
    ("[ERROR] [hccl_runner.cpp:212] hccl Execute failed, HcclResult:7", "kb.operator.atb_hccl_failed", "likely", []),
    (ATB + "DecoderModel_1 execute fail, error code: 4",
     "kb.operator.atb_execute_failed", "likely", ["DecoderModel_1", "ASCEND_SLOG_PRINT_TO_STDOUT"]),
    ("[ERROR] [graph_runner.cpp:977] Layer_0 node[4] execute fail, runner name:SelfAttentionOpsRunner",
     "kb.operator.atb_execute_failed", "likely", ["SelfAttentionOpsRunner"]),
    ("RuntimeError: call AtbMLAPreprocess failed, detail:", "kb.operator.atb_execute_failed", "likely",
     ["AtbMLAPreprocess"]),
    (ez9999("moeExpertNum should be divisible by (epWorldSize - sharedExpertRankNum), but got moeExpertNum=160, "
            "epWorldSize=24, sharedExpertRankNum=0.", "MoeDistributeDispatchV2"),
     "kb.operator.moe_dispatch_ep_layout_refused", "confident", ["--data-parallel-size"]),
    (ez9999("epWorldSize should be divisible by 8, but got epWorldSize = 12.", "MoeDistributeDispatch"),
     "kb.operator.moe_dispatch_ep_layout_refused", "confident", []),
    (ez9999("epWorldSize is invalid, only support (0, 384], but got epWorldSize=512.", "MoeDistributeCombine"),
     "kb.operator.moe_dispatch_ep_layout_refused", "confident", []),
    (ez9999("localMoeExpertNum is invalid, localMoeExpertNum = 0", "MoeDistributeDispatch"),
     "kb.operator.moe_dispatch_ep_layout_refused", "confident", []),
    (ez9999("globalBS is invalid, only support 0 or maxBs(maxBs is the largest bs on all ranks) * epWorldSize, "
            "but got globalBS=100, epWorldSize=16.", "MoeDistributeDispatchV2"),
     "kb.operator.moe_dispatch_batch_refused", "confident", ["max_num_seqs"]),
    (ez9999("Invalid expertIds dims0(BS) 1024. Should be between [1, 512].", "MoeDistributeDispatchV2"),
     "kb.operator.moe_dispatch_batch_refused", "confident", []),
    ("EZ1001: [PID: 9] 2025-01-01 Expected a proper Tensor but got null for argument antiquantScale.",
     "kb.operator.aclnn_null_argument", "likely", ["antiquantScale"]),
    ("EZ1001: [PID: 9] 2025-01-01 Expected a value of type List[int] for argument dims but instead found type null.",
     "kb.operator.aclnn_null_argument", "likely", ["dims"]),
    ("EZ1001: [PID: 9] 2025-01-01 The tensor's shape cannot be larger than 2147483647.",
     "kb.operator.aclnn_dim_over_int32", "confident", ["chunks"]),
    ("EZ1001: [PID: 9] 2025-01-01 The size of tensor self [2, 3] must match the size [2, 4].",
     "kb.operator.aclnn_shapes_not_broadcast", "likely", ["[2, 3]", "[2, 4]"]),
    (hccl_call("hcclCommInitRootInfoConfig", 7), "kb.runtime.hccl_call_link_failed", "likely",
     ["hcclCommInitRootInfo", "HCCL_SOCKET_IFNAME"]),
    (hccl_call("HcclAllreduce", 12), "kb.runtime.hccl_call_link_failed", "likely", ["RoCE"]),
    ("RuntimeError: HCCL error: roce connect fail", "kb.runtime.hccl_call_link_failed", "likely", ["RoCE"]),
    ("RuntimeError: HCCL error: timeout", "kb.runtime.hccl_call_timed_out", "likely", ["HCCL_EXEC_TIMEOUT"]),
    ("RuntimeError: HCCL error: out of memory", "kb.runtime.hccl_call_out_of_memory", "likely", ["HCCL_BUFFSIZE"]),
    ("RuntimeError: HCCL error: not support feature", "kb.runtime.hccl_call_not_supported", "likely", ["float64"]),
    (hccl_call("HcclAllreduce", 9), "kb.runtime.hccl_call_timed_out", "likely", ["HCCL_EXEC_TIMEOUT"]),
    (hccl_call("hcclCommInitRootInfo", 24), "kb.runtime.hccl_call_out_of_memory", "likely", ["HCCL_BUFFSIZE"]),
    (hccl_call("HcclAllreduce", 5), "kb.runtime.hccl_call_not_supported", "likely", ["float64"]),
    ("[ERROR] HCCL(1,python):2025 [task_exception_handler.cc:812] [TaskExceptionHandler][Callback]Task run failed, "
     "base information is streamID:[3], taskID[42], tag[AllReduce_10.0.0.1%eth0_60000_0_1], AlgType:[ring].",
     "kb.runtime.hccl_task_run_failed", "likely", ["EI0002"]),
    ("EI9999: [HCCL] [Check][DataType]errNo[0x0000000005000004] data type[float64] not supported",
     "kb.runtime.hccl_dtype_unsupported", "confident", ["float64"]),
    ("[ERROR] HCCL(1,python):2025 [hccl_communicator.cc:10] current data type[int64] or reduceType[prod] not "
     "supported, support range=[int8]", "kb.runtime.hccl_dtype_unsupported", "confident", ["int64"]),
    (ez9999("x's k and weight's k should be equal, actual x'k is 4096, weight's k is 2048.", "WeightQuantBatchMatmulV2"),
     "kb.operator.matmul_k_axis_mismatch", "confident", ["4096", "2048"]),
    (ez9999("x1 k dim and x2 k dim should be same, but x1 is 7168, x2 is 3584.", "QuantMatmulV4"),
     "kb.operator.matmul_k_axis_mismatch", "confident", ["7168"]),
    ("RuntimeError: NPU function error: aclrtMemcpy(dst, size, src, size, kind), error code is 107030",
     "kb.runtime.acl_graph_capture_refused", "confident", ["107030", "--enforce-eager"]),
    ("RuntimeError: ACL stream synchronize failed, error code:107031", "kb.runtime.acl_graph_capture_refused",
     "confident", ["107031"]),
    ("E50053: In op[Conv2D], Shape error : The compute result of W under convolution rule cannot match",
     "kb.operator.conv_input_smaller_than_kernel", "confident", ["resize"]),
    ("E60016: In op[AvgPool],filter H must > Pad H, actual are [2] and [3]", "kb.operator.conv_input_smaller_than_kernel",
     "confident", []),
    ("E50039: In op[Conv2D], the channel of x should be equal to  filter's, actual input are [4] and [3]",
     "kb.operator.conv_channels_mismatch", "confident", ["groups"]),
    (ez9999("Hckv allows only 512, got 256.", "MlaPrologV3"), "kb.operator.mla_prolog_dims_refused", "confident",
     ["Hckv", "256", "512"]),
    ("RuntimeError: selected index k out of range", "kb.operator.topk_k_out_of_range", "confident",
     ["num_experts_per_tok"]),
    ("[ERROR] HCCL(1,python):2025 [socket.cc:1] no available port to listen. Please check the ports status, or change "
     "the port range to listen on.", "kb.launch.hccl_port_range_exhausted", "confident", ["HCCL_HOST_SOCKET_PORT_RANGE"]),
    ("[ERROR] HCCL(1,python):2025 [all_gather_operator.cc:238] The number of cards between servers in a multi-server "
     "setup must be consistent. isSingleMeshAggregation_[0]", "kb.launch.hccl_uneven_cards_per_node", "likely",
     ["ASCEND_RT_VISIBLE_DEVICES"]),
    ("[ERROR] HCCL(1,python):2025 [env_config.cc:1] [Parse][RDMATimeOut]HCCL_RDMA_TIMEOUT[30] is invalid. except: "
     "[5, 20]", "kb.launch.hccl_env_invalid", "confident", ["HCCL_RDMA_TIMEOUT"]),
    ("[ERROR] [operation_base.cpp:500] LinearOperation_3 setup fail, error code: 12", "kb.operator.atb_execute_failed",
     "likely", ["LinearOperation_3"]),
    (ez9999("GMM: there is no matching xDtype and weightDtype pattern. case with x dtype DT_INT8 and weight dtype "
            "DT_BF16 is not supported.", "GroupedMatmulV4"), "kb.operator.grouped_matmul_dtypes_refused", "confident",
     ["DT_INT8", "DT_BF16", "quant_config"]),
    ("[2025-01-01 10:00:01.1] [1] [2] [operations] [ERROR] [mla_preprocess_operation.cpp:60] only support Atlas 800I "
     "A2/A3 Inference Product", "kb.operator.atb_feature_not_on_chip", "confident", ["mla_preprocess"]),
    (ATB + "Platform is not Atlas 800I A2 inference product, outDataType should not be ACL_BF16.",
     "kb.operator.atb_feature_not_on_chip", "confident", ["outDataType"]),
    ("EZ1001: [PID: 1] 2025 Size mismatch (got input: [4096], target: [2048])", "kb.operator.loss_shape_mismatch",
     "confident", ["labels.view(-1)"]),
    ("ValueError: Expected input batch_size (4096) to match target batch_size (2048).",
     "kb.operator.loss_shape_mismatch", "confident", ["input_ids"]),
    ("EZ1001: [PID: 9] 2025 updates dtype DT_FLOAT16 should be in same with varRef dtype DT_BF16.",
     "kb.operator.index_source_dtype_mismatch", "confident", ["DT_BF16", "DT_FLOAT16", "target.dtype"]),
    ("RuntimeError: index_add_(): self (Float) and source (BFloat16) must have the same scalar type",
     "kb.operator.index_source_dtype_mismatch", "confident", ["Float", "BFloat16"]),
    # the runtime's "execute failed, reason=[...]" words
    ("EE9999: [PID: 1] 2025 rtStreamSynchronize execute failed, reason=[hbm Multi-bit ECC error]"
     "[FUNC:FuncErrorReason][FILE:error_message_manage.cc][LINE:53]", "kb.runtime.hbm_ecc_error", "confident", []),
    ("EE9999: [PID: 1] 2025 rtStreamSynchronize execution failed, reason=device network link error",
     "kb.runtime.device_link_error", "confident", ["hccn_tool"]),
    ("EE9999: [PID: 1] 2025 rtMemcpyAsync execute failed, reason=[stream is captured]",
     "kb.runtime.acl_graph_capture_refused", "confident", ["--enforce-eager"]),
    ("EE1001: [PID: 1] 2025 The argument is invalid.Reason: rtSetDevice execute failed, reason=[device id invalid]",
     "kb.runtime.acl_invalid_device", "confident", []),
    ("EE9999: [PID: 1] 2025 rtMalloc execute failed, reason=[driver error:out of memory]",
     "kb.runtime.device_memory_el0004", "confident", ["npu-smi"]),
    ("EL0004: 2025-01-01-10:00:00.000.001 Failed to allocate memory.\n        TraceBack (most recent call last):\n"
     "        rtMalloc execute failed, reason=[driver error:out of memory]", "kb.runtime.device_memory_el0004",
     "confident", ["npu-smi"]),
    # torch_npu's own words for device faults and for HCCL's operator retry
    ("RuntimeError: HBM MULTI BIT ECC ERROR.EL0004: time us= 17000. time is 17000", "kb.runtime.hbm_ecc_error",
     "confident", ["npu-smi"]),
    ("RuntimeError: UCE ERROR", "kb.runtime.hbm_ecc_error", "confident", []),
    ("RuntimeError: SUSPECT MEM ERROR", "kb.runtime.suspect_remote_error_words", "likely",
     ["507057", "TileLang"]),
    ("RuntimeError: HCCS LINK ERROR", "kb.runtime.device_link_error", "confident", ["hccn_tool"]),
    ("RuntimeError: HCCL OP RETRY FAILED", "kb.runtime.hccl_op_retry_failed", "confident", ["HCCL_OP_RETRY_ENABLE"]),
    ("RuntimeError: ACL stream synchronize failed, error code:507904", "kb.runtime.hccl_op_retry_failed",
     "confident", []),
    ("RuntimeError: output tensor size must be equal to world_size times input tensor size",
     "kb.runtime.hccl_collective_tensors_mismatch", "confident", ["dist.get_world_size(group)"]),
    ("RuntimeError: input tensor must be the same size as output size times world size",
     "kb.runtime.hccl_collective_tensors_mismatch", "confident", []),
    ("  File \"train.py\", line 9, in <module>\n    dist.all_gather(outs, t)\nRuntimeError: Tensors must have identical "
     "size", "kb.runtime.hccl_collective_tensors_mismatch", "confident", []),
    ("RuntimeError: Tensor list input to scatter/gather must match number of collective participants",
     "kb.runtime.hccl_collective_tensors_mismatch", "confident", []),
    ("RuntimeError: Tensors must be on same NPU device", "kb.runtime.hccl_tensors_on_other_npu", "confident",
     ["set_device(local_rank)"]),
])
def test_every_member_of_the_family_is_named(tmp_path, text, rule, confidence, words):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == confidence


@pytest.mark.parametrize("text, rule", [
    # torch_npu's aclnn wrapper has the same "call ... failed, detail:" shape: not an ATB operation
    ("RuntimeError: call aclnnMatmul failed, detail:EZ1001: [PID: 1] 2025 self not implemented",
     "kb.operator.atb_execute_failed"),
    # another ATB status than device memory
    (ATB + "PagedAttentionOperation_1 execute fail, error code: 4", "kb.operator.atb_device_memory"),
    # HCCL's internal-error code says nothing of links, time or memory
    (hccl_call("HcclAllreduce", 4), "kb.runtime.hccl_call_link_failed"),
    (hccl_call("HcclAllreduce", 4), "kb.runtime.hccl_call_timed_out"),
    (hccl_call("HcclAllreduce", 70), "kb.runtime.hccl_call_link_failed"),
    ("RuntimeError: HCCL error: internal error", "kb.runtime.hccl_call_link_failed"),
    # a plain operator's out= check with no collective near it
    ("RuntimeError: output tensor must have the same type as input tensor", "kb.runtime.hccl_collective_tensors_mismatch"),
    # another framework's "execute fail, error code" with nothing of ATB near it
    ("[ERROR] GE(1,python):2025 [graph_manager.cc:10] Graph execute fail, error code: 4",
     "kb.operator.atb_execute_failed"),
    # a peer's memory fault is not this card's uncorrectable error
    ("EE9999: [PID: 1] 2025 rtStreamSynchronize execute failed, reason=[device remote mem error]",
     "kb.runtime.hbm_ecc_error"),
    # a capture code's digits inside another number
    ("RuntimeError: call aclnnAdd failed, error code is 1070270", "kb.runtime.acl_graph_capture_refused"),
    # a data type message of an operator, not of HCCL
    ("EZ9999: Inner Error!\nThe input data type[float64] not supported by Cast on this chip",
     "kb.runtime.hccl_dtype_unsupported"),
    # an "allows only" of another operator than MlaProlog
    (ez9999("N allows only 8, but got 24.", "FlashAttentionScore"), "kb.operator.mla_prolog_dims_refused"),
    # an "is invalid, only support" of an attention operator, not of MoE dispatch
    (ez9999("layout is invalid, only support [BSH, BNSD]", "FusedInferAttentionScore"),
     "kb.operator.moe_dispatch_ep_layout_refused"),
])
def test_look_alike_lines_stay_with_other_rules(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}


def test_a_specific_cause_before_the_atb_summary_is_named_first(tmp_path):
    text = (ez9999("moeExpertNum should be divisible by (epWorldSize - sharedExpertRankNum), but got "
                   "moeExpertNum=160, epWorldSize=24, sharedExpertRankNum=0.", "MoeDistributeDispatch")
            + "\n" + ATB + "DecoderModel_1 execute fail, error code: 4")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.operator.moe_dispatch_ep_layout_refused"


def test_an_aborted_task_is_a_consequence_of_the_fault_before_it(tmp_path):
    text = ("RuntimeError: HCCS LINK ERROR\n"
            "EE9999: [PID: 1] 2025 rtStreamSynchronize execute failed, reason=[device task abort]")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.device_link_error"
    assert "kb.runtime.npu_force_stop" in {finding.rule for finding in report.findings}


def test_a_force_stop_is_a_consequence_of_the_fault_before_it(tmp_path):
    text = "RuntimeError: HCCS LINK ERROR\nRuntimeError: FORCE STOP"
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.device_link_error"
    assert "kb.runtime.npu_force_stop" in {finding.rule for finding in report.findings}


def test_an_async_hccl_error_found_by_the_watchdog_leaves_the_cause_to_the_hccl_line(tmp_path):
    text = ("RuntimeError: [Rank 0] checkHcclComms found HcclComms vector 0 got ERROR via HcclGetCommAsyncError : "
            "EI0013: An error CQE occurred during operator execution. Local information: server 10.0.0.1, device ID 0, "
            "device IP 192.168.1.1. Peer information: server 10.0.0.2, device ID 3, device IP 192.168.1.4.")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.hccl_roce_cqe"
    assert "kb.runtime.hccl_watchdog_collective_misuse" in {finding.rule for finding in report.findings}


def test_the_el0004_line_itself_is_the_key_line_not_the_traceback_reason_below_it(tmp_path):
    text = ("EL0004: 2025-01-01-10:00:00.000.001 Failed to allocate memory.\n        TraceBack (most recent call last):\n"
            "        rtMalloc execute failed, reason=[driver error:out of memory]")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.device_memory_el0004"
    assert report.findings[0].line == 1
