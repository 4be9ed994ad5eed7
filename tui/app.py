"""The guided first-time setup: Environment, Model, Weights, Data, Plan, Check, Launch, Diagnose.

Wiring only: each step is an app mode whose screen lives in ``tui/screens``; the app holds the one
:class:`Session` they share and the keys that move between them. ``run_app`` is what
``mindpilot`` (bare, on a terminal) and ``mindpilot --demo`` call.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional

from textual.app import App
from textual.binding import Binding

from mindpilot.exit_codes import ExitCode
from mindpilot.tui import steps
from mindpilot.tui.keys import localize_bindings
from mindpilot.tui.labels import label
from mindpilot.tui.screens.help import HelpScreen
from mindpilot.tui.screens.step import StepScreen
from mindpilot.tui.session import Session


class MindpilotApp(App[int]):
    """The steps as modes over one session; ``n``/``b`` or the step's number move, ``q`` quits."""

    CSS_PATH = "app.tcss"
    TITLE = "mindpilot"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit_app", "key_quit"),
        Binding("question_mark", "help", "key_help"),
        Binding("n", "step(1)", "key_next"),
        Binding("b", "step(-1)", "key_back"),
        Binding("l", "toggle_lang", "key_lang"),
        # Every digit: a key beyond the last step does nothing (see check_action), so the steps can grow.
        *[Binding(str(number), f"goto({number})", show=False) for number in range(1, 10)],
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        if session.demo and not session.config_path:
            # Every step of the demo works on the same YAML: Data reads its seq_length, Plan writes it,
            # Check checks it, Launch runs with it.
            session.config_path = _demo_config()
        if session.demo and not session.model_dir:
            # The demo's model is there from the start: Weights and Data show it even before the Model step.
            session.model_source = session.model_dir = _demo_model()
        self.detached_jobs: list[str] = []
        """Jobs still running when the app quit (``run_app`` says how to attach)."""
        localize_bindings(self, session.lang)
        for mode in steps.MODES:
            self.add_mode(mode, self._factory(mode))

    def _factory(self, mode: str) -> Callable[[], StepScreen]:
        return lambda: steps.screen_class(mode)(self.session)

    def on_mount(self) -> None:
        self.switch_mode(steps.MODES[0])

    @property
    def step_index(self) -> int:
        """0-based index of the step on screen."""
        return steps.MODES.index(self.current_mode) if self.current_mode in steps.MODES else 0

    def action_step(self, delta: int) -> None:
        """Next (+1) or back (-1), stopping at the ends."""
        self.action_goto(min(max(self.step_index + delta, 0), len(steps.MODES) - 1) + 1)

    def action_goto(self, number: int) -> None:
        """Jump to step ``number`` (1-based)."""
        self.switch_mode(steps.MODES[number - 1])

    def action_help(self) -> None:
        """Keys of the step on show, the global keys, and the CLI command of every step."""
        keys = self.screen.step_keys() if isinstance(self.screen, StepScreen) else []
        # A step already shown says its own line (its fields and boxes count); the others as the session stands.
        shown = {screen.MODE: screen for screen in self._all_step_screens() if screen.is_mounted}
        commands = [list(shown[mode].cli_argv()) if mode in shown else argv
                    for mode, argv in zip(steps.MODES, steps.all_cli_argvs(self.session))]
        self.push_screen(HelpScreen(self.session.lang, commands, keys))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters typed into an open dropdown (searching its options) are not app keys."""
        if action in ("quit_app", "step", "toggle_lang", "help", "goto") and _typing_in_select(self.focused):
            return False
        if action == "goto":
            return 1 <= int(str(parameters[0])) <= len(steps.MODES)
        return True

    async def action_toggle_lang(self) -> None:
        """Switch zh <-> en; the screen on display is rebuilt now, the others when next shown."""
        self.session.lang = "en" if self.session.lang == "zh" else "zh"
        localize_bindings(self, self.session.lang)
        if isinstance(self.screen, StepScreen):
            await self.screen.relabel()
        self.refresh_bindings()

    async def action_help_quit(self) -> None:
        """Ctrl+C (when no text is selected to copy) quits, as in any terminal program; with a job on show it asks
        first, in the UI's language (quitting leaves the job running)."""
        from mindpilot.tui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        job = next((getattr(screen, "job_id", None) for screen in self._all_step_screens()
                    if getattr(screen, "running", False)), None)
        if not job:
            await self.action_quit_app()
            return

        def answered(yes: Optional[bool]) -> None:
            if yes:
                self.call_later(self.action_quit_app)

        self.push_screen(ConfirmScreen(label("quit_confirm_job", self.session.lang, job=job), self.session.lang),
                         answered)

    async def action_quit(self) -> None:
        """Textual's own quit key (Ctrl+Q) leaves the way ``q`` does: a running job is detached, not lost."""
        await self.action_quit_app()

    async def action_quit_app(self) -> None:
        """Leave the app; a running demo job is stopped first by its screen."""
        for screen in self._all_step_screens():
            await screen.before_quit()
        self.exit(int(ExitCode.OK))

    def _all_step_screens(self) -> list[StepScreen]:
        return [screen for stack in self._screen_stacks.values() for screen in stack
                if isinstance(screen, StepScreen)]


def _demo_config() -> Optional[str]:
    from mindpilot.tui.core import demo_config

    try:
        return demo_config()
    except OSError:  # no writable temp dir: the steps still work, without a YAML
        return None


def _demo_model() -> Optional[str]:
    from mindpilot.tui.acquiring import demo_model

    try:
        return demo_model()
    except OSError:  # no writable temp dir: the Model step says what to pick
        return None


def _typing_in_select(widget: object) -> bool:
    """The focus is in an open dropdown, where letters search its options.

    A closed dropdown takes only enter, space and the arrows: there the app's letter keys work (and Esc leaves it).
    """
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay

    node = widget
    while node is not None:
        if isinstance(node, SelectOverlay) or (isinstance(node, Select) and node.expanded):
            return True
        node = getattr(node, "parent", None)
    return False


def run_app(demo: bool, lang: str) -> ExitCode:
    """Run the TUI until the user quits; return the exit code for ``mindpilot``."""
    app = MindpilotApp(Session(demo=demo, lang=lang))
    result = app.run()
    for job in app.detached_jobs:
        print(label("launch_detached", app.session.lang, job=job), file=sys.stderr)
    return ExitCode(result if result is not None else ExitCode.OK)
