"""What every step screen shares: the step bar, the CLI-equivalent line, the footer, the language.

A step screen gets the app's :class:`Session` in its constructor (so a test harness can hand it
fake data) and builds its body in :meth:`StepScreen.compose_body`. When the language changes, the
screen rebuilds itself the next time it is shown.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Select

from mindpilot.tui import steps
from mindpilot.tui.keys import localize_bindings
from mindpilot.tui.labels import label
from mindpilot.tui.session import Session
from mindpilot.tui.widgets.command_block import CommandBlock
from mindpilot.tui.widgets.command_hint import CommandHint
from mindpilot.tui.widgets.findings_panel import FindingsPanel
from mindpilot.tui.widgets.key_footer import KeyFooter
from mindpilot.tui.widgets.step_bar import StepBar


class StepScreen(Screen[None]):
    """Base class of the step screens."""

    MODE = ""
    """The app mode (and step name) of this screen: the ``mode`` of its record in ``steps.STEPS``."""

    BINDINGS = [
        Binding("escape", "leave_field", "key_leave_field"),
        Binding("c", "copy_fix", "key_copy", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.composed_lang = session.lang
        """Language the widgets were built in; a mismatch on resume means rebuild."""
        localize_bindings(self, session.lang)

    def compose(self) -> ComposeResult:
        self.composed_lang = self.session.lang
        yield StepBar(self.MODE, self.session.lang, self.session.demo)
        yield from self.compose_body()
        yield CommandHint(self.cli_argv(), self.session.lang, id="cli-hint")
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        """The step's own widgets, between the step bar and the CLI line."""
        yield from ()

    def cli_argv(self) -> Sequence[str]:
        """The ``mindpilot ...`` command that repeats this step headlessly (steps with fields override it)."""
        return steps.step(self.MODE).cli(self.session)

    def step_keys(self) -> list[tuple[str, str]]:
        """``(key, what it does)`` of this step's own keys, in the UI language (the help screen lists them)."""
        seen: dict[str, str] = {}
        for cls in type(self).__mro__:
            for binding in getattr(cls, "BINDINGS", []) if cls is not StepScreen else []:
                if isinstance(binding, Binding) and binding.description.startswith("key_") \
                        and binding.key not in seen:
                    seen[binding.key] = label(binding.description, self.session.lang)
        if self.query(CommandBlock):  # every step's CLI line (and any command block) copies with y
            seen.setdefault("y", label("key_copy_text", self.session.lang))
        return list(seen.items())

    def from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callback`` on the UI thread (from a thread worker), tolerating a rebuild in progress.

        A language switch rebuilds the screen's widgets; a result that arrives meanwhile finds no
        widget to fill. Results are stored in the session or the screen before widgets are touched,
        and the rebuilt screen shows them again, so that moment is skipped rather than fatal.
        """
        self.app.call_from_thread(self._guarded, callback, *args, **kwargs)

    @staticmethod
    def _guarded(callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            callback(*args, **kwargs)
        except NoMatches:
            pass

    def t(self, key: str, **params: object) -> str:
        """A UI label in the session's language."""
        return label(key, self.session.lang, **params)

    def update_cli_hint(self) -> None:
        """Refresh the CLI line after the step's inputs changed."""
        self.query_one(CommandHint).show(self.cli_argv())

    async def relabel(self) -> None:
        """Rebuild the widgets in the session's current language and show the data again."""
        localize_bindings(self, self.session.lang)
        await self.recompose()
        self.after_relabel()

    def after_relabel(self) -> None:
        """Put the step's data back into freshly built widgets (override in steps that hold data)."""

    async def on_screen_resume(self) -> None:
        if self.composed_lang != self.session.lang:
            await self.relabel()

    async def before_quit(self) -> None:
        """Called before the app exits (the Launch step stops its job here)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> Optional[bool]:
        """Esc (and its footer entry) only while in a field or a closed dropdown: Esc leaves it, as Tab does."""
        if action == "leave_field":
            return isinstance(self.focused, (Input, Select)) and not getattr(self.focused, "expanded", False)
        return True

    def action_leave_field(self) -> None:
        """Esc leaves a text field (so that single-letter keys work again) or a closed dropdown."""
        self.set_focus(None)

    def action_copy_fix(self) -> None:
        """Copy the selected finding's fix to the clipboard (OSC 52) and say what was copied."""
        panel: Optional[FindingsPanel] = next(iter(self.query(FindingsPanel)), None)
        finding = panel.selected() if panel is not None else None
        if finding is None or not finding.fix:
            self.notify(self.t("nothing_to_copy"), severity="warning")
            return
        self.app.copy_to_clipboard(finding.fix)
        self.notify(self.t("copied", text=finding.fix))
