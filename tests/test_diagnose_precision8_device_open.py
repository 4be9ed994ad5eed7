"""A device that does not open has several causes, and the lines around the failed set-device say which: the
driver's own refusal in the runtime's trace (a driver that does not pair with CANN), a lost host-device
connection (E39009) or a device-side start timeout (E39007) above the TsdOpen line. The bare set-device failure
and E39007 (a node fault most often, a container's device mapping too) are said as likely, never as the cause.
A CUDA call on an NPU host that a library makes, not the script, names the torch/torch_npu pair to upgrade."""

from __future__ import annotations

from pathlib import Path

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.report import CONFIDENT


def _report(tmp_path: Path, text: str):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], "en")


def _texts(report) -> str:
    first = report.findings[0]
    return " ".join((first.title, first.detail or "", first.fix or ""))


def test_the_drivers_refusal_under_a_failed_set_device_names_the_driver_not_a_busy_card(tmp_path):
    report = _report(tmp_path, (
        "I0501 10:00:00.000100  7001 init.cc:242] CustomDevice: npu, visible devices count: 4\n"
        "Call aclrtSetDevice(dev_id) failed : 507033 at file /src/npu/runtime/runtime.cc line 400\n"
        "EL0002: [PID: 7001] 2025-05-01-10:00:00.500.000 The device ID is invalid.\n"
        "        TraceBack (most recent call last):\n"
        "        Failed to open device, retCode=0x7020013, deviceId=1.[FUNC:InitRawDriver][FILE:device.cc][LINE:278]\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.driver_device_open_failed" and root.line == 2, root
    assert root.confidence != CONFIDENT
    assert "driver" in root.title and "device 1" in root.title
    assert "kb.runtime.device_busy" not in {finding.rule for finding in report.findings}


def test_a_driver_open_failure_of_another_kind_is_left_to_the_set_device_rules(tmp_path):
    # 0x7020012 (no device) is not the driver refusing a card it knows: no driver-version answer.
    report = _report(tmp_path, (
        "Call aclrtSetDevice(dev_id) failed : 507033 at file /src/npu/runtime/runtime.cc line 400\n"
        "        Failed to open device, retCode=0x7020012, deviceId=1.[FUNC:InitRawDriver][FILE:device.cc][LINE:278]\n"))
    assert "kb.runtime.driver_device_open_failed" not in {finding.rule for finding in report.findings}


def test_a_bare_failed_set_device_is_said_as_likely(tmp_path):
    report = _report(tmp_path, (
        "[ERROR] RUNTIME(301,python):2025-06-01-08:00:00.000.001 [api_c.cc:120] rtSetDevice execute failed\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.device_busy", root
    assert root.confidence != CONFIDENT


def test_a_lost_device_connection_comes_before_the_tsd_line_that_follows_it(tmp_path):
    report = _report(tmp_path, (
        "[ERROR] aclrtSetDevice(dev) failed: 507033 (/work/bench/case_3/main.cpp:57)\n"
        "[ERROR] RecentErrMsg: [PID: 900] 2026-02-02-02:02:02.000.001 Inner_Error_Device_Status_Abnormal(E39009): "
        "Failed to connect the device.\n"
        "        Possible Cause: 1. Heartbeats are missing on the device. 2. The underlying channel is disconnected.\n"
        "        TraceBack (most recent call last):\n"
        "        TsdOpen failed. devId=6, tdt error=34[FUNC:PrintfTsdError][FILE:runtime.cc][LINE:2638]\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.device_connection_lost" and root.line == 2, root
    assert "kb.runtime.tsd_open_failed" not in {finding.rule for finding in report.findings}
    assert "heartbeat" in _texts(report)


def test_tsd_open_failed_alone_still_names_its_cause(tmp_path):
    report = _report(tmp_path, (
        "RuntimeError: c10_npu::SetDevice(device_id), error code is 507033\n"
        "EE9999: [PID: 12] 2025-05-01-00:00:00.000.000 TsdOpen failed. devId=0, tdt error=1"
        "[FUNC:PrintfTsdError][FILE:runtime.cc][LINE:2060]\n"))
    assert report.root_cause.rule == "kb.runtime.tsd_open_failed", report.root_cause


def test_e39007_under_a_workers_failed_set_device_is_likely_and_names_the_device_mapping_too(tmp_path):
    report = _report(tmp_path, (
        "(EngineCore pid=310) ERROR [worker.py:12] RuntimeError: SetDevice:torch_npu/csrc/core/npu/NPUFunctions.cpp:80 "
        "NPU function error: c10_npu::SetDevice(device), error code is 507033\n"
        "(EngineCore pid=310) ERROR [worker.py:12] Inner_Error_Device_Subprocess_Startup_Timeout(E39007): "
        "Starting a subprocess on the device timed out.\n"))
    root = report.root_cause
    assert root.rule == "kb.runtime.device_subprocess_startup_timeout" and root.line == 1, root
    assert root.confidence != CONFIDENT
    assert "ASCEND_RT_VISIBLE_DEVICES" in _texts(report) and "hardware fault" in root.title


def test_a_cuda_call_from_a_library_names_the_torch_and_torch_npu_pair_to_upgrade(tmp_path):
    report = _report(tmp_path, "AssertionError: Torch not compiled with CUDA enabled\n")
    assert report.root_cause.rule == "kb.environment.cuda_api_on_npu"
    fix = report.findings[0].fix or ""
    assert "upgrade torch and torch_npu together" in fix


def test_the_drivers_invalid_device_reason_is_an_invalid_id_unless_the_trace_shows_the_driver_refusing_an_open(
        tmp_path):
    refused = _report(tmp_path, (
        "EL0002: [PID: 44] 2025-08-08-08:08:08.000.001 The device ID is invalid.\n"
        "        TraceBack (most recent call last):\n"
        "        Failed to open device, retCode=0x7020013, deviceId=2.[FUNC:InitRawDriver][FILE:device.cc][LINE:278]\n"
        "        rtSetDevice execute failed, reason=[driver error:invalid device][FUNC:FuncErrorReason]"
        "[FILE:error_message_manage.cc][LINE:53]\n"))
    rules = {finding.rule for finding in refused.findings}
    assert "kb.runtime.driver_device_open_failed" in rules and "kb.runtime.acl_invalid_device" not in rules, rules
    alone = _report(tmp_path, (
        "        rtGetDeviceInfo execute failed, reason=[driver error:invalid device][FUNC:FuncErrorReason]"
        "[FILE:error_message_manage.cc][LINE:53]\n"))
    assert alone.root_cause.rule == "kb.runtime.acl_invalid_device", alone.root_cause
