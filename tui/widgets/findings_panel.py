"""A findings list with the selected finding's cause and fix below it (Environment, Check, Diagnose).

The fix is shown as plain, mouse-selectable text (and ``c`` copies it), so that it can be copied
even where the terminal does not support the clipboard escape sequence (common over SSH). When the
details are taller than their box, its last row says so (more below / above, the wheel scrolls, ``c``
copies the fix) in either language: a long Chinese fix otherwise ends below the fold unseen.
"""

from __future__ import annotations

from typing import Optional, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from mindpilot.tui.labels import label
from mindpilot.validators.findings import Finding
from mindpilot.validators.text.columns import short
from mindpilot.validators.text.findings import place
from mindpilot.terminal_text import visible


DETAIL_ROWS = 5
"""Rows under the table for the details; the last one becomes the "more" hint when they do not fit."""


class FindingsPanel(Vertical):
    """Table of findings (severity, rule, title) and the selected one's detail and fix."""

    DEFAULT_CSS = """
    FindingsPanel {
        height: 1fr;
        & > DataTable { height: 1fr; min-height: 3; }
        & > VerticalScroll { height: 5; padding: 0 1; background: $boost; scrollbar-size-vertical: 1; }
        & > #finding-more { display: none; height: 1; padding: 0 1; background: $boost; color: $text-muted;
                            text-align: right; }
        &.-more > VerticalScroll { height: 4; }
        &.-more > #finding-more { display: block; }
    }
    """

    def __init__(self, lang: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.findings: list[Finding] = []
        self.detail_text = label("select_finding", lang)
        """The text under the table: the selected finding's title, fix, place and cause."""

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="findings-table")
        table.add_column(label("col_severity", self.lang), key="severity", width=5)
        table.add_column(label("col_rule", self.lang), key="rule", width=22)
        table.add_column(label("col_title", self.lang), key="title", width=44)
        yield table
        # Not focusable: Tab from the table goes on to the step's path field.
        with VerticalScroll(id="finding-scroll", can_focus=False):
            yield Static(self.detail_text, id="finding-detail", markup=False)
        yield Static("", id="finding-more", markup=False)

    def on_mount(self) -> None:
        self.watch(self.query_one("#finding-scroll", VerticalScroll), "scroll_y", self._hint_more, init=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self._hint_more)

    def show(self, findings: Sequence[Finding]) -> None:
        """Replace the findings shown (in the order given; the core sorts them worst first)."""
        self.findings = list(findings)
        table = self.query_one(DataTable)
        table.clear()
        for index, finding in enumerate(self.findings):
            severity = label(f"sev_{finding.severity.value}", self.lang)
            table.add_row(severity, short(visible(finding.rule), 22), short(visible(finding.title), 44), key=str(index))
        if self.findings:
            table.move_cursor(row=0)
            self._detail(self.describe(self.findings[0]))
        else:
            self._detail(label("no_findings", self.lang))

    def _detail(self, text: str) -> None:
        text = visible(text)
        self.detail_text = text
        self.query_one("#finding-detail", Static).update(text)
        self.query_one("#finding-scroll", VerticalScroll).scroll_home(animate=False)
        self.call_after_refresh(self._hint_more)

    def _hint_more(self) -> None:
        """Show the "more" row while the details are taller than their box, saying where the rest is."""
        scroll = self.query_one("#finding-scroll", VerticalScroll)
        more = self.query_one("#finding-detail", Static).outer_size.height > DETAIL_ROWS
        self.set_class(more, "-more")
        if not more:
            return
        hint = label("detail_more_above" if scroll.scroll_y >= scroll.max_scroll_y > 0 else "detail_more_below",
                     self.lang)
        finding = self.selected()
        if finding is not None and finding.fix:
            hint += label("detail_copy_fix", self.lang)
        self.query_one("#finding-more", Static).update(hint)

    def selected(self) -> Optional[Finding]:
        """The finding under the table cursor, if any."""
        table = self.query_one(DataTable)
        if not self.findings or table.cursor_row < 0 or table.cursor_row >= len(self.findings):
            return None
        return self.findings[table.cursor_row]

    def describe(self, finding: Finding) -> str:
        """Title, fix, rule and place, and cause of one finding as plain text."""
        where = place(finding)
        # The fix comes right after the title: in a short panel it is what must stay visible.
        parts = [finding.title]
        if finding.fix:
            # zh: a full-width colon and no space, so that wrapping never leaves "修复：" alone on its row
            parts.append(f"{label('fix_label', self.lang)}{'：' if self.lang == 'zh' else ': '}{finding.fix}")
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
            self._detail(self.describe(finding))
