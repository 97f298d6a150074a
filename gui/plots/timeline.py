"""The visit timeline: each visit's window as a band, its target as a tick, and what
happened as a marker (done, done outside the window, missed, booked), against today."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import FigurePlot, Points
from services.plot_data import VisitTimeline

DAY = 86400.0  # the date axis counts seconds; the service counts days
MIDDAY = 0.5  # a date's marker sits in the middle of its day, inside its band

MARKERS = {  # kind: (legend text, marker style)
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
    "cancelled": ("cancelled", {"symbol": "s", "size": 11, "pen": style.pen(style.BLACK, 1.5),
                                "brush": style.brush(style.GREY)}),
}
BAND = style.brush(style.SKY, 90)
LABEL_WIDTH = 180  # pixels: a pyqtgraph axis drops a tick label wider than itself
CANCELLED_BAND = style.brush(style.GREY, 110)  # a cancelled visit's window: grey, not blue
TODAY_PEN = style.pen(style.PURPLE, 1.5, dashed=True)
KEY = ["window", *(text for text, _ in MARKERS.values()), "today"]


def key_samples() -> list[pg.GraphicsObject]:
    return [pg.BarGraphItem(x=[0], height=[1], width=1, brush=BAND, pen=None),
            *(pg.ScatterPlotItem(**opts) for _, opts in MARKERS.values()),
            pg.PlotDataItem(pen=TODAY_PEN)]


def marked(t: VisitTimeline) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per marker kind: the day numbers and which visits have that marker."""
    done = np.array([s == "done" for s in t.status])
    booked = np.array([s == "booked" for s in t.status])
    cancelled = np.array([s == "cancelled" for s in t.status])
    return {"target": (t.target, ~np.isnan(t.target)),
            "done": (t.actual, done & ~t.deviation), "deviation": (t.actual, t.deviation),
            "missed": (t.actual, t.missed & ~np.isnan(t.actual)),
            "booked": (t.booked, booked & ~np.isnan(t.booked)),
            "cancelled": (t.target, cancelled & ~np.isnan(t.target))}  # at the date it had


class DateAxis(pg.DateAxisItem):
    """pyqtgraph's date axis, without the day numbers that would collide with a month's
    name ("Dec" over "03"): a day tick closer to a month tick than most days are to each
    other is left out, and the month's name stands for it."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        levels = super().tickValues(minVal, maxVal, size)
        if len(levels) < 2 or levels[0][0] <= levels[1][0] * 7:  # months over days only
            return levels
        months = np.array(levels[0][1])
        (spacing, days), rest = levels[1], levels[2:]
        gap = float(np.median(np.diff(days))) if len(days) > 1 else spacing
        kept = [d for d in days if not len(months) or np.min(np.abs(months - d)) >= 0.6 * gap]
        return [levels[0], (spacing, kept), *rest]


class TimelinePlot(FigurePlot[VisitTimeline]):
    figure_title = "Visit timeline"

    def __init__(self) -> None:
        super().__init__(legend_columns=2,  # four rows: fits above a laptop's data area
                         axisItems={"bottom": DateAxis(utcOffset=0)})
        # the left axis holds the longest visit label: 'Dosing 2 · MDMA 120 mg' unblinded
        style.style_plot(self, "Visit timeline", bottom="date", sizes=(LABEL_WIDTH, 45))
        self.invertY(True)
        self.setMouseEnabled(x=True, y=False)
        self.bands = pg.BarGraphItem(x0=[], x1=[], y=[], height=0.5)
        self.addItem(self.bands)
        self.markers = Points()  # every marker kind in one item: one setData per redraw
        self.connect_points(self.markers)
        self.today = pg.InfiniteLine(angle=90, pen=TODAY_PEN)
        self.addItem(self.today)
        self.set_key(KEY, key_samples)

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
        x, y, visits, tips, looks = [], [], [], [], []
        for kind, (days, mask) in marked(t).items():
            chosen = np.flatnonzero(mask)
            x.append((days[chosen] + MIDDAY) * DAY)
            y.append(rows[chosen])
            visits += [t.visit_ids[i] for i in chosen]
            tips += [t.tooltips[i] for i in chosen]
            looks += [MARKERS[kind][1]] * len(chosen)
        self.markers.show_points(np.concatenate(x), np.concatenate(y), visits, tips,
                                 **{k: [look[k] for look in looks]
                                    for k in ("symbol", "size", "pen", "brush")})
        self.today.setPos((t.today + MIDDAY) * DAY)
        self.set_ticks("left", list(enumerate(t.labels)))
        known = np.concatenate([t.window_start, t.window_end + 1, t.actual, t.booked, [t.today]])
        known = known[~np.isnan(known)]
        self.setRange(xRange=((known.min() - 2) * DAY, (known.max() + 2) * DAY),
                      yRange=(-0.6, len(rows) - 0.4), padding=0)
