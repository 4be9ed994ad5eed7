"""An exception no rule knows, raised by a framework's own line, is named as a likely defect of that release.

Made-up tracebacks of each shape: a site-packages path, an editable checkout, torchrun's rank prefixes, vLLM's
logger prefixes, a frame of PyTorch between the framework's line and the exception; the version read from a
pip list, pip show or a banner. And the cases where it must not: a rule that knows the error keeps the root
cause, a framework's deliberate ``raise`` of a checked input, an installed library that is not a framework,
a value error; the job's own script is named as such, still unsure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.frames import owner_of, version_in, load_framework_code

SITE = "/usr/local/python3.10/lib/python3.10/site-packages"


def _diagnose(tmp_path: Path, text: str, lang: str = "en"):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], lang)


def _traceback(*frames: tuple, prefix: str = "") -> str:
    lines = [f"{prefix}Traceback (most recent call last):"]
    for path, line, func, code in frames:
        lines += [f'{prefix}  File "{path}", line {line}, in {func}', f"{prefix}    {code}"]
    return "\n".join(lines) + "\n"


SERVE = ("/home/me/serve.py", 12, "<module>", "main()")
VLLM_ASCEND = (f"{SITE}/vllm_ascend/attention/attention_v1.py", 210, "build",
               "block_table = self.runner.input_batch.block_table[0].get_device_tensor()")


def test_an_unbound_local_inside_vllm_ascend_is_a_likely_defect_of_its_release(tmp_path):
    report = _diagnose(tmp_path, "vllm-ascend          0.9.1rc1\n" + _traceback(SERVE, VLLM_ASCEND)
                       + "UnboundLocalError: local variable 'query_start_loc' referenced before assignment\n")
    root, first = report.root_cause, report.findings[0]
    assert (root.rule, root.confidence, root.line) == ("diagnose.framework_defect", "likely", 7)
    assert first.rule == root.rule and first.line == 7 and first.confidence == "likely"
    assert "vLLM Ascend" in first.title and "build" in first.title and "0.9.1rc1" in first.title
    assert "vllm_ascend/attention/attention_v1.py:210" in first.detail and "before it was assigned" in first.detail
    assert "issues and release notes" in first.fix and "pip list" in first.fix
    assert getattr(first, "package") == "vllm_ascend" and getattr(first, "version") == "0.9.1rc1"
    assert "UnboundLocalError" in getattr(first, "text")  # the key line stays the exception line


def test_chinese_texts_name_the_package_and_the_unshown_release(tmp_path):
    report = _diagnose(tmp_path, _traceback(SERVE, VLLM_ASCEND) + "NameError: name 'npu_ops' is not defined\n", "zh")
    first = report.findings[0]
    assert first.rule == "diagnose.framework_defect" and "vLLM Ascend 自己的代码" in first.title
    assert "python -m pip show vllm-ascend" in first.detail  # the log names no release: how to see it


@pytest.mark.parametrize("path, module, inner", [
    ("/workspace/vllm-ascend/vllm_ascend/worker/model_runner_v1.py", "vllm_ascend", "vllm_ascend/worker/model_runner_v1.py"),
    ("/root/LLaMA-Factory/src/llamafactory/train/sft/workflow.py", "llamafactory", "llamafactory/train/sft/workflow.py"),
    ("/home/ma-user/MindSpeed-LLM/mindspeed_llm/training/utils.py", "mindspeed_llm", "mindspeed_llm/training/utils.py"),
    (f"{SITE}/swift/llm/train/sft.py", "swift", "swift/llm/train/sft.py"),
    ("/__w/vllm-ascend/vllm-ascend/vllm-empty/vllm/_custom_ops.py", "vllm", "vllm/_custom_ops.py"),
    (f"{SITE}/vllm_ascend-0.9.1-py3.10.egg/vllm_ascend/x.py", "vllm_ascend", "vllm_ascend/x.py"),
    ("/opt/conda/lib/python3.9/dist-packages/mindformers/trainer/base_trainer.py", "mindformers",
     "mindformers/trainer/base_trainer.py"),
])
def test_site_packages_and_editable_checkouts_are_the_framework_s_code(path, module, inner):
    owner = owner_of(path)
    assert owner.kind == "framework" and owner.package.module == module and owner.inner == inner


@pytest.mark.parametrize("path, kind", [
    ("/home/user/mindformers/run_mindformer_mine.py", "user"),  # a folder named like it, not its package
    ("/home/user/transformers/my_script.py", "user"),
    ("/home/me/train.py", "user"),
    (f"{SITE}/torch/nn/modules/module.py", "runtime"),
    (f"{SITE}/mindspore/_checkparam.py", "runtime"),
    ("/usr/lib/python3.10/functools.py", "runtime"),
    ("<frozen importlib._bootstrap>", "runtime"),
    (f"{SITE}/datasets/arrow_dataset.py", "library"),
    ("/root/.cache/huggingface/modules/transformers_modules/Qwen-7B/modeling_qwen.py", "library"),  # remote code
])
def test_other_code_is_the_user_s_a_runtime_s_or_another_library_s(path, kind):
    assert owner_of(path).kind == kind


@pytest.mark.usefixtures("no_rules")  # the operator rules read PyTorch's shape messages: the engine alone
def test_a_torch_frame_below_the_framework_s_line_passes_the_blame_up(tmp_path):
    frames = (SERVE, (f"{SITE}/vllm_ascend/ops/rotary_embedding.py", 88, "rope_forward_oot", "q = q * cos"),
              (f"{SITE}/torch/_tensor.py", 40, "wrapped", "return f(*args, **kwargs)"))
    text = ("[rank0]: INFO vllm_ascend version: 0.10.0rc1\n" + _traceback(*frames, prefix="[rank0]: ")
            + "[rank0]: RuntimeError: The size of tensor a (64) must match the size of tensor b (128) at "
              "non-singleton dimension 3\n")
    report = _diagnose(tmp_path, text)
    first = report.findings[0]
    assert first.rule == "diagnose.framework_defect" and report.root_cause.rank == 0
    assert "rope_forward_oot" in first.title and "0.10.0rc1" in first.title
    assert "vllm_ascend/ops/rotary_embedding.py:88" in first.detail


def test_vllm_logger_prefixes_and_another_rank_s_lines_in_between(tmp_path):
    head = "(VllmWorker rank=1 pid=9) ERROR 01-02 10:00:00 [multiproc_executor.py:470] "
    other = "(VllmWorker rank=0 pid=8) ERROR 01-02 10:00:00 [multiproc_executor.py:470] "
    text = (_traceback(SERVE, prefix=head) + f"{other}  File \"/home/me/other.py\", line 3, in f\n"
            + _traceback((f"{SITE}/sglang/srt/layers/x.py", 5, "forward", "return self.w.shape"), prefix=head)
            .split("\n", 1)[1]
            + f"{head}AttributeError: 'NoneType' object has no attribute 'shape'\n")
    first = _diagnose(tmp_path, text).findings[0]
    assert first.rule == "diagnose.framework_defect" and "SGLang" in first.title and "forward" in first.title


def test_a_specific_rule_still_names_the_cause(tmp_path):
    # kb.environment.torch_npu_name_not_imported knows this NameError, wherever it is raised.
    text = _traceback(SERVE, (f"{SITE}/sglang/srt/hardware_backend/npu/utils.py", 30, "npu_format_cast",
                              "return torch_npu.npu_format_cast(x, 29)")) + "NameError: name 'torch_npu' is not defined\n"
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule.startswith("kb.") and report.root_cause.rule != "diagnose.framework_defect"
    assert all(finding.rule != "diagnose.framework_defect" for finding in report.findings)


def test_a_catch_all_rule_on_the_exception_keeps_the_root_cause(tmp_path):
    # kb.versions.call_signature_mismatch (generic) explains a call that does not fit its function.
    frame = (f"{SITE}/peft/tuners/lora/model.py", 40, "_create_new_module", "return target_cls(**kwargs)")
    text = _traceback(SERVE, frame) + "TypeError: __init__() got an unexpected keyword argument 'use_dora'\n"
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule == "kb.versions.call_signature_mismatch"


@pytest.mark.parametrize("frame, error", [
    # The framework checked its input on purpose: the message says what is wrong.
    ((f"{SITE}/vllm_ascend/ops/registry.py", 90, "pick_kernel",
      "raise KeyError(f'unknown kernel {name}')"), "KeyError: 'w4a4_flat'"),
    # An installed library that is not a framework: nobody to name.
    ((f"{SITE}/datasets/arrow_dataset.py", 10, "__getitem__", "return self._data[key]"), "KeyError: 'prompt'"),
    # Not a programming error: a value the framework refuses.
    ((f"{SITE}/vllm_ascend/worker/worker.py", 10, "init", "check(x)"), "ValueError: bad block size 17"),
    # Another package's module lacks a name: a pair of versions that do not match, not this code's defect.
    ((f"{SITE}/vllm_ascend/attention.py", 845, "forward", "torch_npu._npu_flash_attention("),
     "AttributeError: module 'torch_npu' has no attribute '_npu_flash_attention'"),
    # An assert that carries another failure's error: that error is the cause.
    ((f"{SITE}/sglang/srt/entrypoints/http_server.py", 1566, "_execute_server_warmup",
      'assert res.status_code == 200, f"{res.text}"'),
     'AssertionError: {"object":"error","message":"Internal server error: NPU function error: call aclnnX failed"}'),
    # The shape message of an embedding lookup (a token id past the vocabulary) is not a shape mismatch.
    ((f"{SITE}/transformers/models/llama/modeling_llama.py", 10, "forward", "x = self.embed(ids)"),
     "IndexError: index out of range in self"),
])
def test_no_defect_is_claimed_for_checked_inputs_other_libraries_or_other_errors(tmp_path, frame, error):
    report = _diagnose(tmp_path, _traceback(SERVE, frame) + error + "\n")
    assert report.root_cause.rule != "diagnose.framework_defect"  # unsure, or a rule that knows the message
    assert all(finding.rule != "diagnose.framework_defect" for finding in report.findings)
    assert "job's own code" not in report.findings[0].detail


@pytest.mark.usefixtures("no_rules")  # the version rules read every "module has no attribute": the engine alone
def test_the_framework_s_own_module_lacking_a_name_and_a_plain_assert_are_defects(tmp_path):
    frame = (f"{SITE}/mindformers/trainer/utils.py", 50, "init_device", "if core.X:")
    report = _diagnose(tmp_path, _traceback(SERVE, frame)
                       + "AttributeError: module 'mindformers.core' has no attribute 'X'\n")
    assert report.root_cause.rule == "diagnose.framework_defect"
    report = _diagnose(tmp_path, _traceback(SERVE, frame)
                       + "AttributeError: module 'torch_npu' has no attribute 'X'\n")
    assert report.root_cause.rule == "diagnose.unknown_error"  # another package's module: a version pair
    frame = (f"{SITE}/mindformers/models/utils.py", 9, "check_layers", "assert num_layers % pp == 0")
    report = _diagnose(tmp_path, _traceback(SERVE, frame) + "AssertionError\n")
    assert report.root_cause.rule == "diagnose.framework_defect" and "MindFormers" in report.findings[0].title


@pytest.mark.parametrize("code, words", [
    ("raise ValueError(f'bad block size {n}')", "own check raised it on purpose, in init at vllm_ascend/worker/worker.py:10"),
    ("check(x)", "raised inside vLLM Ascend's code, in init at vllm_ascend/worker/worker.py:10"),
])
def test_a_framework_s_check_or_code_is_named_in_the_unsure_finding(tmp_path, code, words):
    frame = (f"{SITE}/vllm_ascend/worker/worker.py", 10, "init", code)
    report = _diagnose(tmp_path, "vllm_ascend==0.9.0\n" + _traceback(SERVE, frame) + "ValueError: bad block size 17\n")
    first = report.findings[0]
    assert first.rule == "diagnose.unknown_error" and report.root_cause.confidence == "unsure"
    assert words in first.detail and "The log shows vLLM Ascend 0.9.0." in first.detail


def test_the_user_s_own_script_is_named_and_stays_unsure(tmp_path):
    frames = (SERVE, ("/home/me/model.py", 10, "forward", "return self.proj(x.hidden)"))
    report = _diagnose(tmp_path, _traceback(*frames) + "AttributeError: 'NoneType' object has no attribute 'hidden'\n")
    first = report.findings[0]
    assert report.root_cause.rule == "diagnose.unknown_error" and report.root_cause.confidence == "unsure"
    assert "most likely in the job's own code (or a framework's source folder): /home/me/model.py:10, in forward" \
        in first.detail


def test_an_exception_without_a_traceback_changes_nothing(tmp_path):
    report = _diagnose(tmp_path, "some output\nKeyError: 'layers'\n")
    assert report.root_cause.rule == "diagnose.unknown_error" and "code" not in report.findings[0].detail


@pytest.mark.parametrize("text, version", [
    ("Package            Version\n------------------ ---------\nvllm-ascend        0.9.2rc1\n", "0.9.2rc1"),
    ("vllm_ascend==0.10.0\n", "0.10.0"),
    ("Name: vllm-ascend\nVersion: 0.8.5rc1\nSummary: x\n", "0.8.5rc1"),
    ("INFO 01-02 [__init__.py:30] vllm_ascend version: 0.9.0 \n", "0.9.0"),
    ("vLLM Version: 0.9.1\nvLLM Ascend Version: 0.9.1rc1 (git sha: 1a2b3c)\n", "0.9.1rc1"),  # collect_env
    ("[pip3] torch-npu==2.5.1\n[pip3] vllm_ascend==0.9.2rc1\n", "0.9.2rc1"),
    (f'File "{SITE}/vllm_ascend/x.py", line 3\nmy-vllm-ascend 1.0\n', None),  # a path and a longer name
])
def test_the_release_is_read_from_pip_lines_and_banners(text, version):
    package = next(entry for entry in load_framework_code().packages if entry.module == "vllm_ascend")
    assert version_in(text.encode(), package) == version


@pytest.mark.parametrize("first, last", [(1, 3), (1, 900), (5, 904), (1, 1000), (1, 1003), (7, 7)])
def test_the_lines_up_to_the_key_line_are_the_same_read_from_either_end(first, last):
    from mindpilot.launch.defect import _lines_up_to

    data = "".join(f"line {number}\n" for number in range(first, first + 1000)).encode()
    lines, begin = _lines_up_to(data, first, last)
    wanted = list(range(max(first, last - 403), min(last, first + 999) + 1))
    assert begin == wanted[0] and lines[:len(wanted)] == [f"line {number}" for number in wanted]
    assert _lines_up_to(b"a\nb\n", 1, 900) == ([], 497)  # past the end: nothing


def test_every_framework_entry_has_a_source_and_unique_module():
    code = load_framework_code()
    modules = [entry.module for entry in code.packages]
    assert len(modules) == len(set(modules)) and all(entry.source and entry.dists for entry in code.packages)
    assert all(entry.source for entry in code.runtimes + code.exceptions)


PIECES = ["Traceback (most recent call last):\n", '  File "', f"{SITE}/vllm_ascend/", "/home/me/x.py", '", line ',
          "12", ", in ", "f\n", "    x = y\n", "    raise E\n", "KeyError: 'a'\n", "NameError: name 'q'\n", "[rank0]: ",
          "vllm-ascend 0.9.1\n", "Name: vllm-ascend\nVersion: ", "910ProB", "Ascend310P3 ", "\n", "^^^^\n",
          "During handling of the above exception, another exception occurred:\n", "\x00\xff", "é"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(parts=st.lists(st.sampled_from(PIECES), max_size=60))
def test_any_mix_of_traceback_pieces_is_read_without_an_error(tmp_path_factory, parts):
    from mindpilot.validators.kb.frames import culprit, exception_of, traceback_above
    from mindpilot.validators.kb.pairs import stack_unpaired_in, unpaired_in
    from mindpilot.validators.kb.support import chip_in

    text = "".join(parts)
    lines = text.split("\n")
    culprit(traceback_above(lines, None))
    for line in lines:
        exception_of(line)
    data = text.encode("utf-8", "surrogateescape")
    chip_in(data), unpaired_in(data), stack_unpaired_in(data)
    log = tmp_path_factory.mktemp("fuzz") / "job.log"
    log.write_bytes(data + b"\nRuntimeError: end\n")
    report = analyse([str(log)], "en")
    assert report.root_cause is not None
