"""A findings list with the selected finding's cause and fix below it (Environment, Check, Diagnose).

The fix is shown in a read-only text area so that it can be selected and copied even where the
terminal does not support the clipboard escape sequence (common over SSH).
"""

from __future__ import annotations

from typing import Optional, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, TextArea

from mindpilot.tui.core import short
from mindpilot.tui.labels import label
from mindpilot.validators.findings import Finding


class FindingsPanel(Vertical):
    """Table of findings (severity, rule, title) and the selected one's detail and fix."""

    DEFAULT_CSS = """
    FindingsPanel {
        height: 1fr;
        & > DataTable { height: 1fr; min-height: 3; }
        & > TextArea { height: 5; border: none; padding: 0 1; background: $boost; }
    }
    """

    def __init__(self, lang: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="findings-table")
        table.add_column(label("col_severity", self.lang), key="severity", width=5)
        table.add_column(label("col_rule", self.lang), key="rule", width=22)
        table.add_column(label("col_title", self.lang), key="title", width=44)
        yield table
        detail = TextArea(label("select_finding", self.lang), read_only=True, soft_wrap=True,
                          id="finding-detail", show_cursor=False)
        # Not in the Tab chain: Tab from the table goes to the step's path field, and letters
        # typed at a read-only text would otherwise fall through to the step keys.
        detail.can_focus = False
        yield detail

    def show(self, findings: Sequence[Finding]) -> None:
        """Replace the findings shown (in the order given; the core sorts them worst first)."""
        self.findings = list(findings)
        table = self.query_one(DataTable)
        table.clear()
        for index, finding in enumerate(self.findings):
            severity = label(f"sev_{finding.severity.value}", self.lang)
            table.add_row(severity, short(finding.rule, 22), finding.title, key=str(index))
        detail = self.query_one(TextArea)
        if self.findings:
            table.move_cursor(row=0)
            detail.load_text(self.describe(self.findings[0]))
        else:
            detail.load_text(label("no_findings", self.lang))

    def selected(self) -> Optional[Finding]:
        """The finding under the table cursor, if any."""
        table = self.query_one(DataTable)
        if not self.findings or table.cursor_row < 0 or table.cursor_row >= len(self.findings):
            return None
        return self.findings[table.cursor_row]

    def describe(self, finding: Finding) -> str:
        """Detail and fix of one finding as plain text."""
        where = ""
        if finding.file:
            where = f"{finding.file}:{finding.line}" if finding.line else finding.file
        # The fix comes right after the title: in a short panel it is what must stay visible.
        parts = [finding.title]
        if finding.fix:
            parts.append(f"{label('fix_label', self.lang)}: {finding.fix}")
        extra = finding.model_extra or {}
        if extra.get("rank") is not None:
            where += f" · rank {extra['rank']}"
        if (extra.get("count") or 1) > 1:
            where += f" ×{extra['count']}"
        parts.append(f"[{finding.rule}] {where}".rstrip())
        if finding.detail:
            parts.append(finding.detail)
        return "\n".join(parts)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        finding = self.selected()
        if finding is not None:
            self.query_one(TextArea).load_text(self.describe(finding))
