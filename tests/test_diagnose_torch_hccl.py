"""torch_npu, HCCL/HCCP and pip-pin families: other wordings of each family's message (rank prefixes, CANN 8
layouts, other APIs and packages) reach the family's rule as the root cause, and look-alike lines do not.

The fixtures in tests/data/logs/kb/ show one member each; the lines here are built from the same framework
messages (torch_npu's ProcessGroupHCCL.cpp, CANN's hcomm and runtime, pip's resolver) in other shapes.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    # The runtime's HCCL task timeout with a timeout the user set, not the default.
    ("EI9999: 2025-01-01-10:42:00.358.410  The error from device(chipId:3, dieId:0), serial number is 9, "
     "hccl fftsplus task timeout occurred during task execution, stream_id:5, sq_id:5, task_id:38827, "
     "stuck notify num:1, timeout:1836.[FUNC:ProcessStarsHcclFftsPlusTimeoutErrorInfo]",
     "kb.runtime.hccl_task_exec_timeout", ["HCCL_EXEC_TIMEOUT", "1836"]),
    # The phy-id mapping failure alone, under a launcher's rank prefix.
    ("[rank5]:        rtGetDeviceIndexByPhyId execute failed, reason=[device id error][FUNC:FuncErrorReason]",
     "kb.launch.hccl_phy_id_not_visible", ["physical device id"]),
    # Another HCCP interface the driver lacks.
    ("[ERROR] HCCL(310612,python3):2025-08-17-13:03:25.747.057 [adapter_hccp.cc:2286] [434628]this package "
     "does not support hrtRaAiQpCreate for device, please change new package",
     "kb.versions.hccp_interface_unsupported", ["hrtRaAiQpCreate"]),
    ("FileNotFoundError: [Errno 2] No such file or directory: 'hccn_tool'", "kb.launch.hccn_tool_missing",
     ["hccn_tool"]),
    ("bash: hccn_tool: command not found", "kb.launch.hccn_tool_missing", ["device_ip"]),
    ("[rank2]:[E ProcessGroupHCCL.cpp:1790] [PG 0 Rank 2] ProcessGroupHCCL's watchdog got stuck for 600 seconds "
     "without making progress in monitoring enqueued collectives.", "kb.runtime.hccl_watchdog_stuck", ["stuck"]),
    ("RuntimeError: Expected all tensors to be on the same device, but got index is on cpu, different from "
     "other tensors on npu:0 (when checking argument in method wrapper_NPU__index_select)",
     "kb.runtime.tensors_on_two_devices", ["cpu"]),
    # a fused torch_npu operator's own input check (op-plugin), with no first sentence
    ("RuntimeError: Expected NPU tensor, please check whether the input tensor device is correct.",
     "kb.runtime.tensors_on_two_devices", ["device"]),
    ("    torch-npu 2.5.1 depends on torch==2.5.1", "kb.versions.torch_npu_torch_pin_conflict", ["2.5.1"]),
    ("    torch_npu 2.1.0.post3 depends on torch==2.1.0+cpu", "kb.versions.torch_npu_torch_pin_conflict",
     ["2.1.0+cpu"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_pip_pin_conflict_names_torch_npu_over_the_generic_conflict(tmp_path):
    text = ("ERROR: Cannot install llamafactory and llamafactory[torch-npu]==0.9.1 because these package versions "
            "have conflicting dependencies.\n\nThe conflict is caused by:\n"
            "    llamafactory[torch-npu] 0.9.1 depends on torch==2.1.0; extra == \"torch-npu\"\n"
            "    torch-npu 2.1.0.post3 depends on torch==2.1.0+cpu")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.versions.torch_npu_torch_pin_conflict"


def test_a_conflict_without_torch_npu_stays_generic(tmp_path):
    text = ("ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.\n"
            "    a 1.0 depends on protobuf<4\n    b 2.0 depends on protobuf>=4")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.versions.pip_resolution_impossible"
    assert {f.rule for f in report.findings}.isdisjoint({"kb.versions.torch_npu_torch_pin_conflict"})


def test_watchdog_teardown_yields_to_the_error_before_it(tmp_path):
    text = ("[rank1]: RuntimeError: Tensors must be NPU and dense\n"
            "[rank1]:[E ProcessGroupHCCL.cpp:995] Some HCCL operations have failed or timed out. Due to the "
            "asynchronous nature of ASCEND kernels, subsequent NPU operations might run on corrupted/incomplete data.")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.hccl_tensor_not_on_npu"
    assert "kb.runtime.hccl_watchdog_collective_misuse" in {f.rule for f in report.findings}


@pytest.mark.parametrize("text, rule", [
    # torch's heartbeat monitor in a CUDA job is not torch_npu's.
    ("[E ProcessGroupNCCL.cpp:1300] Heartbeat monitor timed out! Process will be terminated after dumping "
     "debug info.", "kb.runtime.hccl_watchdog_stuck"),
    # The "dispatch success" follow-up says the collective was only slow.
    ("[W compiler_depend.ts:952] Warning: Process group work ALLREDUCE, seq_num 3 dispatch success. "
     "This warning log can be ignored.", "kb.runtime.hccl_dispatch_timeout"),
    # A pip conflict about torch with no torch_npu in it.
    ("    vllm 0.6.0 depends on torch==2.4.0", "kb.versions.torch_npu_torch_pin_conflict"),
    # A phy id that is printed, not an error.
    ("[INFO] HCCL(1,python):2025 rank[0] devicePhyId[3] deviceLogicId[0]", "kb.launch.hccl_phy_id_not_visible"),
])
def test_look_alike_lines_are_not_the_family(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {f.rule for f in report.findings}


def test_a_rejected_aicpu_package_names_the_driver_pair_not_a_busy_card(tmp_path):
    text = ("E39999: Inner Error!\n"
            "E39999 tsd client wait response fail, device response code[1]. load aicpu ops package failed, device[0]\n"
            "\tTsdOpen failed. devId=0, tdt error=31[FUNC:PrintfTsdError][FILE:runtime.cc][LINE:2060]")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.versions.aicpu_package_rejected"
    assert "kb.runtime.tsd_open_failed" not in {f.rule for f in report.findings}


def test_tsd_open_alone_points_at_the_card_held_elsewhere(tmp_path):
    report = diagnose_text(tmp_path, "[rank4]: TsdOpen failed. devId=4, tdt error=1[FUNC:PrintfTsdError]")
    assert report.root_cause.rule == "kb.runtime.tsd_open_failed"
    assert "device 4" in report.findings[0].title


@pytest.mark.parametrize("line", [
    "ValueError: torch_npu not support key 'pinned_use_cuda_host_register' in NPU allocator config, ",
    "RuntimeError: `max_split_size_mb` or `garbage_collection_threshold`, cannot be enabled with "
    "`expandable_segments`, please set `expandable_segments` to `False`.",
    "RuntimeError: CachingAllocator option segment_size_mb error, must be [20, 512], dtype is int",
])
def test_every_allocator_config_refusal_is_named(tmp_path, line):
    assert diagnose_text(tmp_path, line).root_cause.rule == "kb.environment.npu_alloc_conf_invalid"


def test_expandable_segments_fallback_is_a_warning_below_a_later_oom(tmp_path):
    text = ("[W compiler_depend.ts:320] Warning: expandable_segments setting failure, now change to `False`.\n"
            "torch.OutOfMemoryError: NPU out of memory. Tried to allocate 2.00 GiB (NPU 0; 60.00 GiB total capacity)")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.npu_oom_torch"
    assert "kb.environment.npu_expandable_segments_unsupported" in {f.rule for f in report.findings}


@pytest.mark.parametrize("line, dtype", [
    ("RuntimeError: HCCL ReduceScatter: Unsupported data type at::kDouble", "at::kDouble"),
    ("[rank3]: RuntimeError: HCCL AllReduce & Reduce: Unsupported data type at::kByte/at::kBool", "at::kBool"),
])
def test_hccl_refuses_a_data_type_for_a_reduction(tmp_path, line, dtype):
    report = diagnose_text(tmp_path, line)
    assert report.root_cause.rule == "kb.runtime.hccl_dtype_unsupported"
    assert dtype in report.findings[0].title


def test_bf16_refusal_off_the_npu_is_not_blamed_on_the_chip(tmp_path):
    text = ("torch 2.4.0+cu121, CUDA 12.1\n"
            "ValueError: Your setup doesn't support bf16/gpu. You need Ampere+ GPU with cuda>=11.0")
    report = diagnose_text(tmp_path, text)
    assert "kb.environment.bf16_not_on_this_device" not in {f.rule for f in report.findings}


def test_bf16_refusal_on_an_npu_host_names_the_chip(tmp_path):
    text = ("[INFO] torch_npu 2.1.0.post10 loaded\n"
            "ValueError: Your setup doesn't support bf16/gpu.")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.bf16_not_on_this_device"
    assert "fp16" in report.findings[0].fix


@pytest.mark.parametrize("text, named", [
    ("net health status: Fault", True),
    ("net health status: Receive timeout", True),
    ("net health status: Success", False),
    ("net health status: Init", False),
    ("link status: UP", False),
])
def test_hccn_tool_output_names_only_the_broken_states(tmp_path, text, named):
    rules = {f.rule for f in diagnose_text(tmp_path, text).findings}
    assert ("kb.launch.npu_nic_link_down" in rules) is named


def test_torch_npu_own_device_check_wording_is_the_same_family(tmp_path):
    text = ("RuntimeError: Expected all tensors to be on the same device. Expected NPU tensor, please check whether "
            "the input tensor device is correct.\n"
            "[ERROR] 2024-08-18-22:37:51 (PID:53741, Device:0, RankID:-1) ERR01002 OPS invalid type")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.tensors_on_two_devices"
    assert "Expected NPU tensor" in report.findings[0].detail


def test_a_cpu_fallback_warning_alone_is_not_an_error_but_its_failed_copy_is(tmp_path):
    warning = ("[W compiler_depend.ts:51] Warning: CAUTION: The operator 'aten::linalg_lstsq.out' is not currently "
               "supported on the NPU backend and will fall back to run on the CPU.")
    assert diagnose_text(tmp_path, warning).root_cause is None
    failed = warning + "\nRuntimeError: _copy_from_and_resize now only support copy with same size!"
    assert diagnose_text(tmp_path, failed).root_cause.rule == "kb.operator.npu_cpu_fallback_failed"


@pytest.mark.parametrize("line, env, want", [
    ("RuntimeError: TASK_QUEUE_ENABLE should be 0, 1 or 2", "TASK_QUEUE_ENABLE", "0, 1 or 2"),
    ("RuntimeError: HCCL_BUFFSIZE should be positive.", "HCCL_BUFFSIZE", "positive"),
    ("RuntimeError: TORCH_HCCL_ASYNC_ERROR_HANDLING should be 0, 1, 2, or 3.", "TORCH_HCCL_ASYNC_ERROR_HANDLING",
     "0, 1, 2, or 3"),
])
def test_a_switch_with_a_refused_value_names_the_variable_and_the_values(tmp_path, line, env, want):
    report = diagnose_text(tmp_path, line)
    assert report.root_cause.rule == "kb.environment.npu_env_value_invalid"
    assert env in report.findings[0].title and want in report.findings[0].title


def test_prose_with_should_be_is_not_an_environment_variable(tmp_path):
    text = "ValueError: The batch size should be 1 or 2 for this model"
    assert "kb.environment.npu_env_value_invalid" not in {f.rule for f in diagnose_text(tmp_path, text).findings}


def test_a_gloo_drop_yields_to_the_error_that_ended_the_peer(tmp_path):
    text = ("torch.OutOfMemoryError: NPU out of memory. Tried to allocate 2.00 GiB (NPU 1; 60.00 GiB total capacity)\n"
            "RuntimeError: [../third_party/gloo/gloo/transport/tcp/pair.cc:598] Connection reset by peer")
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.npu_oom_torch"
    assert "kb.launch.gloo_peer_closed" in {f.rule for f in report.findings}


def test_a_child_killed_by_another_signal_is_not_read_as_sigkill(tmp_path):
    text = "  traceback : Signal 11 (SIGSEGV) received by PID 40213"
    assert "kb.launch.torchrun_worker_sigkill" not in {f.rule for f in diagnose_text(tmp_path, text).findings}


@pytest.mark.parametrize("line, named", [
    ("ValueError: fp16 mixed precision requires a GPU (not 'cpu').", True),
    ("RuntimeError: There are currently no available devices found, must be one of 'XPU', 'CUDA', 'MLU', 'NPU', "
     "'MUSA', or 'HPU'.", True),
    ("ValueError: fp16 mixed precision requires a GPU (not 'mps').", False),
])
def test_accelerate_without_a_device_is_named_only_for_the_cpu_fallback(tmp_path, line, named):
    rules = {f.rule for f in diagnose_text(tmp_path, line).findings}
    assert ("kb.environment.accelerate_no_device" in rules) is named


@pytest.mark.parametrize("line", [
    "[rank1]: RuntimeError: Tensor's dim 0 does not divide equally across group size",
    "RuntimeError: Number of tensor splits not equal to group size",
])
def test_each_all_to_all_split_check_is_the_same_family(tmp_path, line):
    assert diagnose_text(tmp_path, line).root_cause.rule == "kb.runtime.hccl_alltoall_split_mismatch"


def test_a_card_range_across_both_groups_is_named_from_the_message_alone(tmp_path):
    text = "ValueError: device num [2, 6) must be in the same group of [0,4] or [4,8] !"
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.launch.hccl_tools_device_range"
