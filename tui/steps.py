"""The steps of the guided setup, each declared once: its app mode, its screen and its CLI twin.

The step bar, the app's navigation and number keys, the help screen and each screen's CLI line all read
:data:`STEPS`; adding a step is one :class:`Step` here, its screen (``tui/screens/NAME.py`` + ``.tcss``)
and its ``step_NAME`` label. Kept apart from ``app.py`` so that the help screen and tests can list the
steps without an app.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from mindpilot.tui import acquiring, core, launching
from mindpilot.tui.labels import label
from mindpilot.tui.session import Session


@dataclass(frozen=True)
class Step:
    """One step of the journey."""

    mode: str
    """App mode name; the step's title is the label ``step_<mode>``."""
    screen: str
    """``module:Class`` under ``mindpilot.tui.screens``, imported when the step is first shown.

    Importing every screen up front (plotting, logs, tables) would delay the first frame for steps not yet shown.
    """
    cli: Callable[[Session], list[str]]
    """The CLI command that repeats the step, as it stands for the session (before the step's own fields say more)."""

    def title(self, lang: str) -> str:
        """The step's name in ``lang``."""
        return label("step_" + self.mode, lang)

    def screen_class(self) -> Any:
        """The screen class that shows this step."""
        module, name = self.screen.split(":")
        return getattr(importlib.import_module(f"mindpilot.tui.screens.{module}"), name)


def _model_cli(session: Session) -> list[str]:
    return acquiring.model_argv(session, session.model_source or session.model_dir or "", "")


def _data_cli(session: Session) -> list[str]:
    return acquiring.data_argv(session, session.dataset or "")


def _launch_cli(session: Session) -> list[str]:
    return launching.launch_argv(session.demo, "", session.lang, session.saved_preset, session.config_path)


STEPS: tuple[Step, ...] = (
    Step("environment", "environment:EnvironmentScreen", core.doctor_argv),
    Step("model", "model:ModelScreen", _model_cli),
    Step("weights", "weights:WeightsScreen", acquiring.weights_argv),
    Step("data", "data:DataScreen", _data_cli),
    Step("plan", "plan:PlanScreen", core.plan_argv),
    Step("check", "check:CheckScreen", core.check_argv),
    Step("launch", "launch:LaunchScreen", _launch_cli),
    Step("diagnose", "diagnose:DiagnoseScreen", core.diagnose_argv),
)
"""The steps in order; step N (1-based, the number key that shows it) is ``STEPS[N - 1]``."""

MODES: tuple[str, ...] = tuple(step.mode for step in STEPS)
"""Mode names of the steps, in order."""


def step(mode: str) -> Step:
    """The step shown in app mode ``mode``."""
    return STEPS[MODES.index(mode)]


def screen_class(mode: str) -> Any:
    """The screen class of step ``mode``."""
    return step(mode).screen_class()


def all_cli_argvs(session: Session) -> list[list[str]]:
    """The CLI command of each step in order, as it stands for this session."""
    return [item.cli(session) for item in STEPS]
