"""The visit timeline: each visit's window as a band, its target as a tick, and what
happened as a marker (done, done outside the window, missed, booked), against today."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import FigurePlot, Points
from services.plot_data import VisitTimeline

DAY = 86400.0  # the date axis counts seconds; the service counts days
MIDDAY = 0.5  # a date's marker sits in the middle of its day, inside its band

MARKERS = {  # name: (legend text, marker options)
    "target": ("target", {"symbol": "|", "size": 18, "pen": style.pen(style.BLACK, 2),
                          "brush": style.brush(style.BLACK)}),
    "done": ("done", {"symbol": "o", "size": 11, "pen": style.pen("white"),
                      "brush": style.brush(style.GREEN)}),
    "deviation": ("done outside the window", {"symbol": "d", "size": 14,
                                              "pen": style.pen("white"),
                                              "brush": style.brush(style.VERMILLION)}),
    "missed": ("missed", {"symbol": "x", "size": 14, "pen": style.pen(style.BLACK),
                          "brush": style.brush(style.BLACK)}),
    "booked": ("booked", {"symbol": "o", "size": 11, "pen": style.pen(style.BLUE, 2),
                          "brush": style.brush("white")}),
}
BAND = style.brush(style.SKY, 90)
CANCELLED_BAND = style.brush(style.GREY, 40)


class TimelinePlot(FigurePlot[VisitTimeline]):
    figure_title = "Visit timeline"

    def __init__(self) -> None:
        super().__init__(legend_columns=len(MARKERS) + 2,
                         axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        style.style_plot(self, "Visit timeline", bottom="date")
        self.invertY(True)
        self.setMouseEnabled(x=True, y=False)
        self.getAxis("left").setWidth(150)
        self.bands = pg.BarGraphItem(x0=[], x1=[], y=[], height=0.5)
        self.addItem(self.bands)
        self.markers = {name: Points(**opts) for name, (_, opts) in MARKERS.items()}
        self.connect_points(*self.markers.values())
        self.today = pg.InfiniteLine(angle=90, pen=style.pen(style.PURPLE, 1.5, dashed=True))
        self.addItem(self.today)
        self.set_key([(pg.BarGraphItem(x=[0], height=[1], width=1, brush=BAND, pen=None),
                       "window"),
                      *((pg.ScatterPlotItem(**opts), text) for text, opts in MARKERS.values()),
                      (pg.PlotDataItem(pen=self.today.pen), "today")])

    def fresh(self) -> TimelinePlot:
        return TimelinePlot()

    def draw(self, t: VisitTimeline) -> None:
        rows = np.arange(len(t.visit_ids), dtype=float)
        scheduled = ~np.isnan(t.window_start)
        cancelled = np.array([s == "cancelled" for s in t.status])
        self.bands.setOpts(x0=t.window_start[scheduled] * DAY,
                           x1=(t.window_end[scheduled] + 1) * DAY, y=rows[scheduled],
                           height=0.5, pens=[None] * int(scheduled.sum()),
                           brushes=[CANCELLED_BAND if c else BAND for c in cancelled[scheduled]])
        done = np.array([s == "done" for s in t.status])
        booked = np.array([s == "booked" for s in t.status])
        shown = {"target": (t.target, ~np.isnan(t.target)),
                 "done": (t.actual, done & ~t.deviation), "deviation": (t.actual, t.deviation),
                 "missed": (t.actual, t.missed & ~np.isnan(t.actual)),
                 "booked": (t.booked, booked & ~np.isnan(t.booked))}
        for name, (days, mask) in shown.items():
            self.markers[name].show_points(
                (days[mask] + MIDDAY) * DAY, rows[mask],
                [v for v, m in zip(t.visit_ids, mask, strict=True) if m],
                [tip for tip, m in zip(t.tooltips, mask, strict=True) if m])
        self.today.setPos((t.today + MIDDAY) * DAY)
        self.getAxis("left").setTicks([list(enumerate(t.labels))])
        known = np.concatenate([t.window_start, t.window_end + 1, t.actual, t.booked, [t.today]])
        known = known[~np.isnan(known)]
        self.setXRange((known.min() - 2) * DAY, (known.max() + 2) * DAY, padding=0)
        self.setYRange(-0.6, len(rows) - 0.4, padding=0)
