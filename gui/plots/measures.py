"""Each chosen measure across visits, one small plot per measure, and the grid holding them.

Markers are coloured (and shaped) by condition once the study is unblinded;
until then every marker is the same neutral colour and the visit axis names
each dosing visit by its kit code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from gui.plots import style
from gui.plots.items import EmptyNote, FigurePlot, Points, legend, update_legend
from services.plot_data import KeyEntry, ParticipantPlotData, PointSeries

PLOT_HEIGHT = 190
TICK_WIDTH = 78  # pixels a visit's two-line label needs
MAX_COLUMNS = 3


def plot_width(visits: int) -> int:
    """The narrowest a measure plot gets with every visit label readable."""
    return style.AXIS_WIDTH + TICK_WIDTH * visits


def columns_for(width: float, visits: int) -> int:
    """As many plots a row as fit in `width` pixels, one to three."""
    return int(max(1, min(MAX_COLUMNS, width // plot_width(visits))))


Drawn = tuple[PointSeries, tuple[str, ...], tuple[KeyEntry, ...]]  # series, visits, key


def visit_ticks(labels: Sequence[str]) -> list[tuple[float, str]]:
    """'dose1 · K7QX-M4PA' on two lines, so four visits fit under a small plot."""
    return [(i, label.replace(" · ", "\n")) for i, label in enumerate(labels)]


def y_range(y: np.ndarray) -> tuple[float, float]:
    """The data's span with a margin, set directly: cheaper than pyqtgraph's auto-range."""
    low, high = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
    margin = (high - low) * 0.12 or max(abs(high) * 0.1, 0.5)
    return low - margin, high + margin


def key_samples(key: Sequence[KeyEntry]) -> list[pg.GraphicsObject]:
    return [pg.ScatterPlotItem(symbol=style.condition_symbol(k.slot), size=9, pen=None,
                               brush=style.brush(style.condition_colour(k.slot))) for k in key]


class MeasurePlot(FigurePlot[Drawn]):
    def __init__(self, with_key: bool = False):
        super().__init__(legend_columns=2 if with_key else 0)
        style.style_plot(self, "")
        self.setMouseEnabled(x=False, y=True)
        self.line = pg.PlotDataItem(pen=style.pen(style.GREY, 1.2, alpha=160), connect="finite")
        self.addItem(self.line)
        self.points = Points(size=10, pen=style.pen("white"))
        self.connect_points(self.points)
        self.note = EmptyNote(self, "no values recorded")

    @property
    def figure_title(self) -> str:  # type: ignore[override]
        return self.data[0].title if self.data else "Measure"

    def fresh(self) -> MeasurePlot:
        """Exported alone, a measure brings its colour key and its visit labels along."""
        return MeasurePlot(with_key=True)

    def show_visit_labels(self, shown: bool) -> None:
        """Small multiples share their visit axis: only the lowest plot of a column labels it."""
        axis = self.getAxis("bottom")
        axis.setStyle(showValues=shown)
        axis.setHeight(style.AXIS_HEIGHT if shown else 14)

    def draw(self, data: Drawn) -> None:
        series, labels, key = data
        style.set_title(self, series.title)
        style.set_left_label(self, series.unit)
        self.line.setData(series.x, series.y)
        slots = series.slot.tolist()
        self.points.show_points(
            series.x, series.y, series.visit_ids, series.tooltips,
            brush=[style.brush(style.condition_colour(s)) for s in slots],
            symbol=[style.condition_symbol(s) for s in slots])
        self.set_ticks("bottom", visit_ticks(labels))
        self.setRange(xRange=(-0.5, len(labels) - 0.5), yRange=y_range(series.y), padding=0)
        self.note.show_if(len(series.y) == 0)
        self.set_key([k.label for k in key], lambda: key_samples(key))


class MeasureGrid(pg.GraphicsLayout):
    """The chosen measures in equal columns (as many as the width allows) under one colour
    key; plots are kept and reused when the choice or the columns change, so only setData
    runs on a participant switch."""

    visit_clicked = Signal(str)
    export_requested = Signal(object)
    copy_requested = Signal(object)

    def __init__(self, visits: int, columns: int = 2) -> None:
        super().__init__()
        self.visits = visits
        self.columns = columns
        self.key = legend(4)
        self.plots: dict[str, MeasurePlot] = {}
        self.chosen: list[str] = []
        self.data: ParticipantPlotData | None = None

    def plot(self, measure: str) -> MeasurePlot:
        if measure not in self.plots:
            plot = self.plots[measure] = MeasurePlot()
            plot.setMinimumHeight(PLOT_HEIGHT)
            plot.setMinimumWidth(plot_width(self.visits))
            plot.visit_clicked.connect(self.visit_clicked)
            plot.export_requested.connect(self.export_requested)
            plot.copy_requested.connect(self.copy_requested)
        return self.plots[measure]

    def choose(self, measures: Sequence[str]) -> None:
        self.clear()
        self.chosen = list(measures)
        for column in range(MAX_COLUMNS):  # equal widths; unused columns take none
            self.layout.setColumnStretchFactor(column, int(column < self.columns))
        self.addItem(self.key, row=0, col=0, colspan=self.columns)
        for i, name in enumerate(self.chosen):
            self.addItem(self.plot(name), row=1 + i // self.columns, col=i % self.columns)
            self.plot(name).show_visit_labels(i + self.columns >= len(self.chosen))
        if self.data is not None:
            self.set_data(self.data)

    def set_columns(self, columns: int) -> None:
        if columns != self.columns:
            self.columns = columns
            self.choose(self.chosen)

    def set_data(self, data: ParticipantPlotData) -> None:
        self.data = data
        update_legend(self.key, [k.label for k in data.key], lambda: key_samples(data.key))
        for name in self.chosen:
            self.plots[name].set_data((data.measures[name], data.visit_labels, data.key))

    def shown(self) -> list[MeasurePlot]:
        return [self.plots[name] for name in self.chosen]
