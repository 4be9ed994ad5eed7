"""The headless CLI's subcommands: thin adapters from argparse to the core, printing data or text.

Each module here has ``add_parser(subparsers, common)`` that registers one subcommand (setting
``func`` to a ``run(args) -> ExitCode``). Modules keep heavy imports inside ``run`` so that
``mindpilot --help`` and ``mindpilot doctor`` start fast.
"""

COMMANDS: tuple[str, ...] = ("doctor", "plan", "check", "diagnose", "launch", "jobs", "attach", "stop", "preset",
                             "knowledge", "model", "weights", "data",)
"""Module names under ``mindpilot.commands``, in the order ``--help`` lists them."""
