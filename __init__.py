"""mindpilot: from a fresh Ascend NPU notebook to a running, healthy ``msrun`` job.

The package root is the repository root. Its subpackages split the work:
``validators`` inspects and judges (doctor, check, diagnose), ``presets`` says what to run
(models, plans, presets), ``launch`` runs it (msrun argv, processes, log tailing), ``commands``
adapts the core to the headless CLI, and ``tui`` presents everything in Textual. Only ``tui``
may import Textual or Rich, and nothing imports ``tui`` except the CLI's lazy TUI door.
"""

__version__ = "0.1.0"
