"""A failing log that shows a chip its stack does not support is told so, with the chips and releases that are.

Made-up logs in the shapes users paste: npu-smi's table, CANN's soc_version in a message, a pip list or none.
And where nothing may be said: a release the matrix does not know for that chip, a line that lists many chips,
a CANN kernel folder, a log that did not fail, a stack the matrix does not know.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from mindpilot.launch.router import analyse
from mindpilot.validators.kb.frames import load_framework_code
from mindpilot.validators.kb.support import (SUPPORTED, UNSUPPORTED, ChipSupport, chip_in, load_support_matrix,
                                             verdict)

SITE = "/usr/local/python3.10/lib/python3.10/site-packages"
NPU_SMI = ("+===========================+===============+====================================================+\n"
           "| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|\n"
           "| 0     {chip}             | OK            | 70.0        34                0    / 0             |\n"
           "+===========================+===============+====================================================+\n")
FAILURE = ("Traceback (most recent call last):\n"
           f'  File "{SITE}/vllm_ascend/worker/worker.py", line 120, in init_device\n'
           "    self.init_ops()\n"
           "RuntimeError: call aclnnSwiGlu failed, detail:EZ9999\n")


def _diagnose(tmp_path: Path, text: str, lang: str = "en"):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    return analyse([str(log)], lang)


def test_vllm_ascend_on_a_first_generation_910_is_the_likely_root_cause(tmp_path):
    report = _diagnose(tmp_path, NPU_SMI.format(chip="910ProB") + FAILURE)
    root, first = report.root_cause, report.findings[0]
    assert (root.rule, root.confidence) == ("diagnose.chip_unsupported", "likely")
    assert first.rule == root.rule and first.line == root.line == 8  # the failure stays the key line
    assert "vLLM Ascend does not support this chip" in first.title and "first-generation Ascend 910" in first.title
    assert "Line 3 of the log shows the job runs on 910ProB" in first.detail and "any release" in first.detail
    assert "Ascend 910B" in first.detail and "no plan yet" in first.detail
    assert report.findings[1].rule == "diagnose.unknown_error"  # the error itself is still listed


def test_chinese_text_and_a_release_that_lacks_the_chip(tmp_path):
    text = "vllm-ascend        0.9.1\n" + NPU_SMI.format(chip="310P3") + FAILURE
    first = _diagnose(tmp_path, text, "zh").findings[0]
    assert first.rule == "diagnose.chip_unsupported" and "vLLM Ascend 0.9.1 不支持这块芯片" in first.title
    assert "0.10.1rc1" in first.fix and "-310p" in first.detail  # the releases that do, and the image to use


def test_nothing_is_said_when_the_release_supports_the_chip(tmp_path):
    report = _diagnose(tmp_path, "vllm-ascend        0.10.0rc1\n" + NPU_SMI.format(chip="310P3") + FAILURE)
    assert all(not finding.rule.startswith("diagnose.chip_") for finding in report.findings)


def test_with_no_release_shown_the_releases_that_support_the_chip_follow_the_root_cause(tmp_path):
    report = _diagnose(tmp_path, NPU_SMI.format(chip="310P3") + FAILURE)
    assert report.root_cause.rule == "diagnose.unknown_error"  # nothing known about this run's release
    depends = report.findings[1]
    assert depends.rule == "diagnose.chip_support_depends" and depends.line == 3
    assert "only some vLLM Ascend releases support this chip" in depends.title and ">=0.14.0rc1" in depends.title


def test_a_rule_that_names_the_cause_keeps_it_and_the_chip_follows(tmp_path):
    text = NPU_SMI.format(chip="910ProB") + FAILURE.replace(
        "RuntimeError: call aclnnSwiGlu failed, detail:EZ9999",
        "ImportError: libascend_hal.so: cannot open shared object file: No such file or directory")
    report = _diagnose(tmp_path, text)
    assert report.root_cause.rule.startswith("kb.") and report.root_cause.confidence == "confident"
    assert report.findings[1].rule == "diagnose.chip_unsupported"


@pytest.mark.parametrize("text, module", [
    ("[2025-01-01] sglang server start\n" + "E: device Ascend310P3 selected\n", "sglang"),
    ("INFO mindspeed.patch_utils applied\n" + NPU_SMI.format(chip="910A   "), "mindspeed"),
    ("import torch_npu\nsoc_version: Ascend310B4\n", "torch_npu"),
])
def test_other_stacks_on_chips_their_documentation_leaves_out(tmp_path, text, module):
    report = _diagnose(tmp_path, text + "Traceback (most recent call last):\n  File \"/x/y.py\", line 1, in f\n"
                                         "    g()\nKeyError: 'w'\n")
    first = report.findings[0]
    assert first.rule == "diagnose.chip_unsupported" and getattr(first, "stack") == module


@pytest.mark.parametrize("text", [
    "SOC_VERSION Ascend950 does not support, the support list is Ascend910B1 Ascend310P3\n",  # a list of chips
    "/usr/local/Ascend/ascend-toolkit/latest/opp/built-in/op_impl/ai_core/tbe/kernel/ascend310p/x.json\n",
    "step:[910/10000] loss 2.310 at 12:09:10.310\n",
    "this operator only supports Ascend910 and Ascend310\n",  # the family, not the chip it ran on
])
def test_lines_that_name_no_chip_in_particular(text):
    assert chip_in(text.encode()) is None


def test_the_chip_s_line_is_counted_from_the_region_start():
    seen = chip_in(b"a\nb\n| 0     910B4               | OK |\n", first_line=10)
    assert (seen.chip.id, seen.written, seen.line) == ("910b", "910B4", 12)


def test_a_log_that_did_not_fail_or_a_stack_the_matrix_lacks_says_nothing(tmp_path):
    report = _diagnose(tmp_path, "vllm-ascend 0.7.3\n" + NPU_SMI.format(chip="910ProB") + "INFO all done\n")
    assert report.root_cause is None and all(f.rule != "diagnose.chip_unsupported" for f in report.findings)
    report = _diagnose(tmp_path, NPU_SMI.format(chip="910ProB") + FAILURE.replace("vllm_ascend", "mylib"))
    assert all(finding.rule != "diagnose.chip_unsupported" for finding in report.findings)


@pytest.mark.parametrize("entry, version, expected", [
    (ChipSupport(chip="x", supported=[""]), None, SUPPORTED),
    (ChipSupport(chip="x", unsupported=[""]), "1.0", UNSUPPORTED),
    (ChipSupport(chip="x", supported=[">=0.14.0rc1"], unsupported=["<0.9.1rc1"]), "0.12.0", None),
    (ChipSupport(chip="x", supported=[">=0.14.0rc1"], unsupported=["<0.9.1rc1"]), "0.14.0", SUPPORTED),
    (ChipSupport(chip="x", supported=[">=0.14.0rc1"], unsupported=["<0.9.1rc1"]), "0.8.5rc1", UNSUPPORTED),
    (ChipSupport(chip="x", supported=[">=0.14.0rc1"]), None, None),
    (ChipSupport(chip="x", supported=[">=0.14.0rc1"]), "not-a-version", None),
])
def test_verdict_reads_release_ranges(entry, version, expected):
    assert verdict(entry, version) == expected


def test_the_matrix_names_known_stacks_and_chips_with_valid_ranges_and_sources():
    matrix = load_support_matrix()
    chips = {chip.id for chip in matrix.chips}
    modules = {package.module for package in load_framework_code().packages}
    for stack in matrix.stacks:
        assert stack.module in modules and stack.source and stack.seen
        for entry in stack.chips:
            assert entry.chip in chips
            for spec in entry.supported + entry.unsupported:
                SpecifierSet(spec)  # raises on a malformed range
    assert all(chip.source and chip.literals for chip in matrix.chips)
