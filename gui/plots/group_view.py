"""The "Group plots" tab: choose a measure, see it over all participants by stratum.

Data are re-read when the tab is shown and when the shared data_changed event
fires while it is visible; a hidden tab only notes that it is stale.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
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
from gui.plots.group import GroupFigure
from gui.plots.lifetime import delete_at_exit
from services import plot_data
from services.context import Actor, App
from services.errors import Refused


class GroupView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        style.configure()
        self.app, self.actor = app, actor
        self.stale = True
        self.exports = Exports(self, self.figures)
        self.measure = QComboBox()
        for m in app.protocol.measures:
            self.measure.addItem(f"{m.label} ({m.unit})", m.name)
        self.measure.currentIndexChanged.connect(self.reload)
        self.figure = GroupFigure()
        self.figure.export_requested.connect(self.exports.export)
        self.figure.copy_requested.connect(self.exports.copy)
        self.view = delete_at_exit(pg.GraphicsView(background="w"))
        self.view.setCentralItem(self.figure)
        self.view.scene().contextMenu = []  # pyqtgraph's own export: ours is in each plot
        self.message = placeholder("")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.view)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("&Measure:", buddy=self.measure))
        bar.addWidget(self.measure, 1)
        bar.addWidget(QPushButton("&Export plot…", clicked=self.export_plot))
        bar.addWidget(QPushButton("&Copy", clicked=self.copy_plot))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        events().data_changed.connect(self._data_changed)

    def showEvent(self, event: QShowEvent) -> None:
        """Shown with stale data: load, unless a refresh() right after the show does."""
        super().showEvent(event)
        if self.stale:
            QTimer.singleShot(0, self, self._reload_if_stale)  # dropped if self is deleted

    def _reload_if_stale(self) -> None:
        if self.stale and self.isVisible():
            self.reload()

    def refresh(self) -> None:
        """Called when the tab is shown: the stage or the data may have changed."""
        self.reload()

    def _data_changed(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self.stale = True

    def reload(self) -> None:
        try:
            data = plot_data.group_plot(self.app, self.actor, self.measure.currentData())
        except Refused as exc:
            self.message.setText(worded(exc))
            self.stack.setCurrentWidget(self.message)
            return
        self.figure.set_data(data)
        self.stack.setCurrentWidget(self.view)
        self.stale = False

    def figures(self) -> list[Figure]:
        """What can be exported: the whole figure, then each plot; nothing before data."""
        shown = self.stack.currentWidget() is self.view
        return [self.figure, *self.figure.stratum_plots()] if shown else []

    def export_plot(self) -> None:
        """File → Export plot… (and the button): the whole figure preselected."""
        self.exports.export()

    def copy_plot(self) -> None:
        self.exports.copy()
