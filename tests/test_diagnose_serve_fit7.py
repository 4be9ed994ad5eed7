"""Serving-side families found missing by the seventh held-out measure (issue 17): SGLang's KV cache pool out of
memory, ggml's CANN backend without an operator, GPUStack's DCMI library load, Ray's collective group asking for
NCCL on Ascend, and LMDeploy's engine timing out on an NPU task. Each rule reads other members of its family (other
values, other places in the stack) and stays quiet where the same words mean something else.

The fixtures of tests/data/logs/kb/ show one member each; these logs are made up from the frameworks' messages.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="server.log")

SGLANG_FRAMES = (
    '  File "/usr/local/lib/python3.10/site-packages/sglang/srt/managers/scheduler.py", line 310, in __init__\n'
    "    self.tp_worker = TpModelWorker(\n")


@pytest.mark.parametrize("text, rule, words", [
    # SGLang out of memory while serving (a forward, not the KV pool): same rule, its advice names both.
    (SGLANG_FRAMES + "torch.OutOfMemoryError: NPU out of memory. Tried to allocate 2.00 GiB (NPU 0; 60.00 GiB total "
     "capacity; 55.10 GiB already allocated)", "kb.runtime.npu_oom_sglang", ["2.00 GiB", "KV cache"]),
    # ggml's CANN backend: another operator, a plain node name
    ("ggml_backend_cann_graph_compute: error: op not supported node_7 (CONV_TRANSPOSE_1D)\n"
     "ggml/src/ggml-cann.cpp:1700: GGML_ASSERT(ok) failed", "kb.operator.ggml_cann_op_not_supported",
     ["CONV_TRANSPOSE_1D", "ggml_backend_sched"]),
    # the DCMI class name with a launcher prefix
    ("[worker-2] gpustack_runtime.detector.pydcmi.DCMIError_LibraryNotFound: Library Not Found",
     "kb.serving.dcmi_library_not_found", ["libdcmi.so", "/usr/local/dcmi"]),
    # Ray's message without the trailing full stop, raised from a group created elsewhere in the stack
    ('  File "/env/lib/python3.10/site-packages/ray/util/collective/collective.py", line 234, in '
     "create_collective_group\n    _check_backend_availability(backend)\nRuntimeError: NCCL is not available",
     "kb.environment.ray_collective_nccl_on_npu", ["HCCL", "GLOO"]),
    # the same group asked for with backend='hccl' from a Ray without HCCL support
    ("(TaskRunner pid=71) ValueError: Unrecognized backend: 'hccl'. Only NCCL and GLOO are supported",
     "kb.environment.ray_collective_nccl_on_npu", ["HCCL", "backend='hccl' is refused"]),
    # LMDeploy on Ascend: an event sync timeout, with the frames in dlinfer's own package
    ('  File "/usr/lib/python3.10/site-packages/dlinfer/framework/lmdeploy_ext/device/ascend.py", line 40, in '
     "sync\n    torch.npu.synchronize()\nRuntimeError: ACL stream synchronize failed, error code is 507047",
     "kb.runtime.lmdeploy_npu_task_timeout", ["507047", "LMDeploy"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


def test_sglang_rule_stays_out_of_a_training_oom(tmp_path):
    text = ('  File "/work/train.py", line 40, in step\n    loss.backward()\n'
            "RuntimeError: NPU out of memory. Tried to allocate 1.00 GiB (NPU 0; 60.00 GiB total capacity)")
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == "kb.runtime.npu_oom_torch"


def test_a_task_timeout_outside_lmdeploy_keeps_its_general_meaning(tmp_path):
    text = ('  File "/work/train.py", line 90, in step\n    loss.item()\n'
            "RuntimeError: ACL stream synchronize failed, error code:507048")
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == "kb.runtime.acl_task_timeout"


def test_lmdeploy_timeout_is_said_as_likely_not_as_the_cause(tmp_path):
    text = ('  File "/opt/lmdeploy/lmdeploy/pytorch/engine/model_agent.py", line 616, in _forward_impl\n'
            "    output = model_forward(\nRuntimeError: ACL stream synchronize failed, error code:507048")
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.runtime.lmdeploy_npu_task_timeout"
    assert report.root_cause.confidence != "confident"


@pytest.mark.parametrize("text", [
    # NCCL missing outside Ray's collective API (torch's own wording has its own rule; this one says nothing)
    "RuntimeError: NCCL is not available",
    # Ray refusing another backend name is not about NPUs
    "ValueError: Unrecognized backend: 'mpi'. Only NCCL and GLOO are supported",
    # a DCMI error that is not the library load
    "gpustack_runtime.detector.pydcmi.DCMIError_InvalidDeviceId: Invalid Device ID",
    # another ggml backend's identical message is not CANN's
    "ggml_backend_opencl_graph_compute: error: op not supported node_3 (SQRT)",
])
def test_look_alike_lines_do_not_fire(tmp_path, text):
    report = _diagnose(tmp_path, text)
    rules = {f.rule for f in report.findings}
    assert not rules & {"kb.environment.ray_collective_nccl_on_npu", "kb.serving.dcmi_library_not_found",
                        "kb.operator.ggml_cann_op_not_supported"}, rules
