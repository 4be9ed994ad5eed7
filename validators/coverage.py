"""Which framework releases the version knowledge covers: the shipped table plus learned releases.

One JSON-ready document for ``mindpilot knowledge`` (and the TUI, should it want it): the table's
check date, the releases each stack family names, and what was learned on this machine.
"""

from __future__ import annotations

from typing import Any

from mindpilot.validators.knowledge import load_learned, overlay_dir, table_date
from mindpilot.validators.stacks import load_stacks
from mindpilot.validators.versions import version_key


def coverage() -> dict[str, Any]:
    """``{"table_date", "table": {family: [versions]}, "learned": [...], "overlay_dir", "cann_errors"}``
    (``cann_errors``: the CANN error catalogue ``knowledge learn cann`` stored, or None)."""
    table: dict[str, list[str]] = {}
    mindspore: set[str] = set()
    for stack in load_stacks():
        prefix = stack.framework + "-"
        table.setdefault(stack.framework, []).append(stack.id[len(prefix):] if stack.id.startswith(prefix)
                                                     else stack.id)
        pin = stack.requirement("mindspore")
        if stack.framework == "mindformers" and pin and pin.version:
            mindspore.add(pin.version)
    for family, versions in table.items():
        table[family] = sorted(versions, key=version_key) if all(v[:1].isdigit() for v in versions) else versions
    table["mindspore"] = sorted(mindspore, key=version_key)
    learned = [{"name": r.name, "version": r.version, "learned": r.learned, "configs": len(r.configs),
                "version_map": r.version_map is not None, "requires_python": r.requires_python}
               for r in load_learned()]
    from mindpilot.validators.kb.cann_catalog import learned_summary

    return {"table_date": table_date(), "table": table, "learned": learned, "overlay_dir": str(overlay_dir()),
            "cann_errors": learned_summary()}
