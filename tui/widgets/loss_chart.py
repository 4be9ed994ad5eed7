"""The loss chart: loss against step with axes and step labels, drawn by textual-plotext.

A plotting widget rather than hand-drawn blocks: ticks, scaling and braille resolution come from plotext.
"""

from __future__ import annotations

from typing import Sequence

from textual_plotext import PlotextPlot

MAX_POINTS = 2000
"""Points drawn (the newest); a long run's history is kept in the job view, not redrawn whole."""


class LossChart(PlotextPlot):
    """``show(losses)`` redraws the series (one loss per step, in step order)."""

    def __init__(self, step_label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.step_label = step_label
        self.losses: list[float] = []
        """The series on display (tests read it)."""

    def show(self, losses: Sequence[float]) -> None:
        """Draw ``losses`` against steps 1..n."""
        self.losses = list(losses)[-MAX_POINTS:]
        first = max(len(losses) - MAX_POINTS, 0) + 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel(self.step_label)
        plt.xaxes(True, False)  # the lower and left axes carry the ticks; no box: one more row of plot
        plt.yaxes(True, False)
        if self.losses:
            plt.plot(list(range(first, first + len(self.losses))), self.losses, marker="braille")
        self.refresh()
