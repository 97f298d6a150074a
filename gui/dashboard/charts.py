"""The dashboard's two figures, exportable like the other plots (gui/plots/export.py):
enrolment over time against the target, and the CONSORT-style flow of participants.
The numbers come from services.dashboard; these only draw them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyqtgraph as pg

from gui.plots import style
from gui.plots.items import FigurePlot

DAY = 86400.0  # seconds: the date axis counts in them


class EnrolmentPlot(FigurePlot[dict[str, Any]]):
    figure_title = "Enrolment over time"

    def __init__(self) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem()})
        style.style_plot(self, "Enrolment over time", left="participants enrolled")
        self.setMouseEnabled(x=False, y=False)
        self.curve = pg.PlotDataItem(stepMode="right", pen=style.pen(style.BLUE, 2))
        self.target = pg.InfiniteLine(angle=0, pen=style.pen(style.VERMILLION, 1.5,
                                                             dashed=True),
                                      label="target {value:g}",
                                      labelOpts={"position": 0.08, "color": style.VERMILLION})
        self.addItem(self.curve)
        self.addItem(self.target)

    def fresh(self) -> EnrolmentPlot:
        return EnrolmentPlot()

    def draw(self, data: dict[str, Any]) -> None:
        points = data["points"]
        days = [dt.date.fromisoformat(p["date"]) for p in points]
        today = dt.date.today()
        x = np.array([_seconds(d) for d in [*days, max(today, *days)]] if days else [])
        y = np.array([p["enrolled"] for p in points] + [points[-1]["enrolled"]]
                     if points else [])
        self.curve.setData(x, y)
        target = data["target"]
        self.target.setVisible(target is not None)
        if target is not None:
            self.target.setValue(target)
        top = max([target or 0, *(y if len(y) else [0])], default=0)
        start = x[0] if len(x) else _seconds(today) - 30 * DAY
        end = x[-1] if len(x) else _seconds(today)
        self.setRange(xRange=(start - DAY, end + DAY), yRange=(0, max(top, 1) * 1.1),
                      padding=0)


def _seconds(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, 12).timestamp()


class FlowFigure(pg.GraphicsLayout):
    """Boxes top to bottom: registered; per stratum enrolled, each dosing visit done,
    withdrawn and analysed."""

    figure_title = "Participant flow"

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] | None = None
        self.setContentsMargins(10, 10, 10, 10)

    def replica(self) -> FlowFigure:
        copy = FlowFigure()
        if self.data is not None:
            copy.set_data(self.data)
        return copy

    def set_data(self, data: dict[str, Any]) -> None:
        self.data = data
        self.clear()
        strata = data["strata"]
        columns = max(len(strata), 1)
        self.addLabel("<b>Participant flow</b>", row=0, col=0, colspan=columns,
                      size=style.TITLE_SIZE, color=style.BLACK)
        self.addLabel(f"Registered: <b>{data['registered']}</b>", row=1, col=0,
                      colspan=columns, color=style.BLACK)
        for col, s in enumerate(strata):
            lines = [f"<b>{s['stratum']}</b>", f"Enrolled: <b>{s['enrolled']}</b>", "↓",
                     *(f"{v['label']} done: <b>{v['done']}</b>" for v in s["visits"]), "↓",
                     f"Withdrawn: <b>{s['withdrawn']}</b>",
                     f"Analysed (all doses): <b>{s['analysed']}</b>"]
            for row, line in enumerate(lines, start=2):
                self.addLabel(line, row=row, col=col, color=style.BLACK)
