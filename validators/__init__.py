"""Inspect and judge, never print: the environment probe, config checks, log diagnosis.

Pure core: no Textual, no Rich (``tests/test_boundaries.py`` proves it).
"""

__all__ = ["Finding", "Severity", "exit_code_for", "sort_findings"]


def __getattr__(name: str):
    # On first use: importing a light submodule (validators.text for `mindpilot --help`) must not
    # import pydantic through this package's __init__.
    if name in __all__:
        from mindpilot.validators import findings

        return getattr(findings, name)
    raise AttributeError(name)
