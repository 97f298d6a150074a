"""The "Participant plots" tab: a compact participant list beside the plots panel.

Choosing here announces the participant on the shared events, so the register
follows; choosing in the register is followed here. Up and down arrows step
through participants with the plots redrawing as they go.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.table_model import Column, FilterProxy, RowTableModel
from gui.plots.participant_panel import ParticipantPlots
from services import participants
from services.context import Actor, App

SIZED_ROWS = 100
COLUMNS = [
    Column("ID", lambda r: r.label, lambda r: r.number),
    Column("Stratum", lambda r: r.stratum or "", lambda r: r.stratum),
    Column("Status", lambda r: r.status.capitalize()),
]


class ParticipantPlotsTab(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.filter = QLineEdit(placeholderText="Find: 7, P007 or any text",
                                clearButtonEnabled=True)
        self.model = RowTableModel(COLUMNS, self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter.textChanged.connect(self.proxy.set_filter)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        # sized from this many rows (visible ones first), not Qt's 1,000, each measured
        # through Python: at 10,000 participants that was half of the tab's first show
        self.table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.panel = ParticipantPlots(app, actor)
        picker = QWidget()
        side = QVBoxLayout(picker)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.filter)
        side.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(picker)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 1000])
        QVBoxLayout(self).addWidget(splitter)
        events().participant_selected.connect(self.select)
        self.reload()

    def reload(self) -> None:
        current = self.panel.label
        self.model.set_rows(participants.list_participants(self.app, self.actor))
        self.proxy.set_filter(self.filter.text())
        if current:
            self.select(current)

    def refresh(self) -> None:
        """Called when the tab is shown: new participants, new data, maybe a new stage."""
        self.reload()
        self.panel.refresh()

    def select(self, label: str) -> None:
        """Follow a selection made anywhere; already selected means nothing to do."""
        rows = self.table.selectionModel().selectedRows()
        if rows and self.proxy.row(rows[0]).label == label:
            return
        for i in range(self.proxy.rowCount()):
            if self.proxy.row(self.proxy.index(i, 0)).label == label:
                self.table.selectRow(i)
                return

    def _chosen(self, *_: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            label = self.proxy.row(rows[0]).label
            self.panel.show_participant(label)  # shown here even if already current elsewhere
            events().select_participant(label)
