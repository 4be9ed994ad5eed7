"""The step registry: which screen class serves each step, and the CLI command of every step.

Kept apart from ``app.py`` so that the help screen and tests can list the steps without an app.
"""

from __future__ import annotations

import importlib
from typing import Any

from mindpilot.tui import core, launching, prepare
from mindpilot.tui.session import Session

SCREENS = {
    "environment": "environment:EnvironmentScreen",
    "model": "model:ModelScreen",
    "weights": "weights:WeightsScreen",
    "data": "data:DataScreen",
    "plan": "plan:PlanScreen",
    "check": "check:CheckScreen",
    "launch": "launch:LaunchScreen",
    "diagnose": "diagnose:DiagnoseScreen",
}
"""Step -> ``module:Class`` under ``mindpilot.tui.screens``, imported when the step is first shown.

Importing every screen up front (plotting, logs, tables) would delay the first frame for steps not yet shown.
"""


def screen_class(mode: str) -> Any:
    """The screen class of step ``mode``."""
    module, name = SCREENS[mode].split(":")
    return getattr(importlib.import_module(f"mindpilot.tui.screens.{module}"), name)


def all_cli_argvs(session: Session) -> list[list[str]]:
    """The CLI command of each step in order, as it stands for this session."""
    launch = launching.launch_argv(session.demo, "", session.lang, session.saved_preset)
    source = session.model_source or session.model_dir or ""
    return [core.doctor_argv(session), prepare.model_argv(session, source, ""), prepare.weights_argv(session),
            prepare.data_argv(session, session.dataset or ""), core.plan_argv(session), core.check_argv(session),
            launch, core.diagnose_argv(session)]
