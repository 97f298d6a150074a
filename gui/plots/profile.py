"""Questionnaire scales as a profile: one line per visit across the scales, each scale
drawn as the percentage of its own range so scales of different lengths compare."""

from __future__ import annotations

import textwrap

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import EmptyNote, FigurePlot, Points
from services.plot_data import Profile, ProfileLine

LABEL_WIDTH, LABEL_LINES = 14, 3  # how a scale's name is wrapped under the axis


def line_look(line: ProfileLine, unblinded: bool, visits: int) -> tuple[str, bool, str]:
    """(colour, dashed, symbol): a condition's colour and symbol once unblinded, else one
    hue darkening with time and a symbol per visit."""
    if unblinded:
        return style.condition_colour(line.slot), line.slot < 0, \
            style.condition_symbol(line.slot)
    return style.visit_shade(line.visit_index, visits), False, \
        style.CONDITION_SYMBOLS[line.visit_index % len(style.CONDITION_SYMBOLS)]


class ProfilePlot(FigurePlot[tuple[Profile, bool]]):
    figure_title = "Questionnaire profile"

    def __init__(self) -> None:
        super().__init__(legend_columns=2)
        style.style_plot(self, "Questionnaire profile", left="% of the scale's range",
                         sizes=(style.AXIS_WIDTH, 58))  # three-line scale names
        self.setMouseEnabled(x=False, y=False)
        self.lines: list[tuple[pg.PlotDataItem, Points]] = []
        self.note = EmptyNote(self, "no questionnaire scores recorded")

    def fresh(self) -> ProfilePlot:
        return ProfilePlot()

    def _line(self, i: int) -> tuple[pg.PlotDataItem, Points]:
        while len(self.lines) <= i:
            curve = pg.PlotDataItem(connect="finite")
            points = Points(size=9)
            self.addItem(curve)
            self.connect_points(points)
            self.lines.append((curve, points))
        return self.lines[i]

    def draw(self, data: tuple[Profile, bool]) -> None:
        profile, unblinded = data
        x = np.arange(len(profile.scales), dtype=float)
        looks = [line_look(line, unblinded, profile.visits) for line in profile.lines]
        for i, (line, (colour, dashed, symbol)) in enumerate(zip(profile.lines, looks,
                                                                 strict=True)):
            curve, points = self._line(i)
            curve.setData(x, line.y, pen=style.pen(colour, 2, dashed=dashed))
            known = ~np.isnan(line.y)
            points.show_points(x[known], line.y[known], [line.visit] * int(known.sum()),
                               [t for t, k in zip(line.tooltips, known, strict=True) if k],
                               brush=style.brush(colour), pen=style.pen("white"),
                               symbol=symbol)
        for curve, points in self.lines[len(profile.lines):]:
            curve.setData([], [])
            points.setData([], [])
        self.set_key([line.label for line in profile.lines],
                     lambda: [pg.PlotDataItem(pen=style.pen(colour, 2, dashed=dashed))
                              for colour, dashed, _ in looks])
        self.set_ticks("bottom", [
            (i, "\n".join(textwrap.wrap(label, LABEL_WIDTH)[:LABEL_LINES]))
            for i, label in enumerate(profile.scale_labels)])
        self.setRange(xRange=(-0.4, max(len(x) - 0.6, 0.4)), yRange=(-5, 105), padding=0)
        self.note.show_if(not profile.lines)
