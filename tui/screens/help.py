"""The ``?`` screen: the keys, and the CLI command behind each step."""

from __future__ import annotations

import shlex
from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mindpilot.tui.labels import label
from mindpilot.tui import steps


class HelpScreen(ModalScreen[None]):
    """Keys and CLI equivalents; Esc, ``?`` or ``q`` closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", show=False),
        Binding("question_mark", "dismiss", show=False),
        Binding("q", "dismiss", show=False),
    ]

    def __init__(self, lang: str, commands: Sequence[Sequence[str]],
                 step_keys: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.lang = lang
        self.commands = [list(argv) for argv in commands]
        self.step_keys = list(step_keys)
        """The keys of the step on show, first (they are what the user came to look up)."""

    def compose(self) -> ComposeResult:
        lang = self.lang
        lines = []
        if self.step_keys:
            lines.append(f"[b]{label('help_screen_keys', lang)}[/b]")
            lines.append("  ".join(f"[b]{_escape(key)}[/b] {_escape(text)}" for key, text in self.step_keys))
            lines.append("")
        lines += [f"[b]{label('help_keys', lang)}[/b]",
                 "• " + label("help_nav", lang, last=len(steps.STEPS)),
                 "• " + label("help_quit", lang),
                 "• " + label("help_copy", lang),
                 "• " + label("help_input", lang),
                 "",
                 f"[b]{label('help_steps', lang)}[/b]"]
        for number, (step, argv) in enumerate(zip(steps.STEPS, self.commands), start=1):
            lines.append(f"{number} {step.title(lang)}  [green]$ {_escape(shlex.join(argv))}[/green]")
        with VerticalScroll(id="help-body") as body:
            body.border_title = label("help_title", lang)
            body.border_subtitle = label("help_close", lang)
            yield Static("\n".join(lines), id="help-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def _escape(text: str) -> str:
    """Keep ``[`` in commands from being read as markup."""
    return text.replace("[", r"\[")
