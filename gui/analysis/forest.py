"""The forest plot of the Analysis tab: each paired difference against the reference with
its 95% confidence interval, one row per stratum and condition, and the line of no
difference. Exported like the other plots (gui/plots/export.py) through its replica()."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import FigurePlot

LEFT_AXIS = 230  # room for "NTNA+: MDMA 120 mg − Placebo"

Rows = tuple[str, list[dict[str, Any]]]  # (measure label, contrasts with their labels)


class ForestPlot(FigurePlot[Rows]):
    figure_title = "Forest plot"

    def __init__(self) -> None:
        super().__init__()
        style.style_plot(self, "Paired differences (95% CI)", bottom="difference",
                         sizes=(LEFT_AXIS, style.AXIS_HEIGHT))
        self.setMouseEnabled(x=False, y=False)
        self.bars = pg.ErrorBarItem(x=np.array([]), y=np.array([]), beam=0.18,
                                    pen=style.pen(style.BLACK, 1.5))
        self.points = pg.ScatterPlotItem(size=10, brush=style.brush(style.BLUE),
                                         pen=style.pen("white"))
        self.zero = pg.InfiniteLine(0, angle=90, pen=style.pen(style.GREY, 1, dashed=True))
        for item in (self.zero, self.bars, self.points):
            self.addItem(item)

    def fresh(self) -> ForestPlot:
        return ForestPlot()

    def draw(self, data: Rows) -> None:
        measure, rows = data
        style.set_title(self, f"{measure}: paired differences (95% CI)")
        shown = [r for r in rows if r["ci_low"] is not None and r["ci_high"] is not None]
        y = np.arange(len(shown), 0, -1, dtype=float)  # the first row on top
        diff = np.array([r["diff"] for r in shown], dtype=float)
        low = np.array([r["ci_low"] for r in shown], dtype=float)
        high = np.array([r["ci_high"] for r in shown], dtype=float)
        self.bars.setData(x=diff, y=y, left=diff - low, right=high - diff, height=None)
        self.points.setData(x=diff, y=y)
        self.set_ticks("left", [(float(v), f"{r['stratum']}: {r['difference']}")
                                for v, r in zip(y, shown, strict=True)])
        span = [0.0, *low, *high]
        pad = (max(span) - min(span)) * 0.08 or 1.0
        self.setRange(xRange=(min(span) - pad, max(span) + pad),
                      yRange=(0.4, len(shown) + 0.6), padding=0)
