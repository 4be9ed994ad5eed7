"""Layers per pipeline stage: the planner writes these lists and ``check`` proposes them, from one place.

MindFormers 2.x PyNative configs name each stage's layers (``"0-6"``, ``"7-13,21-27"`` with interleave).
"""

from __future__ import annotations

MAX_STAGES = 1024
"""Suggest explicit stage lists only up to this many stages (a bigger pipeline is not a real job)."""


def stage_ranges(layers: int, pp: int, interleave: int = 1) -> list[str]:
    """One ``"start-end[,start-end]"`` per stage covering ``layers``; spare layers go to the middle stages."""
    stages = pp * interleave
    sizes = [layers // stages] * stages
    order = sorted(range(stages), key=lambda i: (abs(2 * i - (stages - 1)), i))
    for index in order[: layers % stages]:
        sizes[index] += 1
    starts = [0] * stages
    for index in range(1, stages):
        starts[index] = starts[index - 1] + sizes[index - 1]
    chunks = [f"{start}-{start + size - 1}" if size > 1 else str(start) for start, size in zip(starts, sizes)]
    return [",".join(chunks[c * pp + rank] for c in range(interleave)) for rank in range(pp)]

