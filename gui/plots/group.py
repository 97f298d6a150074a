"""The group view: one measure over all participants, one plot per stratum.

After unblinding: condition means ± SEM in the protocol's condition order and
colours, over thin grey lines, one per participant (the figure a paper shows).
Before: means ± SEM by dosing visit only, in one neutral colour; the service
gives nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from gui.plots import style
from gui.plots.items import EmptyNote, FigurePlot, Points, legend, update_legend
from gui.plots.measures import key_samples
from services.plot_data import GroupPlotData, StratumSummary

PLOT_HEIGHT = 340
Drawn = tuple[GroupPlotData, StratumSummary]


def line_alpha(people: int) -> int:
    """Fainter lines for more people, so 8 lines stay visible and 5,000 stay a haze."""
    return int(np.clip(600 / np.sqrt(max(people, 1)), 12, 110))


def isolated(y: np.ndarray) -> np.ndarray:
    """Values with no value beside them: a line cannot show them, a dot does."""
    known = np.isfinite(y)
    return known & ~np.r_[False, known[:-1]] & ~np.r_[known[1:], False]


def value_range(strata: Sequence[StratumSummary]) -> tuple[float, float]:
    """The y range of means ± SEM and individual lines, so strata share one scale."""
    parts = [np.concatenate([s.mean - np.nan_to_num(s.sem), s.mean + np.nan_to_num(s.sem),
                             s.lines_y]) for s in strata]
    values = np.concatenate(parts) if parts else np.empty(0)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)


class StratumPlot(FigurePlot[Drawn]):
    def __init__(self) -> None:
        super().__init__()
        style.style_plot(self, "")
        self.setMouseEnabled(x=False, y=True)
        self.lines = pg.PlotDataItem(connect="finite", antialias=False)
        self.singles = pg.ScatterPlotItem(size=5, pen=None)  # a participant with one value
        self.errors = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), beam=0.12,
                                      pen=style.pen(style.BLACK, 1.5))
        self.means = pg.PlotDataItem(pen=style.pen(style.BLACK, 2), connect="finite")
        self.points = Points(size=14, pen=style.pen("white"))
        for item in (self.lines, self.singles, self.errors, self.means):
            self.addItem(item)
        self.connect_points(self.points)
        self.note = EmptyNote(self, "no values recorded")

    @property
    def figure_title(self) -> str:  # type: ignore[override]
        return f"{self.data[0].title}: {self.data[1].stratum}" if self.data else "Stratum"

    def fresh(self) -> StratumPlot:
        return StratumPlot()

    def draw(self, data: Drawn) -> None:
        group, s = data
        style.set_title(self, f"{s.stratum} (n = {s.participants})")
        style.set_left_label(self, group.unit)
        alpha = line_alpha(s.participants)
        self.lines.setData(s.lines_x, s.lines_y, pen=style.pen(style.GREY, 1, alpha=alpha))
        alone = isolated(s.lines_y)
        self.singles.setData(s.lines_x[alone], s.lines_y[alone],
                             brush=style.brush(style.GREY, min(2 * alpha, 255)))
        x = np.arange(len(group.x_labels), dtype=float)
        known = s.n > 0
        self.errors.setData(x=x[known], y=s.mean[known], top=np.nan_to_num(s.sem[known]),
                            bottom=np.nan_to_num(s.sem[known]))
        self.means.setData(x[known], s.mean[known])
        slots = group.slots[known].tolist()
        self.points.show_points(
            x[known], s.mean[known], [""] * len(slots),
            [t for t, k in zip(s.tooltips, known, strict=True) if k],
            brush=[style.brush(style.condition_colour(i)) for i in slots],
            symbol=[style.condition_symbol(i) for i in slots])
        self.set_ticks("bottom", [(i, f"{label}\nn = {n}") for i, (label, n)
                                  in enumerate(zip(group.x_labels, s.n, strict=True))])
        self.setXRange(-0.5, len(x) - 0.5, padding=0)
        self.setYRange(*value_range([s]), padding=0.06)
        self.note.show_if(not known.any())


class GroupFigure(pg.GraphicsLayout):
    """A heading, the colour key, and the strata side by side on one shared y axis."""

    figure_title = "Group plot"
    export_requested = Signal(object)
    copy_requested = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.data: GroupPlotData | None = None
        self.heading = pg.LabelItem("", justify="left", size=style.TITLE_SIZE)
        self.key = legend(6)
        self.caption = pg.LabelItem("", justify="left")  # what the plot leaves out, and why
        self.plots: dict[str, StratumPlot] = {}
        self.shown: list[str] = []

    def plot(self, stratum: str) -> StratumPlot:
        if stratum not in self.plots:
            plot = self.plots[stratum] = StratumPlot()
            plot.setMinimumHeight(PLOT_HEIGHT)
            plot.export_requested.connect(self.export_requested)
            plot.copy_requested.connect(self.copy_requested)
        return self.plots[stratum]

    def set_data(self, data: GroupPlotData) -> None:
        self.data = data
        names = [s.stratum for s in data.strata]
        if names != self.shown:
            self._lay_out(names)
        style.set_heading(self.heading, data.title, data.heading)
        self._set_key(data)
        self.caption.setText("; ".join(data.left_out))
        for summary in data.strata:
            self.plots[summary.stratum].set_data((data, summary))
        self.plots[names[0]].setYRange(*value_range(data.strata), padding=0.06)  # all linked

    def _lay_out(self, names: list[str]) -> None:
        self.clear()
        self.shown = names
        self.addItem(self.heading, row=0, col=0, colspan=len(names))
        self.addItem(self.key, row=1, col=0, colspan=len(names))
        for i, name in enumerate(names):
            self.addItem(self.plot(name), row=2, col=i)
            self.layout.setColumnStretchFactor(i, 1)
            self.plot(name).setYLink(self.plot(names[0]) if i else None)
        self.addItem(self.caption, row=3, col=0, colspan=len(names))

    def _set_key(self, data: GroupPlotData) -> None:
        names = [k.label for k in data.key] + (["a participant"] if data.unblinded else [])

        def samples() -> list[pg.GraphicsObject]:
            lines = [pg.PlotDataItem(pen=style.pen(style.GREY, 1))] if data.unblinded else []
            return [*key_samples(data.key), *lines]

        update_legend(self.key, names, samples)

    def stratum_plots(self) -> list[StratumPlot]:
        return [self.plots[name] for name in self.shown]

    def replica(self) -> GroupFigure:
        copy = GroupFigure()
        if self.data is not None:
            copy.set_data(self.data)
        return copy
