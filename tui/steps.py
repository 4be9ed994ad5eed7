"""The step registry: which screen class serves each step, and the CLI command of every step.

Kept apart from ``app.py`` so that the help screen and tests can list the steps without an app.
"""

from __future__ import annotations

from mindpilot.tui import core
from mindpilot.tui.screens.check import CheckScreen
from mindpilot.tui.screens.environment import EnvironmentScreen
from mindpilot.tui.screens.plan import PlanScreen
from mindpilot.tui.screens.placeholder import PlaceholderScreen
from mindpilot.tui.session import Session

SCREENS = {
    "environment": EnvironmentScreen,
    "plan": PlanScreen,
    "check": CheckScreen,
    "launch": PlaceholderScreen.for_step("launch"),
    "diagnose": PlaceholderScreen.for_step("diagnose"),
}


def all_cli_argvs(session: Session) -> list[list[str]]:
    """The CLI command of each step in order, as it stands for this session."""
    return [core.doctor_argv(session), core.plan_argv(session), core.check_argv(session),
            ["mindpilot", "launch"], ["mindpilot", "diagnose"]]
