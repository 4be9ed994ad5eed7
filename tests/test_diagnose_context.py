"""Broad rules read their context: the same message means another cause when the log around it says so.

Each case is a pair built from the frameworks' own message texts: the broad message alone (its own rule
stays the root cause) and the message with the context that names a more specific cause (the specific rule
must win, and the broad one must not be the root cause). A differently worded member of the family must
come out right or unsure, never as the broad rule's confident wrong answer.
"""

from __future__ import annotations

import pytest

from support import diagnose_text as _diagnose

DOCKER = ("docker run -it --device /dev/davinci3 --device /dev/davinci_manager --device /dev/devmm_svm "
          "--device /dev/hisi_hdc -v /usr/local/Ascend/driver:/usr/local/Ascend/driver image:tag bash\n")


@pytest.mark.parametrize("text, root", [
    # npu-smi on a host vs inside a container.
    ("$ npu-smi info\ndcmi module initialize failed. ret is -8005", "kb.environment.npu_driver_unusable"),
    (DOCKER + "# npu-smi info\nDrvMngGetConsoleLogLevel failed. (g_conLogLevel=3)\n"
              "dcmi module initialize failed. ret is -8005", "kb.environment.npu_smi_in_container"),
    ("podman run --device=/dev/davinci0 -it img\ndcmi module initialize failed. ret is -8002",
     "kb.environment.npu_smi_in_container"),
    # npu-smi words the occupied card itself, container or not.
    (DOCKER + "dcmi model initialized failed, because the device is used. ret is -8020",
     "kb.environment.npu_card_occupied_by_container"),
    # A device-side HCCL listen failing: a port in use, or a NIC whose RDMA never came up.
    ("[ERROR] HCCL(7,python):2025-01-01-00:00:00.000.000 [hccl_socket.cc:100] [7][HcclSocket][Listen] socket "
     "type[1], listen on ip[10.0.0.5] and specific port[16666] fail. Please check the port status and whether "
     "the port is been using by other process.", "kb.launch.hccl_port_in_use"),
    ("[ERROR] HCCP(7,python):2025-01-01-00:00:00.000.000 [ra_host.c:580]tid:7,ra_rdev_init_with_backup_info(580) "
     ": [init][ra_rdev]ra rdev init failed, ret(-67)\n"
     "[ERROR] HCCL(7,python):2025-01-01-00:00:00.000.100 [network_manager.cc:639] [7][Init][RDMA]errNo[0x05] ra "
     "rdma init failed, devid[3] ip[10.0.0.5], notifyType[1], return[19]\n"
     "[ERROR] HCCL(7,python):2025-01-01-00:00:00.000.200 [hccl_socket.cc:100] [7][HcclSocket][Listen] socket "
     "type[1], listen on ip[10.0.0.5] and specific port[16666] fail. Please check the port status and whether "
     "the port is been using by other process.", "kb.launch.hccl_transport_init_failed"),
    # A visible-device list out of range, or Ray's per-worker narrowing of it.
    ("RuntimeError: The argument is invalid.Reason: Set visible device failed, invalid device=5, input visible "
     "devices:0,1", "kb.serving.visible_devices_out_of_range"),
    ("(RayWorkerWrapper pid=811) ERROR 01-01 00:00:00 worker_base.py:572] The argument is invalid.Reason: Set "
     "visible device failed, invalid device=3, input visible devices:3", "kb.serving.ray_narrowed_visible_devices"),
    ("ray.init(address='auto')\n(pid=4242) RuntimeError: Set visible device failed, invalid device=1, input "
     "visible devices:6", "kb.serving.ray_narrowed_visible_devices"),
    # 561103 alone (an installation mismatch) vs an operator's tiling check that refused the inputs.
    ("RuntimeError: call aclnnInplaceZero failed, error code is 561103", "kb.versions.aclnn_inner_nullptr"),
    ("RuntimeError: call aclnnPromptFlashAttention failed, error code is 561103\n"
     "EZ9999: Inner Error!\n"
     "EZ9999[PID: 12] 2025-01-01-00:00:00.000.000 (EZ9999):  query dtype and key dtype should be same."
     "[FUNC:CheckIODataType][FILE:prompt_flash_attention_tiling.cpp][LINE:300]\n"
     "        Tiling failed", "kb.operator.aclnn_tiling_rejected"),
    # The aclnn parameter code vs the EZ1001 text that names the missing operator package or the dtype.
    ("RuntimeError: call aclnnGeluV2 failed, detail:EZ1001: [PID: 9] 2025-01-01-00:00:00.000.000 Get path and "
     "read binary_info_config.json failed, please check if the opp_kernel package is installed!",
     "kb.environment.op_kernels_missing"),
    ("aclnnWeightQuantBatchMatmulV2 failed, error code is 161002\nAclNN_Parameter_Error(EZ1001):\n"
     "Tensor antiquantScale not implemented for DT_INT8,\nshould be in dtype support list\n[DT_FLOAT16, DT_BFLOAT16].",
     "kb.operator.dtype_not_supported"),
    # A copy that failed after an SDMA fault vs the copy failure alone (which names no cause of its own).
    ("[ERROR] RUNTIME(3,python):2025-01-01-00:00:00.000.000 [device_error_proc.cc:1021]3 there is a sdma error, "
     "sdma channel is 4, the channel exist the following problems: The SMMU returns a Terminate error during "
     "page table translation.\nMemory async copy failed, device_id=1, stream_id=5, task_id=9, length=4096",
     "kb.runtime.sdma_copy_fault"),
    # pip's "no matching distribution" after it could not reach the index: the network is the cause.
    ("WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
     "broken by 'ConnectTimeoutError(<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>, 'Connection "
     "to pypi.org timed out. (connect timeout=15)')': /simple/torch-npu/\n"
     "ERROR: Could not find a version that satisfies the requirement torch-npu==2.5.1 (from versions: none)\n"
     "ERROR: No matching distribution found for torch-npu==2.5.1", "kb.environment.package_index_unreachable"),
    ("ERROR: Could not find a version that satisfies the requirement minspore (from versions: none)\n"
     "ERROR: No matching distribution found for minspore", "kb.environment.pip_no_distribution"),
    # Operator inputs of two dtypes: the type-same check, not the catch-all argument rule.
    ("TypeError: For primitive[BiasAdd], the input type must be same.\nname:[input_x]:Tensor[Float32].\n"
     "name:[bias]:Tensor[Float16].", "kb.operator.input_dtype_mismatch"),
    ("RuntimeError: Input type (c10::BFloat16) and bias type (float) should be the same",
     "kb.operator.input_dtype_mismatch"),
    # torch's expected-type check names both types: precision or an index/label dtype.
    ("RuntimeError: expected scalar type BFloat16 but found Float", "kb.operator.scalar_type_expected"),
])
def test_the_context_picks_the_cause(tmp_path, text, root):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == root, \
        [(finding.rule, finding.line) for finding in report.findings]


