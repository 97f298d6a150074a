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


class QcPlot(FigurePlot[tuple[QcSeries, tuple[str, ...]]]):
    def __init__(self) -> None:
        super().__init__(legend_columns=3)
        style.style_plot(self, "Scan QC")
        self.getAxis("bottom").setHeight(40)
        self.setMouseEnabled(x=False, y=True)
        self.line = pg.PlotDataItem(pen=style.pen(style.GREY, 1.2, alpha=160), connect="finite")
        self.addItem(self.line)
        self.within, self.above = Points(**WITHIN), Points(**ABOVE)
        self.connect_points(self.within, self.above)
        self.limit = pg.InfiniteLine(angle=0, pen=style.pen(style.VERMILLION, 1.5, dashed=True))
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
        self.line.setData(s.x, s.y)
        for points, mask in ((self.within, ~qc.above), (self.above, qc.above)):
            points.show_points(s.x[mask], s.y[mask],
                               [v for v, m in zip(s.visit_ids, mask, strict=True) if m],
                               [t for t, m in zip(s.tooltips, mask, strict=True) if m])
        self.limit.setPos(qc.threshold)
        self.set_key([(pg.ScatterPlotItem(**WITHIN), "within the limit"),
                      (pg.ScatterPlotItem(**ABOVE), "above the limit"),
                      (pg.PlotDataItem(pen=self.limit.pen), qc.threshold_label)])
        self.getAxis("bottom").setTicks(visit_ticks(labels))
        self.setXRange(-0.5, len(labels) - 0.5, padding=0)
        top = max(float(np.max(s.y)) if len(s.y) else 0.0, qc.threshold) * 1.15
        self.setYRange(0, top, padding=0)
        self.note.show_if(len(s.y) == 0)
