"""mindpilot: from a fresh Ascend NPU notebook to a running, healthy ``msrun`` job.

The package root is the repository root. The core, bottom up (each layer imports only the ones below it):
the base modules at the root (``datafiles``, ``fileio``, ``redact``, ``bilingual``, ``i18n``, ``wording``,
``compiled``, ``exit_codes``, ...); ``presets`` says what to run (models, parallel plans, presets);
``validators`` inspects and judges (doctor, check, diagnose's knowledge); ``launch`` runs it (msrun argv,
job supervisor, log tailing, preflight); ``acquire`` gets the model, weights and data onto the machine.
Above the core, ``commands`` adapts it to the headless CLI (``cli``) and ``tui`` presents it in Textual; only
``tui`` may import Textual or Rich, and nothing imports ``tui`` except the CLI's lazy TUI door. ``bench/``
holds scripts that print speed and accuracy figures; ``docs/architecture.md`` is the map.
"""

__version__ = "0.1.0"
