"""One command run once, outside msrun (a weight conversion, a data preprocessing, a self-test): what to run,
where, and what it makes.

Kept as an argv list (never a shell string), so that a path with a space or a quote in it stays one
argument, and rendered for the screen with :func:`shlex.join`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class ToolCommand:
    """A script to run once (not under msrun), and what it should leave behind."""

    name: str
    """Job name: ``convert-weights``, ``preprocess-data``."""
    argv: list[str]
    """``python script.py --flag value ...``; empty when there is nothing to run (say so in ``notes``)."""
    cwd: str
    """The checkout the script lives in."""
    output: Optional[str] = None
    """The file, directory or file prefix the command writes."""
    output_kind: str = "file"
    """``file``, ``dir`` (with ``rank_folders``) or ``prefix``."""
    rank_folders: int = 0
    """Partition folders expected under a ``dir`` output (TP×PP), 0 when not checked."""
    notes: list[str] = field(default_factory=list)
    """What to do instead of, or after, the command (e.g. the YAML key to set)."""
    yaml_keys: dict[str, Any] = field(default_factory=dict)
    """Keys of the training YAML that must point at the result."""

    steps: list[list[str]] = field(default_factory=list)
    """The separate commands when ``argv`` chains several (``bash -c 'a && b'``), for display."""
    accepted_models: list[str] = field(default_factory=list)
    """The ``--model`` names the checkout's script accepts, read from it; empty when unknown."""

    def display(self) -> list[str]:
        """Lines to show and to paste into a shell: ``cd CHECKOUT``, then one line per command."""
        if not self.argv:
            return []
        return [f"cd {shlex.quote(self.cwd)}", *(shlex.join(step) for step in (self.steps or [self.argv]))]

    def shell(self) -> str:
        """``cd CHECKOUT && python ...`` with every value quoted (empty when there is nothing to run)."""
        if not self.argv:
            return ""
        return f"cd {shlex.quote(self.cwd)} && {shlex.join(self.argv)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``mindpilot weights --json``)."""
        return {"name": self.name, "argv": self.argv, "cwd": self.cwd, "shell": self.shell(), "output": self.output,
                "output_kind": self.output_kind, "rank_folders": self.rank_folders, "notes": self.notes,
                "steps": self.steps, "yaml_keys": self.yaml_keys, "accepted_models": self.accepted_models}
