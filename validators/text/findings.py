"""A finding as a few lines of plain text: the one form the CLI, the live view and CI logs print."""

from __future__ import annotations

from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.text.columns import WIDTH, wrap

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
_LABEL = {
    "zh": {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"},
    "en": {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"},
}
FIX_LABEL = {"zh": "修复", "en": "fix"}
"""The word before a finding's fix."""


def place(finding: Finding) -> str:
    """``file:line`` (or ``file``) of a finding, empty when it has no file."""
    if not finding.file:
        return ""
    return f"{finding.file}:{finding.line}" if finding.line else finding.file


def format_finding(finding: Finding, lang: str, mark: str = "", width: int = WIDTH) -> str:
    """Title and detail wrapped to ``width`` columns, the fix kept whole; ``mark`` is appended to the title.

    Fix lines are often commands: they are not wrapped, so that copying them from the terminal gives
    one working command.
    """
    where = place(finding)
    head = f"{_MARK[finding.severity]} {_LABEL[lang if lang in _LABEL else 'en'][finding.severity]} " \
           f"[{finding.rule}] {where + ': ' if where else ''}{finding.title}{mark}"
    lines = wrap(head, "    ", width)
    if finding.detail:
        for part in finding.detail.splitlines():
            lines += wrap("    " + part, "    ", width)
    if finding.fix:
        fix_lines = finding.fix.splitlines()
        lines.append(f"    {FIX_LABEL['zh' if lang == 'zh' else 'en']}: {fix_lines[0]}")
        lines += ["      " + part for part in fix_lines[1:]]
    return "\n".join(lines)
