"""Scan QC: a QC measure per scan against the protocol's exclusion limit; scans above
the limit are marked with a cross in a warning colour, the limit drawn as a line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import EmptyNote, FigurePlot, Points
from gui.plots.measures import visit_ticks
from services.plot_data import QcSeries

WITHIN = {"symbol": "o", "size": 10, "pen": style.pen("white"), "brush": style.brush(style.GREEN)}
ABOVE = {"symbol": "x", "size": 15, "pen": style.pen(style.VERMILLION),
         "brush": style.brush(style.VERMILLION)}
LIMIT_PEN = style.pen(style.VERMILLION, 1.5, dashed=True)


def key_samples() -> list[pg.GraphicsObject]:
    return [pg.ScatterPlotItem(**WITHIN), pg.ScatterPlotItem(**ABOVE),
            pg.PlotDataItem(pen=LIMIT_PEN)]


class QcPlot(FigurePlot[tuple[QcSeries, tuple[str, ...]]]):
    def __init__(self) -> None:
        super().__init__(legend_columns=2)
        style.style_plot(self, "Scan QC")
        self.setMouseEnabled(x=False, y=True)
        self.line = pg.PlotDataItem(pen=style.pen(style.GREY, 1.2, alpha=160), connect="finite")
        self.addItem(self.line)
        self.points = Points()
        self.connect_points(self.points)
        self.limit = pg.InfiniteLine(angle=0, pen=LIMIT_PEN)
        self.addItem(self.limit)
        self.note = EmptyNote(self, "no scans recorded")

    @property
    def figure_title(self) -> str:  # type: ignore[override]
        return f"Scan QC: {self.data[0].series.title}" if self.data else "Scan QC"

    def fresh(self) -> QcPlot:
        return QcPlot()

    def draw(self, data: tuple[QcSeries, tuple[str, ...]]) -> None:
        qc, labels = data
        s = qc.series
        style.set_title(self, f"Scan QC: {s.title}")
        style.set_left_label(self, s.unit)
        self.line.setData(s.x, np.where(s.given, s.y, np.nan))  # a visit not given: no line
        looks = [ABOVE if a else WITHIN for a in qc.above]
        self.points.show_points(s.x, s.y, s.visit_ids, s.tooltips,
                                **{k: [look[k] for look in looks]
                                   for k in ("symbol", "size", "pen", "brush")})
        self.limit.setPos(qc.threshold)
        self.set_key(["within the limit", "above the limit", qc.threshold_label], key_samples)
        self.set_ticks("bottom", visit_ticks(labels))
        top = max(float(np.max(s.y)) if len(s.y) else 0.0, qc.threshold) * 1.15
        self.setRange(xRange=(-0.5, len(labels) - 0.5), yRange=(0, top), padding=0)
        self.note.show_if(len(s.y) == 0)
