"""The step registry: which screen class serves each step, and the CLI command of every step.

Kept apart from ``app.py`` so that the help screen and tests can list the steps without an app.
"""

from __future__ import annotations

from mindpilot.tui import core, launching, prepare
from mindpilot.tui.screens.check import CheckScreen
from mindpilot.tui.screens.data import DataScreen
from mindpilot.tui.screens.diagnose import DiagnoseScreen
from mindpilot.tui.screens.environment import EnvironmentScreen
from mindpilot.tui.screens.launch import LaunchScreen
from mindpilot.tui.screens.model import ModelScreen
from mindpilot.tui.screens.plan import PlanScreen
from mindpilot.tui.screens.weights import WeightsScreen
from mindpilot.tui.session import Session

SCREENS = {
    "environment": EnvironmentScreen,
    "model": ModelScreen,
    "weights": WeightsScreen,
    "data": DataScreen,
    "plan": PlanScreen,
    "check": CheckScreen,
    "launch": LaunchScreen,
    "diagnose": DiagnoseScreen,
}


def all_cli_argvs(session: Session) -> list[list[str]]:
    """The CLI command of each step in order, as it stands for this session."""
    launch = launching.launch_argv(session.demo, "", session.lang, session.saved_preset)
    source = session.model_source or session.model_dir or ""
    return [core.doctor_argv(session), prepare.model_argv(session, source, ""), prepare.weights_argv(session),
            prepare.data_argv(session, session.dataset or ""), core.plan_argv(session), core.check_argv(session),
            launch, core.diagnose_argv(session)]
