"""The MindSpore suites' dataset checks on real traceback shapes: the rule names the exception's own line, not
the source line a traceback quotes above it (which holds the same words with a format placeholder).

Kept apart from tests/test_diagnose_mindspore_suites.py, which holds each family's other members.
"""

from __future__ import annotations

from support import assert_root_cause_says, diagnose_text


def test_a_missing_listed_image_is_named_from_the_assert_not_its_source_line(tmp_path):
    report = diagnose_text(tmp_path, "\n".join([
        '    assert img is not None, "Image Not Found " + path',
        "AssertionError: Image Not Found /d/images/7.jpg",
    ]), name="train.log")
    assert_root_cause_says(report, "kb.data.yolo_image_unreadable", ["/d/images/7.jpg", "cache.npy"], with_fix=True)
    assert report.root_cause.line == 2


def test_the_no_labels_print_quoted_in_a_traceback_is_not_a_path(tmp_path):
    report = diagnose_text(tmp_path, "\n".join([
        '    print(f"WARNING: No labels found in {path}. See {self.help_url}")',
        "AttributeError: 'COCODataset' object has no attribute 'help_url'",
    ]), name="train.log")
    assert report.root_cause.rule == "kb.data.yolo_help_url_missing"
    assert "kb.data.yolo_no_labels" not in {finding.rule for finding in report.findings}
