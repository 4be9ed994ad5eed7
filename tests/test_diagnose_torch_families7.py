"""PyTorch-side families written from the frameworks' own messages (issue 17, seventh round): a dtype a TBE compute
API of the installed CANN rejects, a grouped Conv3D the installed CANN's kernel does not take, a C++ extension that
aborts on an impossible container size, non-finite values in the Hugging Face Trainer's log and DeepSpeed's fp16 loss
scale at its minimum, .numpy() on a device tensor, DeepSpeed's no_sync under ZeRO-2/3, an in-place change of a
leaf tensor, a nan in Megatron's iteration line, and a C++ thread that cannot start. Each rule reads
other members of its family and stays quiet on look-alike lines; the generic ones are said as "likely".

The fixtures of tests/data/logs/kb/ show one member each; these lines carry other values and wordings.
"""

from __future__ import annotations

from functools import partial

import pytest

from mindpilot.validators.kb.report import CONFIDENT, LIKELY
from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="train.log")


@pytest.mark.parametrize("text, rule, words, confidence", [
    ("  E90003: Compile operator failed\n  int64 of tbe.dsl.vmuls is not supported.\n  optype: [Muls]",
     "kb.operator.tbe_dsl_dtype_unsupported", ["int64", "vmuls"], CONFIDENT),
    ("[rank2]: RuntimeError: call aclnnConvolution failed, detail:EZ1001: [PID: 77] Conv3DV2 only support groups=1 "
     "or groups=cin", "kb.operator.conv3d_groups_unsupported", ["Conv3DV2", "groups"], CONFIDENT),
    ("terminate called after throwing an instance of 'std::length_error'\n  what():  vector::_M_default_append\n"
     "Aborted (core dumped)", "kb.environment.native_length_error_abort", ["vector::_M_default_append", "torch_npu"],
     LIKELY),
    ("Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n    import fused_ops\n"
     "RuntimeError: cannot create std::vector larger than max_size()", "kb.environment.native_length_error_abort",
     ["max_size()", "wheel"], LIKELY),
    ("ValueError: basic_string::_M_create", "kb.environment.native_length_error_abort", ["basic_string::_M_create"],
     LIKELY),
    ("{'loss': nan, 'grad_norm': 1.25, 'learning_rate': 2e-05, 'epoch': 1.0}", "kb.runtime.trainer_grad_norm_nan",
     ["nan", "overlap_comm"], LIKELY),
    ("[2025-01-01 00:00:00,000] [INFO] [loss_scaler.py:183:update_scale] [deepspeed] OVERFLOW! Rank 0 Skipping step.\n"
     "{'loss': 0.0, 'grad_norm': nan, 'learning_rate': 1e-05, 'epoch': 0.3}\n"
     "Exception: Current loss scale already at minimum - cannot decrease scale anymore. Exiting run.",
     "kb.runtime.deepspeed_loss_scale_at_minimum", ["bf16", "min_loss_scale"], CONFIDENT),
    ("TypeError: can't convert cuda:1 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory "
     "first.", "kb.runtime.device_tensor_to_numpy", ["detach().cpu().numpy()"], CONFIDENT),
    ("RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
     "kb.runtime.device_tensor_to_numpy", ["autograd"], CONFIDENT),
    ("[rank0]: AssertionError: no_sync context manager is incompatible with gradient partitioning logic of ZeRO stage 2",
     "kb.parallel.deepspeed_no_sync_with_zero", ["ZeRO-2", "gradient_accumulation_steps"], CONFIDENT),
    ("RuntimeError: a leaf Variable that requires grad has been moved into the graph interior",
     "kb.graph.leaf_tensor_changed_in_place", ["torch.no_grad()"], CONFIDENT),
    (" iteration       40/    200 | lm loss: 3.2E+00 | loss scale: 4096.0 | grad norm: inf | number of skipped "
     "iterations:   1 | number of nan iterations:   0 |", "kb.runtime.megatron_iteration_nan", ["inf", "--bf16"], LIKELY),
    # a C++ std::thread that cannot start aborts through the same terminate handler
    ("terminate called after throwing an instance of 'std::system_error'\n  what():  Resource temporarily unavailable",
     "kb.environment.thread_limit_reached", ["OMP_NUM_THREADS"], CONFIDENT),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words, confidence):
    report = _diagnose(tmp_path, text)
    assert_root_cause_says(report, rule, words, with_fix=True)
    assert report.root_cause.confidence == confidence


@pytest.mark.parametrize("text, rule", [
    # a dtype warning that is not the TBE compiler's check
    ("UserWarning: bfloat16 of this model is not supported by the CPU path; using float32",
     "kb.operator.tbe_dsl_dtype_unsupported"),
    # a 2D convolution's own constraint is another message
    ("RuntimeError: Conv2d only supports dilation = 1", "kb.operator.conv3d_groups_unsupported"),
    # other C++ exceptions' what() are not a length error
    ("terminate called after throwing an instance of 'std::runtime_error'\n  what():  Connection reset by peer",
     "kb.environment.native_length_error_abort"),
    # finite values, and the word nan inside another key
    ("{'loss': 0.8123, 'grad_norm': 0.4401, 'learning_rate': 1e-05, 'epoch': 2.0}", "kb.runtime.trainer_grad_norm_nan"),
    ("{'eval_loss': 0.91, 'eval_nan_count': 0}", "kb.runtime.trainer_grad_norm_nan"),
    # a skipped fp16 step is the loss scaler's normal work, not the failure
    ("[2025-01-01 00:00:00,000] [INFO] [loss_scaler.py:183:update_scale] [deepspeed] OVERFLOW! Rank 0 Skipping step. "
     "Attempted loss scale: 65536, reducing to 32768", "kb.runtime.deepspeed_loss_scale_at_minimum"),
    ("RuntimeError: can't convert np.ndarray of type numpy.object_.", "kb.runtime.device_tensor_to_numpy"),
    # DDP's own no_sync is fine; only DeepSpeed's assertion is the failure
    ("  File \"/x/torch/nn/parallel/distributed.py\", line 1400, in no_sync", "kb.parallel.deepspeed_no_sync_with_zero"),
    ("UserWarning: a leaf Variable was created inside no_grad mode", "kb.graph.leaf_tensor_changed_in_place"),
    # a healthy iteration line: finite values, no nan iterations
    (" iteration       50/    200 | lm loss: 2.9E+00 | loss scale: 4096.0 | grad norm: 1.204 | number of skipped "
     "iterations:   0 | number of nan iterations:   0 |", "kb.runtime.megatron_iteration_nan"),
    # EAGAIN of a non-blocking socket or file is not a thread limit
    ("BlockingIOError: [Errno 11] Resource temporarily unavailable", "kb.environment.thread_limit_reached"),
    ("terminate called after throwing an instance of 'std::runtime_error'\n  what():  Resource temporarily unavailable",
     "kb.environment.thread_limit_reached"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_a_specific_rule_on_the_dtype_line_outranks_the_compile_failed_code(tmp_path):
    """E90003 alone is a code's general meaning; the TBE reason under it names the cause and is the line shown."""
    report = _diagnose(tmp_path, "  E90003: Compile operator failed\n  float64 of tbe.dsl.vadd is not supported.")
    assert report.root_cause.rule == "kb.operator.tbe_dsl_dtype_unsupported"
    assert report.root_cause.line == 2
