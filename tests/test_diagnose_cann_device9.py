"""The CANN runtime at the device and the cluster around it (session 9): the device-side process's own reasons
win over the bare TSD failure, aclInit's codes are told apart, the runtime's ``desc=[...]`` words are read like
its ``reason=[...]`` words, one DCMI message is named by the component that printed it, and look-alike lines of
other vendors stay quiet.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    # the TSD client's bare line stands down when the runtime's own reason is near
    ("[ERROR] TSDCLIENT(41,python):2025 [tsd_client.cpp:27]41 TsdOpen failed, deviceId[0].\n"
     "[ERROR] RUNTIME(41,python):2025 [runtime.cc:2087]41 PrintfTsdError:TsdOpen failed:The number of started NN "
     "processes exceeds the limit.", "kb.runtime.tsd_process_limit", ["too many"]),
    ("EE9999: [PID: 41] 2025-03-01-10:00:00.123.456 TsdOpen failed:Failed to verify OPP package.",
     "kb.runtime.opp_verify_failed", ["OPP"]),
    # a second aclInit is its own cause; any other code is the general, likely one
    ("aclInit failed, ret = 100002", "kb.runtime.acl_repeat_initialize", ["once per process"]),
    ("ERROR: aclInit failed, errorCode = 500000", "kb.environment.acl_init_failed", ["500000", "set_env.sh"]),
    ("[ERROR] Call aclInit failed, ret[507899]", "kb.environment.acl_init_failed", ["507899"]),
    # the runtime's desc=[...] form of its reason words
    ("[ERROR] RUNTIME(9,python):2025 [api_c.cc:150]9 rtEventCreate:ErrCode=207007, desc=[driver error:no event "
     "resource], InnerCode=0x7020010", "kb.runtime.device_resources_insufficient", ["streams", "processes"]),
    ("[ERROR] RUNTIME(9,python):2025 [api_c.cc:90]9 rtGetDeviceCount:ErrCode=207004, desc=[driver error:no valid "
     "device], InnerCode=0x7020001", "kb.serving.no_npu_visible", ["/dev/davinci*"]),
    ("[ERROR] RUNTIME(9,python):2025 [device.cc:812]9 Device lost heartbeat, device_id=3",
     "kb.runtime.ts_lost_heartbeat", ["card fault"]),
    # one DCMI message, two components: the device plugin's words, then the Ascend Docker Runtime's doubled comma
    ("[ERROR] 2024/01/10 03:30:45.197 1 devicefactory/driver_init.go:29 init devmanager failed, err: dcmi init "
     "failed, error code: -8005", "kb.environment.npu_plugin_driver_unreachable", ["hostPath", "/usr/local/dcmi"]),
    ("ascend-docker-runtime: dcmi init failed, , error code: -8005",
     "kb.environment.ascend_docker_runtime_dcmi_failed", ["DCMI"]),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/etc/ascend_install.info'",
     "kb.environment.ascend_driver_files_missing", ["/etc/ascend_install.info", "-v"]),
    ("[ERROR] HCCL(77,python):2025 [adapter_rts.cc:330][77][InitGroup][EnvConfig] Env config \"HCCL_IF_IP\" is "
     "[10.0.0.9] which is not found in the nic list.", "kb.launch.hccl_host_ip_not_local", ["10.0.0.9", "HCCL_IF_IP"]),
    ("[ERROR] RUNTIME(9,python):2025 [api_impl.cc:400]9 rtStreamSynchronize execute failed, reason=[hdc disconnect]",
     "kb.runtime.device_connection_lost", ["hdc disconnect"]),
    ("Warning  FilteringFailed  12s  hami-scheduler  2 nodes CardTypeMismatch(node-a,node-b)",
     "kb.environment.hami_no_fitting_card", ["CardTypeMismatch", "annotations"]),
    ("[ERROR] HCCL(9,python):2025 [hccl_socket_manager.cc:88][9]ra socket listen start fail, return[-98]",
     "kb.launch.hccl_port_in_use", ["in use"]),
    ("[ERROR] HCCP(9,python):2025 [ra_hdc.c:321]tid:9,ra_hdc_process_msg(321) : HDC recv msg err ret(16)",
     "kb.runtime.device_connection_lost", ["HDC recv msg err ret(16)"]),
])
def test_the_message_names_its_own_cause(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule, confidence", [
    ("[ERROR] HCCL(7,python):2025 [network_manager.cc:410][7]rdma init fail, ret[-1]",
     "kb.launch.hccl_rdma_init_failed", "likely"),
    ("[ERROR] RUNTIME(7,python):2025 [stream_c.cc:75]7 Can not find kernel by function[0x7f3a10c0], tilingKey=1.",
     "kb.operator.rt_kernel_not_registered", "likely"),
    ("[ERROR] TSDCLIENT(7,python):2025 [tsd_client.cpp:27]7 TsdOpen failed, deviceId[1].",
     "kb.runtime.tsd_client_open_failed", "likely"),
    ("Allocate failed due to requested number of devices unavailable for huawei.com/Ascend910. Requested: 8, "
     "Available: 7, which is unexpected", "kb.environment.k8s_npu_allocate_unavailable", "confident"),
])
def test_messages_with_several_causes_are_said_as_likely(tmp_path, text, rule, confidence):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == rule, [f.rule for f in report.findings]
    assert report.root_cause.confidence == confidence


@pytest.mark.parametrize("text, rule", [
    # another vendor's resource through the same kubelet words
    ("Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: 4, "
     "Available: 0, which is unexpected", "kb.environment.k8s_npu_allocate_unavailable"),
    # a cgroup or a file owner in words that are not the components' own
    ("the owner not right now", "kb.environment.mindcluster_file_permission_refused"),
    ("aclInit succeeded, device count 8", "kb.environment.acl_init_failed"),
    ("3 nodes are ready", "kb.environment.hami_no_fitting_card"),
])
def test_look_alike_lines_stay_quiet(tmp_path, text, rule):
    assert rule not in [finding.rule for finding in _diagnose(tmp_path, text).findings]


def test_the_bare_tsd_line_is_not_listed_when_the_runtime_gives_the_reason(tmp_path):
    report = _diagnose(tmp_path, "[ERROR] TSDCLIENT(41,python):2025 [tsd_client.cpp:27]41 TsdOpen failed, deviceId[0].\n"
                                 "EE9999: [PID: 41] 2025 TsdOpen failed:Device is disconnected.")
    rules = [finding.rule for finding in report.findings]
    assert rules[0] == "kb.runtime.tsd_device_disconnected" and "kb.runtime.tsd_client_open_failed" not in rules


def test_a_pod_the_hami_scheduler_never_placed_is_said_as_likely(tmp_path):
    report = _diagnose(tmp_path, "Warning  UnexpectedAdmissionError  kubelet  Allocate failed due to rpc error: code = "
                                 "Unknown desc = get pending pod error: no binding pod found on node gpu-7, which is "
                                 "unexpected")
    assert report.root_cause.rule == "kb.environment.hami_pod_not_bound_by_scheduler"
    assert report.root_cause.confidence == "likely"
    assert "hami-scheduler" in report.findings[0].title
