"""The card count and HBM per card ``check`` and ``diagnose`` judge against when the user gives none: this
machine's, when it has NPUs. Kept apart from :mod:`.probe` so that a machine without ``npu-smi`` pays no
import of the probe."""

from __future__ import annotations

import shutil
from typing import Optional


def environment_defaults(cards: Optional[int], hbm: Optional[float]) -> tuple[Optional[int], Optional[float]]:
    """Fill ``cards`` / ``hbm`` from the doctor's probe when this machine has NPUs (``npu-smi`` present)."""
    if cards is not None and hbm is not None or shutil.which("npu-smi") is None:
        return cards, hbm
    try:
        from mindpilot.validators.probe import probe_environment

        facts = probe_environment(timeout=10.0)
    except Exception:  # no probe, or it failed: check without those numbers
        return cards, hbm
    if cards is None and getattr(facts, "npu_count", 0):
        cards = int(facts.npu_count)
    if hbm is None and getattr(facts, "hbm_gb_per_card", None):
        hbm = float(facts.hbm_gb_per_card)
    return cards, hbm
