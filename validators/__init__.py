"""Inspect and judge, never print: the environment probe, config checks, log diagnosis.

Pure core: no Textual, no Rich (``tests/test_boundaries.py`` proves it).
"""

from mindpilot.validators.findings import Finding, Severity, exit_code_for, sort_findings

__all__ = ["Finding", "Severity", "exit_code_for", "sort_findings"]
