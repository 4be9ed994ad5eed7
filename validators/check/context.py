"""What every rule needs: the card count and HBM to check against, the language, and where findings go."""

from __future__ import annotations

from typing import Any, Optional

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.findings import Finding, Severity


class CheckContext:
    """Settings of one ``check`` run plus the findings collected so far."""

    def __init__(self, cards: Optional[int] = None, hbm_gb: Optional[float] = None, skip_paths: bool = False,
                 lang: str = "en") -> None:
        self.cards = cards
        self.hbm_gb = hbm_gb
        self.skip_paths = skip_paths
        self.lang = lang
        self.findings: list[Finding] = []

    def add(self, rule: str, file: Optional[str] = None, line: Optional[int] = None,
            severity: Optional[Severity] = None, **params: Any) -> Finding:
        """Record the finding ``rule`` (texts from ``validators/data/rules/<family>.yaml``)."""
        extra = {"key": params["key"]} if params.get("key") is not None else None
        finding = make_finding(rule, self.lang, file=file, line=line, severity=severity, extra=extra, **params)
        self.findings.append(finding)
        return finding

    def rules(self) -> set[str]:
        return {finding.rule for finding in self.findings}