@pytest.mark.parametrize("text, broad", [
    # A local server that refuses connections is not a package index out of reach.
    ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded "
     "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new "
     "connection: [Errno 111] Connection refused'))", "kb.environment.package_index_unreachable"),
    # The device id error of a visible-device list: the visible-device rule, not "the card is busy".
    ("rtSetDevice execute failed, reason=[device id error]\nSet visible device failed, invalid device=2, input "
     "visible devices:0,1", "kb.runtime.device_busy"),
    (DOCKER + "dcmi module initialize failed. ret is -8005", "kb.environment.npu_driver_unusable"),
    ("(RayWorkerWrapper pid=811) ERROR Set visible device failed, invalid device=3, input visible devices:3",
     "kb.serving.visible_devices_out_of_range"),
    ("ra rdma init failed, devid[0] ip[10.0.0.1]\nsocket type[1], listen on ip[10.0.0.1] and specific port[16666] "
     "fail.", "kb.launch.hccl_port_in_use"),
    ("error code is 561103\nquery shape invalid.[FUNC:Check][FILE:fa_tiling.cpp][LINE:1]",
     "kb.versions.aclnn_inner_nullptr"),
])
def test_the_broad_rule_stands_down_in_the_specific_context(tmp_path, text, broad):
    assert broad not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


