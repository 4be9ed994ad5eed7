"""Precision of device, communication and pipeline symptoms (issue 17, seventh round): a timeout, a lost link or a
failed set-up whose own account lists several causes the line cannot tell apart is said as "likely" and still
named first when no rule knows the line better.

The lines are each framework's message with other values (made up, in the shape the raise site prints).
"""

from __future__ import annotations

from functools import partial

import pytest

from support import diagnose_text


_diagnose = partial(diagnose_text, name="job.log")


def _assert_likely_first(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    rules = [finding.rule for finding in report.findings]
    assert report.root_cause is not None and report.root_cause.rule == rule, rules
    assert report.root_cause.confidence == "likely", report.root_cause.confidence


# cann_runtime.yaml: the CANN runtime's timeouts and device faults
@pytest.mark.parametrize("text, rule", [
    ("EE9999: [PID: 51] 2026-01-02-03:04:05.000.001 The error from device(chipId:1, dieId:0), serial number is 3, "
     "event wait timeout occurred during task execution, stream_id:9, sq_id:2, task_id:77, event_id=4, timeout=120s.",
     "kb.runtime.event_wait_timeout"),
    ("[ERROR] RUNTIME(51,python):2026-01-02 [event.cc:300]51 Synchronize: Event (event_id=12) synchronization timeout",
     "kb.runtime.event_sync_timeout"),
    ("E30005: [PID: 51] 2026-01-02-03:04:05.000.001 Failed to connect the device.", "kb.runtime.device_connection_lost"),
    ("[ERROR] RUNTIME(51,python) rtMemcpy failed, error code is 507057", "kb.runtime.suspect_peer_memory_fault"),
    ("dcmi module initialize failed. ret is -8005", "kb.environment.npu_driver_unusable"),
])
def test_cann_runtime_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# chip.yaml
@pytest.mark.parametrize("text, rule", [
    ("EE1005: [PID: 9] 2026-01-02-03:04:05.000.100 The current system or device does not support memory pinning.",
     "kb.runtime.device_feature_unsupported"),
    ("[ERROR] RUNTIME(9,python):2026-01-02 [device_error_proc.cc:100]9 Kernel task happen error, retCode=0x26, "
     "[aicore timeout].", "kb.runtime.aicore_op_timeout"),
])
def test_chip_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# data.yaml
@pytest.mark.parametrize("text, rule", [
    ("[ERROR] AICPU(7,aicpu_scheduler):2026-01-02 [silent_check_v3.cc:250][ComputeL1Error][tid:8]SilentCheckV3 "
     "ComputeL1Error:val = [inf], max = [inf], avg=[2.0e-08], step=[12], c_thresh_l1 = [1.000000e+06]",
     "kb.runtime.feature_value_anomaly"),
    ("RuntimeError: Got None from Python Function which is defined by tokenize_fn", "kb.data.ms_pyfunc_returned_none"),
])
def test_data_side_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# deepspeed_launch.yaml
def test_deepspeed_seeing_no_card_is_said_as_likely(tmp_path):
    _assert_likely_first(tmp_path, "RuntimeError: Unable to proceed, no GPU resources available",
                         "kb.environment.deepspeed_no_devices")


# hccl.yaml
@pytest.mark.parametrize("text, rule", [
    ("[ERROR] HCCL(77,python3):2026-01-02-03:04:05.000.001 [hccl_socket_manager.cc:797] [78][Wait][LinkEstablish]"
     "wait socket establish timeout, role[0] rank[6] timeout[120 s]", "kb.launch.hccl_link_timeout"),
    ("[ERROR]HCCL(77,python):2026-01-02-03:04:05.000.001[task_exception_handler.cc:610][77][TaskExecStage]"
     "[HeartbeatAbnormal]Cluster Exception Location[IP/ID]:[10.1.0.3/2], Arrival Time:[Fri Jan 2 03:04:00 2026], "
     "Discoverer:[10.1.0.2/1], ExceptionType:[Heartbeat Lost Occurred], Possible Reason:1. Process has exited",
     "kb.runtime.hccl_heartbeat_abnormal"),
    ("[ERROR] HCCL(77,python):2026-01-02 [p2p_mgmt.cc:210] P2P communication failed. Reason: enable P2P between "
     "device 0 and device 5 returned 1", "kb.launch.hccl_p2p_failed"),
    ("EI0012: [PID: 77] 2026-01-02-03:04:05.000.001 SDMA memory copy task exception occurred. Remote rank: [3].",
     "kb.runtime.hccl_sdma_error"),
])
def test_hccl_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# launch.yaml
@pytest.mark.parametrize("text, rule", [
    ("torch.distributed.DistNetworkError: The client socket has timed out after 600s while trying to connect to "
     "(10.2.0.1, 29600).", "kb.launch.rendezvous_timeout"),
    ("[ERROR] DISTRIBUTED(12,ffff,python):2026-01-02 [cluster_context.cc:168] BuildCluster] Topology build timed out., "
     "retry(600/600).", "kb.launch.topology_timeout"),
])
def test_launch_timeouts_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# mindspore_errors.yaml
@pytest.mark.parametrize("text, rule", [
    ("[ERROR] RUNTIME(5,python):2026-01-02 [task.cc:92]6 PrintErrorInfo:Task execute failed, base info: device_id=1, "
     "stream_id=3, task_id=9, flip_num=0, task_type=3.\n[WARNING] MD(5,ffff,python):2026-01-02 [data_queue_op.cc:93] "
     "~DataQueueOp] preprocess_batch: 2; batch_queue: 0, 0", "kb.runtime.ms_event_wait_data_timeout"),
    ("RuntimeError: Failed to fetch the unique id of the collective lib from the meta server node. Maybe the root rank "
     "process of this group has exited or has not executed to QueryUniqueID step.", "kb.launch.ms_unique_id_timeout"),
])
def test_mindspore_runtime_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# environment.yaml
def test_pip_finding_no_distribution_is_said_as_likely(tmp_path):
    _assert_likely_first(tmp_path, "ERROR: No matching distribution found for mindspore-gs==1.9.0",
                         "kb.environment.pip_no_distribution")


# mindspore_gpu.yaml
@pytest.mark.parametrize("text, rule", [
    ("RuntimeError: Failed to init nccl communicator for group nccl_world_group", "kb.launch.ms_gpu_nccl_init_failed"),
    ("RuntimeError: cudaGetDeviceCount failed: no CUDA-capable device is detected", "kb.environment.gpu_no_device"),
])
def test_gpu_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# mindspore_lite.yaml
@pytest.mark.parametrize("text, rule", [
    ("Mean bias of all nodes/tensors is too big: 7.25", "kb.runtime.lite_accuracy_bias"),
    ("[ERROR] ME(3,ffff,benchmark):2026-01-02 [acl_env_guard.cc:50] Acl open device 3 failed",
     "kb.environment.lite_acl_open_device_failed"),
    ("[ERROR] ME(3,ffff,python):2026-01-02 [model_converter.cc:80] Convert MindIR model to OM model failed",
     "kb.runtime.lite_cloud_model_not_converted"),
])
def test_lite_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# operator.yaml
@pytest.mark.parametrize("text, rule", [
    ("RuntimeError: Can not select a valid kernel info for [Default/network/ScatterNdUpdate-op12]",
     "kb.operator.kernel_select_failed"),
    ("RuntimeError: Try to get response before Open()", "kb.operator.compile_response_empty"),
])
def test_operator_symptoms_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# mindspeed.yaml
@pytest.mark.parametrize("text, rule", [
    ("RuntimeError: Rank 3, node node-1, device 3, iteration 120: Unexpected result nan (message='found NaN in local "
     "forward loss calculation')", "kb.runtime.megatron_nan_loss"),
    ("RuntimeError: Rank 5, node node-0, device 5, iteration 77: Unexpected result inf (message='found Inf in local "
     "grad norm for bucket #1 in backward pass before data-parallel communication collective')",
     "kb.runtime.megatron_nan_grad"),
])
def test_megatron_non_finite_checks_are_said_as_likely(tmp_path, text, rule):
    _assert_likely_first(tmp_path, text, rule)


# mindspore_backend.yaml
def test_a_cluster_message_timeout_is_said_as_likely(tmp_path):
    _assert_likely_first(tmp_path, "[ERROR] DISTRIBUTED(8,ffff,python):2026-01-02 [tcp_comm.cc:300] ReceiveMessage] "
                                   "Message receive timeout, Suggest configuring timeout time through "
                                   "MS_RECEIVE_MSG_TIMEOUT", "kb.launch.ms_receive_msg_timeout")
