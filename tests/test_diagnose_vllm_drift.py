"""vLLM's interface drift and its neighbours (validators/data/kb/serving_vllm_drift.yaml): a message naming one of
vLLM's classes is said as the vLLM / plug-in version pair; a bare enum member, a composite model config and an ACL
graph replay error are said as likely; look-alike lines of other libraries stay with the rules that know them.

The lines are made up in the shapes the frameworks raise (vLLM classes, CPython's Enum, FSDP's device check,
vllm-ascend's config singleton, lm-eval's vLLM backend, torch_npu's graph replay).
"""

from __future__ import annotations

import pytest

from mindpilot.validators.kb.report import CONFIDENT, LIKELY
from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words, confidence", [
    ("AttributeError: 'ForwardContext' object has no attribute 'moe_comm_type'",
     "kb.serving.vllm_class_api_drift", ["ForwardContext", "vllm-ascend", "version"], CONFIDENT),
    ("TypeError: AscendMMEncoderAttention.__init__() missing 1 required positional argument: 'prefix'",
     "kb.serving.vllm_class_api_drift", ["AscendMMEncoderAttention", "vLLM"], CONFIDENT),
    ("TypeError: CPUOffloadingSpec.__init__() got an unexpected keyword argument 'kv_cache_config'",
     "kb.serving.vllm_class_api_drift", ["CPUOffloadingSpec", "version"], CONFIDENT),
    ("AttributeError: type object 'RequestStatus' has no attribute 'WAITING_FOR_REMOTE_KVS'",
     "kb.serving.vllm_class_api_drift", ["RequestStatus", "WAITING_FOR_REMOTE_KVS"], CONFIDENT),
    ("AttributeError: PREEMPTED_BY_PRIORITY", "kb.versions.enum_member_missing",
     ["PREEMPTED_BY_PRIORITY", "renamed"], LIKELY),
    ("RuntimeError: Ascend config is not initialized. Please call init_ascend_config first.",
     "kb.serving.ascend_config_not_initialized", ["AscendConfig"], CONFIDENT),
    ("AssertionError: Expects tensor to be on the compute device npu:6, was on npu:0",
     "kb.parallel.fsdp_tensor_on_other_card", ["npu:6", "npu:0", "ASCEND_RT_VISIBLE_DEVICES"], CONFIDENT),
    ("AttributeError: 'InternVLChatConfig' object has no attribute 'text_config'",
     "kb.versions.composite_config_text_attribute", ["InternVLChatConfig", "get_text_config"], LIKELY),
    ("RuntimeError: replay:torch_npu/csrc/core/npu/NPUGraph.cpp:301 NPU function error: "
     "c10_npu::acl::AclmdlRIExecuteAsync(model_ri_, stream), error code is 507899",
     "kb.serving.aclgraph_replay_failed", ["507899", "CANN"], LIKELY),
    ('  File "/opt/venv/lib/python3.10/site-packages/lm_eval/models/vllm_causallms.py", line 30, in <module>\n'
     "    from vllm.transformers_utils.tokenizer import get_tokenizer\n"
     "ImportError: cannot import name 'get_tokenizer' from 'vllm.transformers_utils.tokenizer' (/x/tokenizer.py)",
     "kb.versions.lm_eval_vllm_pair", ["get_tokenizer", "lm-eval"], CONFIDENT),
    ('  File "/usr/lib/python3.11/site-packages/vllm_omni/engine/stage.py", line 9, in <module>\n'
     "    from vllm.v1.engine.core_client import DPAsyncMPClient\n"
     "ImportError: cannot import name 'DPAsyncMPClient' from 'vllm.v1.engine.core_client' (/x/core_client.py)",
     "kb.serving.vllm_consumer_call_mismatch", ["vllm_omni", "DPAsyncMPClient", "not a pair"], CONFIDENT),
    ('  File "/opt/OpenRLHF/openrlhf/trainer/ray/vllm_engine.py", line 61, in __init__\n'
     "    self.llm = vllm.LLM(*args, **kwargs)\n"
     "TypeError: LLM.__init__() got an unexpected keyword argument 'enable_sleep_mode'",
     "kb.serving.vllm_consumer_call_mismatch", ["openrlhf", "enable_sleep_mode"], CONFIDENT),
])
def test_member_said_with_its_confidence(tmp_path, text, rule, words, confidence):
    report = diagnose_text(tmp_path, text)
    assert_root_cause_says(report, rule, words)
    assert report.root_cause.confidence == confidence


@pytest.mark.parametrize("text, rule", [
    # a class of another framework with a vLLM-like name, or a plain text-only config
    ("AttributeError: 'ModelConfig' object has no attribute 'hf_text_config'", "kb.serving.vllm_class_api_drift"),
    ("AttributeError: 'LlamaConfig' object has no attribute 'head_dim'", "kb.versions.composite_config_text_attribute"),
    # not an enum member: a lower-case name, a message with spaces
    ("AttributeError: shape", "kb.versions.enum_member_missing"),
    ("AttributeError: NPU DEVICE NOT FOUND", "kb.versions.enum_member_missing"),
    # FSDP's device check on CUDA, or on the CPU (an offload), is not a card of its own
    ("AssertionError: Expects tensor to be on the compute device npu:0, was on cpu", "kb.parallel.fsdp_tensor_on_other_card"),
    # an import from vLLM by another caller than lm-eval's vLLM backend
    ('  File "/w/app/serve.py", line 3, in <module>\n    from vllm.utils import FlexibleArgumentParser\n'
     "ImportError: cannot import name 'FlexibleArgumentParser' from 'vllm.utils' (/x/utils.py)",
     "kb.versions.lm_eval_vllm_pair"),
    # a framework's own trainer (not the module that drives vLLM) calling its own code
    ('  File "/opt/verl/verl/trainer/ppo/ray_trainer.py", line 90, in fit\n    self._save(step, tag)\n'
     "TypeError: RayPPOTrainer._save() takes 2 positional arguments but 3 were given",
     "kb.serving.vllm_consumer_call_mismatch"),
])
def test_look_alike_stays_quiet(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}
