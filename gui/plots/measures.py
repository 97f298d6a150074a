"""Each chosen measure across visits, one small plot per measure, and the grid holding them.

Markers are coloured (and shaped) by condition once the study is unblinded;
until then every marker is the same neutral colour. Every plot names the
protocol's visits on its visit axis, set once: a participant switch changes
only the points, the line and the value axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGraphicsItem

from gui.plots import style
from gui.plots.items import EmptyNote, FigurePlot, VisitPoints, legend, update_legend
from services.plot_data import NO_CONDITION, KeyEntry, ParticipantPlotData, PointSeries

PLOT_HEIGHT = 190
NOT_GIVEN_ALPHA = 60  # a value stored on a visit logged missed or cancelled
TICK_WIDTH = 78  # pixels a visit's two-line label needs
MAX_COLUMNS = 3
LEFT_OUT_SYMBOL = "x"  # a scan the analysis leaves out (failed QC)
LEFT_OUT = "left out of the analysis: scan quality check failed"


def plot_width(visits: int) -> int:
    """The narrowest a measure plot gets with every visit label readable."""
    return style.AXIS_WIDTH + TICK_WIDTH * visits


def columns_for(width: float, visits: int) -> int:
    """As many plots a row as fit in `width` pixels, one to three."""
    return int(max(1, min(MAX_COLUMNS, width // plot_width(visits))))


Drawn = tuple[PointSeries, tuple[str, ...], tuple[KeyEntry, ...]]  # series, visits, key


def visit_ticks(labels: Sequence[str]) -> list[tuple[float, str]]:
    """'Dosing 1 · K7QX-M4PA' on two lines, so four visits fit under a small plot; a bare
    visit label stays on one."""
    return [(i, label.replace(" · ", "\n")) for i, label in enumerate(labels)]


def y_range(y: np.ndarray) -> tuple[float, float]:
    """The data's span with a margin, set directly: cheaper than pyqtgraph's auto-range."""
    low, high = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
    margin = (high - low) * 0.12 or max(abs(high) * 0.1, 0.5)
    return low - margin, high + margin


def key_samples(key: Sequence[KeyEntry]) -> list[pg.GraphicsObject]:
    return [pg.ScatterPlotItem(symbol=style.condition_symbol(k.slot), size=9, pen=None,
                               brush=style.brush(style.condition_colour(k.slot))) for k in key]


def set_measure_key(legend_item: pg.LegendItem, key: Sequence[KeyEntry],
                    left_out: bool) -> None:
    """The colour key, with the QC cross explained when a plot shows one."""
    names = [k.label for k in key] + ([LEFT_OUT] if left_out else [])

    def samples() -> list[pg.GraphicsObject]:
        cross = pg.ScatterPlotItem(symbol=LEFT_OUT_SYMBOL, size=11, pen=None,
                                   brush=style.brush(style.NEUTRAL))
        return [*key_samples(key), *([cross] if left_out else [])]

    update_legend(legend_item, names, samples)


class MeasurePlot(FigurePlot[Drawn]):
    """One measure across the protocol's visits.

    The visit axis is set once, when the plot is made: the protocol's visits, the same for
    every participant, so a participant switch only moves the points and the value axis.
    What a dosing visit was (kit code, or condition once unblinded) is in the timeline's
    visit labels, the markers' tooltips and, unblinded, the markers' colour and symbol; a
    plot exported alone (with its own key) also names it under each visit.
    """

    def __init__(self, visits: Sequence[str], with_key: bool = False):
        super().__init__(legend_columns=2 if with_key else 0)
        style.style_plot(self, "")
        self.visits = tuple(visits)
        self.setMouseEnabled(x=False, y=True)
        # A bare curve: a PlotDataItem would redo its display data on every range change.
        self.line = pg.PlotCurveItem(pen=style.pen(style.GREY, 1.2, alpha=160), connect="finite")
        self.addItem(self.line)
        self.points = VisitPoints(len(self.visits), size=10, pen=style.pen("white"),
                                  symbol=style.condition_symbol(NO_CONDITION),
                                  brush=style.brush(style.condition_colour(NO_CONDITION)))
        self.connect_points(self.points)
        self.note = EmptyNote(self, "no values recorded")
        self.set_ticks("bottom", visit_ticks(self.visits))
        self.set_view(x=(-0.5, len(self.visits) - 0.5), y=(0.0, 1.0))

    @property
    def figure_title(self) -> str:  # type: ignore[override]
        return self.data[0].title if self.data else "Measure"

    def fresh(self) -> MeasurePlot:
        """Exported alone, a measure brings its colour key and its visit labels along."""
        return MeasurePlot(self.visits, with_key=True)

    def draw(self, data: Drawn) -> None:
        series, labels, key = data
        style.set_title(self, series.title)
        style.set_left_label(self, series.unit)
        # a value on a visit not given (missed, cancelled) is shown faded, joined to none
        self.line.setData(series.x, np.where(series.given, series.y, np.nan))
        index = series.x.astype(int)
        plain = series.given.all() and not series.qc_failed.any()
        if np.all(series.slot == NO_CONDITION) and plain:  # the defaults
            self.points.show_visits(index, series.y, series.visit_ids, series.tooltips)
        else:
            slots = series.slot.tolist()
            self.points.show_visits(index, series.y, series.visit_ids, series.tooltips,
                                    [style.brush(style.condition_colour(s),
                                                 255 if g else NOT_GIVEN_ALPHA)
                                     for s, g in zip(slots, series.given.tolist(),
                                                     strict=True)],
                                    [LEFT_OUT_SYMBOL if q else style.condition_symbol(s)
                                     for s, q in zip(slots, series.qc_failed.tolist(),
                                                     strict=True)])
        self.set_view(y=y_range(series.y))
        self.note.show_if(len(series.y) == 0)
        if self.key is not None:  # alone: the participant's kit codes or conditions too
            self.set_ticks("bottom", visit_ticks(labels))
            set_measure_key(self.key, key, bool(series.qc_failed.any()))


class MeasureGrid(pg.GraphicsLayout):
    """The chosen measures in equal columns (as many as the width allows) under one colour
    key; plots are kept and reused when the choice or the columns change, so only setData
    runs on a participant switch."""

    visit_clicked = Signal(str)
    export_requested = Signal(object)
    copy_requested = Signal(object)

    def __init__(self, visits: Sequence[str], columns: int = 2) -> None:
        super().__init__()
        self.visits = tuple(visits)  # the protocol's visit labels: every plot's axis
        self.columns = columns
        self.key = legend(2)  # two a row: four (the conditions) would widen a laptop's figure
        self.plots: dict[str, MeasurePlot] = {}
        self.chosen: list[str] = []
        self.data: ParticipantPlotData | None = None
        self.cached = QGraphicsItem.CacheMode.NoCache

    def cache_fixed_parts(self) -> None:
        """On screen, each plot's title, unit and visit axis, which no participant switch
        changes, are painted from pixmaps kept by Qt instead of laying out their text on
        every repaint. Exports draw replicas, which keep every part as vector text."""
        self.cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
        for plot in self.plots.values():
            self._cache(plot)

    def _cache(self, plot: MeasurePlot) -> None:
        for part in (plot.getAxis("bottom"), plot.titleLabel.item, plot.getAxis("left").label):
            part.setCacheMode(self.cached)

    def plot(self, measure: str) -> MeasurePlot:
        if measure not in self.plots:
            plot = self.plots[measure] = MeasurePlot(self.visits)
            plot.setMinimumHeight(PLOT_HEIGHT)
            plot.setMinimumWidth(plot_width(len(self.visits)))
            plot.visit_clicked.connect(self.visit_clicked)
            plot.export_requested.connect(self.export_requested)
            plot.copy_requested.connect(self.copy_requested)
            self._cache(plot)
        return self.plots[measure]

    def choose(self, measures: Sequence[str]) -> None:
        self.clear()
        self.chosen = list(measures)
        for column in range(MAX_COLUMNS):  # equal widths; unused columns take none
            self.layout.setColumnStretchFactor(column, int(column < self.columns))
        self.addItem(self.key, row=0, col=0, colspan=self.columns)
        for i, name in enumerate(self.chosen):
            self.addItem(self.plot(name), row=1 + i // self.columns, col=i % self.columns)
        if self.data is not None:
            self.set_data(self.data)

    def set_columns(self, columns: int) -> None:
        if columns != self.columns:
            self.columns = columns
            self.choose(self.chosen)

    def set_data(self, data: ParticipantPlotData) -> None:
        self.data = data
        set_measure_key(self.key, data.key,
                        any(data.measures[name].qc_failed.any() for name in self.chosen))
        for name in self.chosen:
            self.plots[name].set_data((data.measures[name], data.visit_labels, data.key))

    def shown(self) -> list[MeasurePlot]:
        return [self.plots[name] for name in self.chosen]
