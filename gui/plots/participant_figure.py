"""One participant's plots as one figure: a heading, the visit timeline, the chosen
measures, and the questionnaire profile beside scan QC. Exported whole, it is a
self-explaining page (who, which stratum, blinded or not)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSizeF, Qt, Signal

from gui.plots import style
from gui.plots.items import FigurePlot
from gui.plots.measures import MeasureGrid
from gui.plots.profile import ProfilePlot
from gui.plots.qc import QcPlot
from gui.plots.timeline import TimelinePlot
from services.plot_data import ParticipantPlotData
from trialcore.protocol import Protocol

TIMELINE_BASE, TIMELINE_ROW = 150, 32  # pixels: title and legend, then per visit
TIMELINE_WIDTH = 470  # its two-column legend fits: the figure fits a 1024-pixel window
BOTTOM_HEIGHT, BOTTOM_WIDTH = 250, 310  # a two-column legend of visit labels fits


class ParticipantFigure(pg.GraphicsLayout):
    figure_title = "Participant plots"
    visit_clicked = Signal(str)
    export_requested = Signal(object)
    copy_requested = Signal(object)

    def __init__(self, protocol: Protocol, columns: int = 2):
        super().__init__()
        self.protocol = protocol
        self.data: ParticipantPlotData | None = None
        self.heading = pg.LabelItem("", justify="left", size=style.TITLE_SIZE)
        self.timeline = TimelinePlot()
        self.timeline.setMinimumSize(TIMELINE_WIDTH,
                                     TIMELINE_BASE + TIMELINE_ROW * len(protocol.visits))
        self.grid = MeasureGrid([protocol.visit_label(v.id) for v in protocol.visits],
                                columns)
        self.profile = ProfilePlot() if any(
            m.kind == "questionnaire" for m in protocol.measures) else None
        self.qc = [QcPlot() for m in protocol.measures if m.qc_max is not None]
        self.addItem(self.heading, row=0, col=0)
        self.addItem(self.timeline, row=1, col=0)
        self.addItem(self.grid, row=2, col=0)
        self.bottom = self.addLayout(row=3, col=0)
        self.bottom_columns = 0
        for plot in self.bottom_plots():
            plot.setMinimumSize(BOTTOM_WIDTH, BOTTOM_HEIGHT)
        self.fit_bottom(len(self.bottom_plots()) * BOTTOM_WIDTH)
        for source in (self.timeline, self.grid, *self.bottom_plots()):
            source.visit_clicked.connect(self.visit_clicked)
            source.export_requested.connect(self.export_requested)
            source.copy_requested.connect(self.copy_requested)

    def fit_bottom(self, width: float) -> None:
        """The profile and QC plots side by side as far as `width` allows, else in rows:
        on a narrow window they wrap instead of widening the figure past it."""
        plots = self.bottom_plots()
        columns = max(1, min(len(plots), int(width // BOTTOM_WIDTH)))
        if columns == self.bottom_columns:
            return
        self.bottom_columns = columns
        for plot in plots:
            if plot.parentItem() is not None:
                self.bottom.removeItem(plot)
        for i, plot in enumerate(plots):
            self.bottom.addItem(plot, row=i // columns, col=i % columns)

    def bottom_plots(self) -> list[FigurePlot[Any]]:
        return [p for p in (self.profile, *self.qc) if p is not None]

    def plots(self) -> list[FigurePlot[Any]]:
        """Every plot shown, top to bottom: what the export dialog offers one by one."""
        return [self.timeline, *self.grid.shown(), *self.bottom_plots()]

    def choose(self, measures: Sequence[str]) -> None:
        self.grid.choose(measures)

    def minimum_size(self) -> QSizeF:
        return self.effectiveSizeHint(Qt.SizeHint.MinimumSize)

    def set_data(self, data: ParticipantPlotData) -> None:
        self.data = data
        style.set_heading(self.heading, data.participant, data.heading)
        self.timeline.set_data(data.timeline)
        self.grid.set_data(data)
        if self.profile is not None:
            self.profile.set_data((data.profile, data.unblinded))
        for plot, qc in zip(self.qc, data.qc, strict=True):
            plot.set_data((qc, data.visit_labels))

    def replica(self) -> ParticipantFigure:
        copy = ParticipantFigure(self.protocol, self.grid.columns)
        copy.fit_bottom(self.bottom_columns * BOTTOM_WIDTH)
        copy.choose(self.grid.chosen)
        if self.data is not None:
            copy.set_data(self.data)
        return copy
