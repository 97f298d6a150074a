"""The participant plots panel: the figure, a measure chooser, export and copy.

It follows the shared events (gui/common/events.py): a participant selected anywhere
is shown here, data changed anywhere are re-read, and a click on a plotted
visit asks the visit view to show it. Embed it beside any participant list.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.hints import worded
from gui.common.widgets import placeholder
from gui.plots import style
from gui.plots.export import Figure
from gui.plots.export_dialog import Exports
from gui.plots.lifetime import delete_at_exit
from gui.plots.measures import columns_for
from gui.plots.participant_figure import ParticipantFigure
from services import plot_data
from services.context import Actor, App
from services.errors import Refused
from trialcore.protocol import Protocol

DEFAULT_MEASURES = 6
NOTHING_CHOSEN = "Select a participant to see their visit timeline and measures."


def default_measures(protocol: Protocol) -> list[str]:
    """Outcome scans first (QC has its own plot, scales their profile), at most six."""
    outcomes = [m.name for m in protocol.measures if m.kind == "scan" and m.qc_max is None]
    return (outcomes or [m.name for m in protocol.measures])[:DEFAULT_MEASURES]


class MeasureChooser(QListWidget):
    """A checkable list of the protocol's measures, in protocol order."""

    changed = Signal()  # the measures checked

    def __init__(self, protocol: Protocol, chosen: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.itemChanged.connect(self.changed)
        for m in protocol.measures:
            item = QListWidgetItem(m.label)
            item.setData(Qt.ItemDataRole.UserRole, m.name)
            item.setToolTip(f"{m.label} ({m.unit}): {m.kind}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if m.name in chosen
                               else Qt.CheckState.Unchecked)
            self.addItem(item)

    def set_chosen(self, names: list[str]) -> None:
        """Check exactly these; one `changed` for the lot, not one per item."""
        self.blockSignals(True)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole)
                               in names else Qt.CheckState.Unchecked)
        self.blockSignals(False)
        self.changed.emit()

    def chosen(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]


class ParticipantPlots(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        style.configure()
        self.app, self.actor = app, actor
        self.label: str | None = None
        self.exports = Exports(self, self.figures)
        self.figure = ParticipantFigure(app.protocol)
        self.figure.grid.cache_fixed_parts()  # on screen only: exports draw replicas
        self.chooser = MeasureChooser(app.protocol, default_measures(app.protocol))
        self.chooser.setFixedWidth(220)
        self.chooser.setWordWrap(True)  # a long measure name on two lines, never cut
        self.chooser.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.chooser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chooser.changed.connect(self._measures_changed)
        self.view = delete_at_exit(pg.GraphicsView(background="w"))
        self.view.setCentralItem(self.figure)
        self.message = placeholder(NOTHING_CHOSEN)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self._scroller())
        self.export_button = QPushButton("&Export plot…", clicked=self.export_plot)
        self.copy_button = QPushButton("&Copy", clicked=self.copy_plot)
        self._lay_out()
        self.figure.visit_clicked.connect(self._visit_clicked)
        self.figure.export_requested.connect(self.exports.export)
        self.figure.copy_requested.connect(self.exports.copy)
        self.view.scene().contextMenu = []  # pyqtgraph's own export: ours is in each plot
        hub = events()
        hub.participant_selected.connect(self.show_participant)
        hub.data_changed.connect(self.reload)
        self._measures_changed()

    def _scroller(self) -> QScrollArea:
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.view)
        return self.scroll

    def _lay_out(self) -> None:
        side = QVBoxLayout()
        side.addWidget(QLabel("Measures shown:"))
        side.addWidget(self.chooser, 1)
        side.addWidget(self.export_button)
        side.addWidget(self.copy_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addLayout(side)
        self._enable(False)

    def _enable(self, shown: bool) -> None:
        self.stack.setCurrentIndex(1 if shown else 0)
        self.export_button.setEnabled(shown)
        self.copy_button.setEnabled(shown)

    def _measures_changed(self) -> None:
        """The plots of the measures checked, made once there is a participant to show:
        the tab's first show, with nobody chosen yet, makes none of them."""
        if self.label is not None:
            self._choose()

    def _choose(self) -> None:
        if self.figure.grid.chosen != self.chooser.chosen():
            self.figure.choose(self.chooser.chosen())
            self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Measure plots wrap to the width shown, so visit labels never crowd."""
        super().resizeEvent(event)
        width = self.stack.width() - self.scroll.verticalScrollBar().sizeHint().width()
        columns = columns_for(width, len(self.app.protocol.visits))
        bottom = self.figure.bottom_columns
        self.figure.fit_bottom(width)
        if columns != self.figure.grid.columns or bottom != self.figure.bottom_columns:
            self.figure.grid.set_columns(columns)
            self._fit()

    def _fit(self) -> None:
        """The view is as large as the figure needs (legends grow with the data): a narrow
        window scrolls, it never clips a plot."""
        least = self.figure.minimum_size().toSize()
        if least != self.view.minimumSize():
            self.view.setMinimumSize(least)

    def show_participant(self, label: str) -> None:
        """Fetch and draw; the plots' items stay, only their data change."""
        if label == self.label and self.stack.currentIndex() == 1:
            return
        self.label = label
        self.reload()

    def reload(self) -> None:
        if self.label is None:
            return
        try:
            data = plot_data.participant_plots(self.app, self.actor, self.label)
        except Refused as exc:
            self.message.setText(worded(exc))
            self._enable(False)
            return
        self._choose()
        self.figure.set_data(data)
        self._fit()
        self._enable(True)

    def refresh(self) -> None:
        """Called when the tab is shown: the data may have changed elsewhere."""
        self.reload()

    def figures(self) -> list[Figure]:
        """What can be exported: the whole figure, then each plot; nothing before data."""
        shown = self.stack.currentIndex() == 1
        return [self.figure, *self.figure.plots()] if shown else []

    def export_plot(self) -> None:
        """File → Export plot… (and the button): the whole figure preselected."""
        self.exports.export()

    def copy_plot(self) -> None:
        self.exports.copy()

    def _visit_clicked(self, visit: str) -> None:
        if self.label is not None:
            events().visit_requested.emit(self.label, visit)
