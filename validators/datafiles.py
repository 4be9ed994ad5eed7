"""Moved to :mod:`mindpilot.datafiles` (``presets`` reads data too, and must not import ``validators``).

Only for branches written before the move; new code imports :mod:`mindpilot.datafiles`.
"""

from mindpilot.datafiles import *  # noqa: F401,F403
from mindpilot.datafiles import PACKAGE_ROOT, M, PathLike  # noqa: F401
