"""Precision of symptom lines (issue 17, seventh round, second half of the rule files): a line that a peer's failure,
a relayed child error or any of several set-up faults prints alike names no single cause, so its rule is said as
"likely" and a rule naming the cause on a nearby line can come first.

The lines are each framework's message with other values (made up, in the shape the raise site prints).
"""

from __future__ import annotations

from functools import partial

import pytest

from support import diagnose_text


_diagnose = partial(diagnose_text, name="job.log")


@pytest.mark.parametrize("text, rule", [
    # one or more per rule file touched: process_group_hccl, runtime, serving*, torch_core, torch_npu
    ("[rank0]:[E ProcessGroupHCCL.cpp:1500] [PG 0 Rank 0] ProcessGroupHCCL's watchdog got stuck for 480 seconds "
     "without making progress in monitoring enqueued collectives.", "kb.runtime.hccl_watchdog_stuck"),
    ("[ERROR] RUNTIME(901,python):2025-02-01-09:00:00.000.001 [device_error_proc.cc:1200]901 ProcessSdmaError:"
     "[EXEC][DEFAULT]The error from device(2), serial number is 4, there is a sdma error, sdma channel is 3",
     "kb.runtime.sdma_copy_fault"),
    ("ValueError: The number of required NPUs exceeds the total number of available NPUs in the placement group.",
     "kb.serving.ray_devices_short"),
    ("AttributeError: '_OpNamespace' '_C' object has no attribute 'rms_norm'", "kb.serving.vllm_ascend_cuda_op_called"),
    ("ValueError: Following weights were not initialized from checkpoint: {'lm_head.weight'}",
     "kb.serving.weights_left_uninitialized"),
    ("[ERROR] LLMPythonModel initializes fail", "kb.serving.mindie_python_model_init_failed"),
    ("RuntimeError: Ascend Transfer Engine initialization failed", "kb.serving.sglang_ascend_transfer_init_failed"),
    ("ValueError: Unrecognized configuration class <class 'transformers_modules.chatglm3.ChatGLMConfig'> for this "
     "kind of AutoModel: AutoModelForCausalLM.", "kb.weights.auto_class_unrecognized"),
    ("RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn",
     "kb.graph.loss_has_no_grad_fn"),
    ("RuntimeError: No NPUs are available", "kb.environment.no_npu_available"),
    ("RuntimeError: Mooncake initialization failed with ret_value: -1", "kb.serving.mooncake_init_failed"),
    ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded "
     "with url: /v1/models (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] "
     "Connection refused'))", "kb.serving.server_not_listening"),
    ("ERROR llm_datadist: pull kv failed, LLM_KV_CACHE_NOT_EXIST", "kb.serving.pd_kv_not_on_prefill"),
    ("RuntimeError: Worker 1 could not connect to master at 10.0.0.5:29550 after 10 retries",
     "kb.serving.vllm_ms_dp_master_unreachable"),
    # torch_core.yaml, torch_npu.yaml
    ("RuntimeError: Timed out initializing process group in store based barrier on rank: 0, for key: "
     "store_based_barrier_key:1 (world_size=16, worker_count=8, timeout=0:30:00)", "kb.launch.store_barrier_timeout"),
    ("torch.distributed.elastic.rendezvous.api.RendezvousConnectionError: The connection to the C10d store has "
     "failed. See inner exception for details.", "kb.launch.rendezvous_store_unreachable"),
    ("RuntimeError: probability tensor contains either `inf`, `nan` or element < 0",
     "kb.runtime.sampling_probs_nan"),
    ("torch.distributed.elastic.multiprocessing.api:[WARNING] Signal 9 (SIGKILL) received by PID 4411",
     "kb.launch.torchrun_worker_sigkill"),
])
def test_a_symptom_line_is_said_as_likely(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == rule, [f.rule for f in report.findings]
    assert report.root_cause.confidence == "likely"