@pytest.mark.parametrize("text, words", [
    # A bare integer device index is a CUDA device to torch.
    ("    x = x.to(0)\nAssertionError: Torch not compiled with CUDA enabled", ["integer device", "npu:0"]),
    # The wheel's platform tag, not only its Python tag.
    ("ERROR: torch_npu-2.1.0-cp310-cp310-manylinux_2_17_aarch64.whl is not a supported wheel on this platform.",
     ["platform", "pip debug --verbose"]),
    # A script without a #! line fails with the same errno as a binary for another architecture.
    ("OSError: [Errno 8] Exec format error: './run_train.sh'", ["#!", "architecture"]),
    # A bare "Killed" from bash: the OOM killer, or another SIGKILL.
    ("run.sh: line 12: 40211 Killed                  python train.py", ["dmesg", "SIGKILL"]),
    # The device memory allocation of an empty card: the job itself asks for too much.
    ("RuntimeError: Malloc device memory failed, size[32212254720]", ["another process", "max_device_memory"]),
    # A long host-side step on one rank behind a stream sync timeout.
    ("EE1002: 2025-01-01-00:00:00.000.000 Stream synchronize timeout. rtStreamSynchronize execute failed",
     ["preprocess", "increase"]),
])
def test_the_broad_rule_names_the_family_s_usual_members(tmp_path, text, words):
    report = _diagnose(tmp_path, text)
    finding = report.findings[0]
    said = " ".join([finding.title, finding.detail or "", finding.fix or ""])
    assert all(word in said for word in words), said


@pytest.mark.parametrize("line, rule", [
    ("[INFO] tiling cache hit for op MatMul [FUNC:Lookup][FILE:matmul_tiling_cache.cpp][LINE:10]",
     "kb.operator.aclnn_tiling_rejected"),
    ("[INFO] sdma copy error counter reset", "kb.runtime.sdma_copy_fault"),
    ("[INFO] the input type must be same as the config says, checking", "kb.operator.input_dtype_mismatch"),
    # An HTTP client's empty response is not MindSpore's kernel-build client.
    ("openai.APIError: Response is empty", "kb.operator.compile_response_empty"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, line).findings}


@pytest.mark.parametrize("text, specific", [
    # Wrappers and crashes name no cause of their own: the error logged with them does.
    ("RuntimeError: run task error!\nEZ1001: [PID: 3] 2025-01-01-00:00:00 Get path and read "
     "binary_info_config.json failed, please check if the opp_kernel package is installed!",
     "kb.environment.op_kernels_missing"),
    ("E39999: Inner Error!\nImportError: libascendcl.so: cannot open shared object file: No such file or directory",
     "kb.environment.cann_lib_missing"),
])
def test_a_wrapper_yields_to_the_error_beside_it(tmp_path, text, specific):
    assert _diagnose(tmp_path, text).root_cause.rule == specific


def test_a_catch_all_reading_the_code_s_message_stays_the_root_cause(tmp_path):
    """torch_npu's exception only wraps a return code; CANN's message below it is the line the catch-all
    reads, so the exception does not take the root cause from it (as the CLI analyses the log)."""
    from mindpilot.launch.router import analyse

    log = tmp_path / "job.log"
    log.write_text(
        "RuntimeError: call aclnnFlashAttentionScore failed, error code is 561103\n"
        "[ERROR] 2025-01-01-00:00:00 (PID:5, Device:0, RankID:-1) ERR00100 PTA call acl api failed.\n"
        "EZ9999: Inner Error!\n"
        "EZ9999[PID: 5] 2025-01-01-00:00:00.000.000 (EZ9999):  pse shape is invalid."
        "[FUNC:CheckPseShape][FILE:flash_attention_score_tiling.cpp][LINE:90]\n"
        "        Tiling failed\n", encoding="utf-8")
    report = analyse([str(log)])
    assert report.root_cause.rule == "kb.operator.aclnn_tiling_rejected"
    assert "pse shape is invalid" in report.findings[0].title
