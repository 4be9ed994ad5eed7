"""``ScreenHarness``: one step screen in a bare app, for Pilot tests and one snapshot per screen."""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen

from mindpilot.datafiles import package_path


class ScreenHarness(App[None]):
    """Pushes one screen and nothing else (no modes, no session wiring)."""

    CSS_PATH = str(package_path("tui", "app.tcss"))

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


async def settle(pilot, rounds: int = 20) -> None:
    """Wait until no worker runs, including workers that finishing workers started (bounded)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return


def screen_lines(app) -> list[str]:
    """The terminal as the user sees it: one string per row (what tmux's capture-pane would print)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def squeezed(text: str) -> str:
    """``text`` without whitespace: wrapped text compares equal to the unwrapped original."""
    return "".join(text.split())


def region_text(app, widget) -> str:
    """The rows of the screen that ``widget``'s content covers (inside border and scrollbar), cut to its columns."""
    region = widget.content_region
    rows = screen_lines(app)[region.y:region.y + region.height]
    return "\n".join(row[region.x:region.x + region.width] for row in rows)
