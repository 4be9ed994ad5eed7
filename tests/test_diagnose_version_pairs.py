"""A failing log whose plug-in and host releases are not a pair is told so, with the release that goes with it.

Made-up logs in the shapes users paste: vllm-ascend's environment report, pip freeze lines of torch and torch_npu.
And where nothing may be said: a matching pair (an rc with its final release, a .post build), a development build,
torch_npu releases not named after PyTorch, a log that shows only one side, a log that did not fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.pairs import load_version_pairs, packages_by_module, unpaired_in

FAILURE = ("Traceback (most recent call last):\n  File \"/home/me/serve.py\", line 3, in <module>\n    main()\n"
           "RuntimeError: something failed in a way no rule knows\n")


def _diagnose(tmp_path: Path, text: str, lang: str = "en"):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], lang)


def test_vllm_ascend_on_another_vllm_release_is_the_likely_root_cause(tmp_path):
    report = _diagnose(tmp_path, "vLLM Version: 0.9.2\nvLLM Ascend Version: 0.9.1rc1 (git sha: 1a2b)\n" + FAILURE)
    root, first = report.root_cause, report.findings[0]
    assert (root.rule, root.confidence, root.line) == ("diagnose.versions_unpaired", "likely", 6)
    assert "vLLM Ascend 0.9.1rc1 and vLLM 0.9.2 are not a pair" in first.title and "goes with vLLM 0.9.1" in first.title
    assert 'pip install "vllm==0.9.1"' in first.fix and "same number" in first.detail
    assert report.findings[1].rule == "diagnose.unknown_error"


def test_torch_npu_for_another_torch_in_chinese(tmp_path):
    report = _diagnose(tmp_path, "[pip3] torch==2.5.1\n[pip3] torch-npu==2.1.0.post10\n" + FAILURE, "zh")
    first = report.findings[0]
    assert first.rule == "diagnose.versions_unpaired" and "torch_npu 2.1.0.post10 对应 PyTorch 2.1.0" in first.title


def test_a_rule_that_names_the_cause_keeps_it_and_the_pair_follows(tmp_path):
    text = "torch 2.5.1\ntorch_npu 2.1.0\n" + FAILURE.replace(
        "RuntimeError: something failed in a way no rule knows",
        "ImportError: libascend_hal.so: cannot open shared object file: No such file or directory")
    report = _diagnose(tmp_path, text)
    assert report.root_cause.confidence == "confident" and report.findings[1].rule == "diagnose.versions_unpaired"


@pytest.mark.parametrize("head", [
    "vllm 0.9.1\nvllm-ascend 0.9.1rc1\n",  # an rc with its final release
    "vllm==0.10.1.1\nvllm_ascend==0.10.1rc1\n",  # a fourth number on the host
    "torch 2.5.1\ntorch-npu 2.5.1.post1\n",  # a .post build
    "torch 2.5.1\ntorch-npu 2.5.1.dev20250528\n",  # a development build: its number says nothing
    "vllm 0.9.2\nvllm-ascend 0.1.dev1+g1234\n",  # a source build without tags
    "torch 2.10.0\ntorch_npu 26.0.0\n",  # TorchNPU releases no longer named after PyTorch
    "vllm-ascend 0.9.1rc1\n",  # only one side shown
    "requires torch>=2.1.0\ntorch-npu 2.5.1\n",  # a requirement is not a release
])
def test_pairs_and_logs_that_say_nothing(head):
    assert unpaired_in((head + FAILURE).encode()) is None


def test_a_log_that_did_not_fail_says_nothing(tmp_path):
    report = _diagnose(tmp_path, "vllm 0.9.2\nvllm-ascend 0.9.1rc1\nINFO serving\n")
    assert report.root_cause is None and all(f.rule != "diagnose.versions_unpaired" for f in report.findings)


def test_every_pair_names_known_packages_with_a_source():
    packages = packages_by_module()
    for pair in load_version_pairs().pairs:
        assert pair.first in packages and pair.second in packages and pair.source and pair.same >= 1


def test_a_release_whose_own_requirements_the_other_release_misses(tmp_path):
    # MindFormers 1.8.0 requires MindSpore ~=2.7.2 (its METADATA and VERSION_MAP.json, in the version stacks).
    report = _diagnose(tmp_path, "mindformers 1.8.0\nmindspore 2.6.0\n" + FAILURE)
    first = report.findings[0]
    assert (report.root_cause.rule, report.root_cause.confidence) == ("diagnose.stack_unpaired", "likely")
    assert first.title == "MindFormers 1.8.0 requires MindSpore ~=2.7.2, and the log shows MindSpore 2.6.0"
    assert 'pip install "mindspore~=2.7.2"' in first.fix


@pytest.mark.parametrize("head", [
    "mindformers 1.8.0\nmindspore 2.7.2\n",  # what it requires
    "mindformers 1.8.0\n",  # the other side not shown
    "mindformers 0.0.1\nmindspore 2.6.0\n",  # a release no row knows
    "mindformers 1.8.0\nmindspore 2.8.0.dev20260101\n",  # a development build
])
def test_stack_requirements_that_are_met_or_cannot_be_judged(head):
    from mindpilot.validators.kb.pairs import stack_unpaired_in

    assert stack_unpaired_in((head + FAILURE).encode()) is None
