"""Moved to :mod:`mindpilot.redact` (``presets`` masks secrets too, and must not import ``validators``).

Only for branches written before the move; new code imports :mod:`mindpilot.redact`.
"""

from mindpilot.redact import *  # noqa: F401,F403
