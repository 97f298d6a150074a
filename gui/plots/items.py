"""Building blocks: markers with tooltips that report clicks, and the base of every plot.

A FigurePlot keeps its items and redraws with setData; it can make a replica
holding the same data (for exports at any size), and its right-click menu
offers export and copy, which the owning view carries out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QBrush
from PySide6.QtWidgets import QSizePolicy

from gui.plots import style

T = TypeVar("T")
LEGEND_ROW, LEGEND_MARGIN = 18, 8  # pixels, for 9-point labels


class Points(pg.ScatterPlotItem):
    """Markers whose tooltip is their own text and whose click names their visit."""

    clicked_visit = Signal(str)

    def __init__(self, **opts: Any):
        super().__init__(hoverable=True, tip=self._tip, pxMode=True, **opts)
        self.sigClicked.connect(self._clicked)

    @staticmethod
    def _tip(x: float, y: float, data: Any) -> str:
        return data[1] if data is not None else ""

    def _clicked(self, _item: object, points: Sequence[Any], _event: object) -> None:
        if len(points) and points[0].data() is not None:
            self.clicked_visit.emit(points[0].data()[0])

    def show_points(self, x: np.ndarray, y: np.ndarray, visits: Sequence[str],
                    tips: Sequence[str], **opts: Any) -> None:
        """setData with (visit, tooltip) attached to each marker."""
        data = np.empty(len(x), dtype=object)
        data[:] = list(zip(visits, tips, strict=True))
        self.setData(x=x, y=y, data=data, **opts)


class VisitPoints(Points):
    """One marker per protocol visit, made once at x = 0, 1, …: a redraw moves the markers
    in place (their y), hides the visits without a value and restyles only when the colours
    change, instead of pyqtgraph's setData rebuilding every marker and its style.

    `data` stays pyqtgraph's record array (a view of it, no copy): the markers shown are
    those with `data["visible"]`."""

    def __init__(self, visits: int, **opts: Any):
        super().__init__(**opts)
        self.looks: tuple[Any, ...] | None = ()  # the per-visit (brush, symbol) set last
        blank = np.empty(visits, dtype=object)
        blank[:] = [None] * visits
        self.setData(x=np.arange(visits, dtype=float), y=np.zeros(visits), data=blank)
        self.setPointsVisible(False)

    def show_visits(self, index: np.ndarray, y: np.ndarray, visits: Sequence[str],
                    tips: Sequence[str], brushes: Sequence[QBrush] | None = None,
                    symbols: Sequence[str] | None = None) -> None:
        """Values at the visits numbered `index` (the others hidden), each with its
        (visit, tooltip); brushes and symbols per value, or None for the item's own."""
        points = self.data
        shown = np.zeros(len(points), dtype=bool)
        shown[index] = True
        column = np.full(len(points), float(y[0]) if len(y) else 0.0)  # hidden: inside the data
        column[index] = y
        points["y"] = column
        points["visible"] = shown
        data = np.empty(len(points), dtype=object)
        data[:] = [None] * len(points)
        data[index] = list(zip(visits, tips, strict=True))
        points["data"] = data
        looks = None if brushes is None else (tuple(index.tolist()), tuple(brushes),
                                                tuple(symbols or ()))
        if looks != self.looks:
            self.looks = looks
            brush = np.empty(len(points), dtype=object)
            symbol = np.empty(len(points), dtype=object)
            if brushes is not None:
                brush[index] = list(brushes)
                symbol[index] = list(symbols or [None] * len(index))
            points["brush"], points["symbol"] = brush, symbol
            points["sourceRect"] = 0
            self.updateSpots()
        # What pyqtgraph's setData does after new points: bounds, view and picture anew.
        self.prepareGeometryChange()
        self.bounds = [None, None]
        self.informViewBoundsChanged()
        self.invalidate()

    def shown(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of the markers shown."""
        visible = self.data["visible"]
        return self.data["x"][visible], self.data["y"][visible]


def legend(columns: int) -> pg.LegendItem:
    """A legend laid out in rows above the data, where it can never cover a point.

    Its size is set, not hinted: pyqtgraph's legend hints its size an event-loop
    turn after its text changes, too late to size the figure when data change.
    Its height follows its rows (update_legend); its width never widens the
    figure, whose plots set minimum widths its text fits in."""
    key = pg.LegendItem(colCount=columns, labelTextSize=f"{style.FONT_POINTS}pt",
                        horSpacing=14, verSpacing=-4)
    key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    key.setFixedHeight(0)
    return key


class EmptyNote(pg.TextItem):
    """Grey text in the middle of a plot's data area, shown when there is nothing to draw."""

    def __init__(self, plot: pg.PlotItem, text: str):
        super().__init__(text, color=style.GREY, anchor=(0.5, 0.5))
        self.box = plot.getViewBox()
        self.setParentItem(self.box)
        self.box.sigResized.connect(self._centre)
        self.empty = False
        self.hide()

    def show_if(self, empty: bool) -> None:
        """Shown or hidden only on a change: most redraws leave it as it is."""
        if empty != self.empty:
            self.empty = empty
            self.setVisible(empty)
            self._centre()

    def _centre(self) -> None:
        self.setPos(self.box.boundingRect().center())


class FigurePlot(pg.PlotItem, Generic[T]):
    """A plot that draws one kind of data; subclasses implement draw() and fresh()."""

    visit_clicked = Signal(str)
    export_requested = Signal(object)  # this plot
    copy_requested = Signal(object)

    figure_title = "Plot"

    def __init__(self, legend_columns: int = 0, **plot_options: Any):
        super().__init__(**plot_options)
        self.data: T | None = None
        # Never shown, so never told of range changes: a linked axis redoes its label's
        # HTML on every change of range, hidden or not.
        for side in ("top", "right"):
            self.getAxis(side).unlinkFromView()
        # Every plot sets its ranges from its data (set_view): no auto-range to recompute.
        self.getViewBox().disableAutoRange()
        self.ticks: dict[str, list[tuple[float, str]]] = {}  # as last set, per axis
        self.key: pg.LegendItem | None = None
        if legend_columns:
            self.key = legend(legend_columns)
            # The top axis is never shown here: its cell, above the data, holds the legend.
            self.layout.removeItem(self.getAxis("top"))
            self.layout.addItem(self.key, 1, 1)
        self._actions = [QAction("Export this plot…", self), QAction("Copy this plot", self)]
        self._actions[0].triggered.connect(lambda: self.export_requested.emit(self))
        self._actions[1].triggered.connect(lambda: self.copy_requested.emit(self))

    def getContextMenus(self, event: object) -> list[QAction]:
        """Replaces pyqtgraph's 'Plot Options' with export and copy."""
        return self._actions

    def set_data(self, data: T) -> None:
        self.data = data
        self.draw(data)

    def draw(self, data: T) -> None:
        raise NotImplementedError

    def fresh(self) -> FigurePlot[T]:
        """An empty plot made like this one."""
        raise NotImplementedError

    def replica(self) -> FigurePlot[T]:
        copy = self.fresh()
        if self.data is not None:
            copy.set_data(self.data)
        return copy

    def connect_points(self, *items: Points) -> None:
        for item in items:
            self.addItem(item)
            item.clicked_visit.connect(self.visit_clicked)

    def set_key(self, names: Sequence[str],
                samples: Callable[[], Sequence[pg.GraphicsObject]]) -> None:
        """Rewrite the legend only when its names change: samples are made only then."""
        if self.key is not None:
            update_legend(self.key, names, samples)

    def set_view(self, x: tuple[float, float] | None = None,
                 y: tuple[float, float] | None = None) -> None:
        """Set the ranges shown, exactly (no padding), skipping a range already shown: each
        change redraws that axis. Auto-range stays off, as __init__ left it."""
        box = self.getViewBox()
        shown = box.viewRange()
        changed = {name: tuple(map(float, wanted)) for name, wanted, now
                   in (("xRange", x, shown[0]), ("yRange", y, shown[1]))
                   if wanted is not None and tuple(map(float, wanted)) != tuple(now)}
        if changed:
            box.setRange(**changed, padding=0, disableAutoRange=False)

    def set_ticks(self, side: str, ticks: list[tuple[float, str]]) -> None:
        """New tick labels only when they differ: a change redraws the whole axis."""
        if self.ticks.get(side) != ticks:
            self.ticks[side] = ticks
            self.getAxis(side).setTicks([ticks])


def update_legend(key: pg.LegendItem, names: Sequence[str],
                  samples: Callable[[], Sequence[pg.GraphicsObject]]) -> None:
    if [label.text for _, label in key.items] == list(names):
        return
    key.clear()
    for sample, name in zip(samples(), names, strict=True):
        key.addItem(sample, name)
    rows = -(-len(names) // key.columnCount)
    key.setFixedHeight(LEGEND_ROW * rows + LEGEND_MARGIN if rows else 0)
