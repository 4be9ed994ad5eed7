"""The keys of the screen on show, wrapped onto a second row rather than cut at the terminal's edge.

Textual's ``Footer`` lays its keys out on one row: at 80 columns the Launch step lost ``l`` and ``a``,
and in Chinese it ended mid-word ("b 上"). This footer packs whole ``key description`` pairs into
rows, never splitting a pair, and a click on a pair presses its key.
"""

from __future__ import annotations

from typing import Optional

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import Static

GAP = "  "
"""Between two key pairs."""


class KeyFooter(Static):
    """The active, shown bindings of the screen as ``key description`` pairs in as many rows as they need."""

    COMPONENT_CLASSES = {"key-footer--key"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.spots: list[tuple[int, int, int, str]] = []
        """``(row, first column, end column, key)`` of every pair as drawn (clicks find their key here)."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.redraw)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.redraw)

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def pairs(self) -> list[tuple[str, str, str]]:
        """``(key, key as shown, description)`` of each shown binding, once per action."""
        seen: set[str] = set()
        pairs = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            pairs.append((binding.key, self.app.get_key_display(binding), binding.description))
        return pairs

    def redraw(self) -> None:
        """Lay the pairs out at the current width."""
        width = max(self.content_region.width or self.app.size.width, 10)
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        text, self.spots = Text(), []
        row, column = 0, 0
        for key, shown, description in self.pairs():
            pair_width = cell_len(shown) + 1 + cell_len(description)
            if column and column + len(GAP) + pair_width > width:
                text.append("\n")
                row, column = row + 1, 0
            elif column:
                text.append(GAP)
                column += len(GAP)
            text.append(shown, style=key_style)
            text.append(" " + description)
            self.spots.append((row, column, column + pair_width, key))
            column += pair_width
        self.update(text)

    def key_at(self, x: int, y: int) -> Optional[str]:
        """The key of the pair drawn at content offset ``(x, y)``."""
        return next((key for row, start, end, key in self.spots if row == y and start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        key = self.key_at(offset.x, offset.y) if offset is not None else None
        if key is not None:
            event.stop()
            self.app.simulate_key(key)
