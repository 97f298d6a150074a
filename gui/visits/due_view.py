"""The Due screen: what needs doing across all participants in the next N days.

Overdue visits, windows open or closing soon and upcoming visits, sortable, each with
its next action; Book… and Log… act on the selected row, and Export calendar… writes
the same period as an iCalendar file.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.common.freshness import Freshness
from gui.common.messages import describe, show_message
from gui.common.table_model import FilterProxy
from gui.common.widgets import placeholder, row_table
from gui.visits.visits_view import DUE_COLOURS, DUE_TEXT, VisitActions, VisitTableModel, legend
from services import visits
from services.calendar_export import export_calendar
from services.context import Actor, App
from services.errors import Refused
from trialcore.wording import counted

DEFAULT_DAYS = 14


class DueView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.today = dt.date.today()
        self.fresh = Freshness(app)
        self.calendar_dialog: QFileDialog | None = None
        self.message: QMessageBox | None = None
        self.days = QSpinBox(minimum=0, maximum=365, value=DEFAULT_DAYS, suffix=" days")
        self.days.valueChanged.connect(self.reload)
        self.filter = QLineEdit(placeholderText="Find: participant, visit, action…",
                                clearButtonEnabled=True)
        self.filter.textChanged.connect(self.proxy_filter)
        self.counts = QLabel()
        self.model = VisitTableModel(["due", "date", "participant", "visit", "window", "booked",
                                      "code", "next"], self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = row_table(self.proxy, 1)
        self.actions = VisitActions(app, actor, self.table, self)
        self.actions.changed.connect(self.reload)
        self.calendar_button = QPushButton("Export &calendar…", clicked=self.open_calendar)
        self.calendar_button.setToolTip("Booked and upcoming visits of this period as an "
                                        "iCalendar (.ics) file; never a condition or kit code")
        self.empty = placeholder("Nothing is due in this period.")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Due in the &next", buddy=self.days))
        bar.addWidget(self.days)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.counts)
        bar.addSpacing(12)
        bar.addWidget(self.actions)
        bar.addWidget(self.calendar_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(legend(DUE_COLOURS, DUE_TEXT))
        self.fresh.stale()  # records what this first read shows
        self.reload()

    def refresh(self) -> None:
        """Called when the tab is shown: another tab or user may have logged something."""
        if not self.fresh.stale():
            return
        self.today = dt.date.today()
        self.reload()

    def reload(self) -> None:
        rows = visits.list_visits(self.app, self.actor, due_days=self.days.value(),
                                  today=self.today)
        self.model.set_rows(rows)
        self.proxy_filter(self.filter.text())
        self.table.resizeColumnsToContents()
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        by_due = Counter(r.due for r in rows)
        self.counts.setText(" · ".join(f"{by_due[k]} {DUE_TEXT[k].lower()}"
                                       for k in DUE_TEXT if by_due[k]))
        self.actions.update_buttons()

    def proxy_filter(self, text: str) -> None:
        self.proxy.set_filter(text)

    def open_calendar(self) -> None:
        dialog = self.calendar_dialog = QFileDialog(self, "Export visits as a calendar",
                                                    "visits.ics", "iCalendar (*.ics)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("ics")
        dialog.fileSelected.connect(self.export_calendar)
        dialog.open()

    def export_calendar(self, path: str) -> None:
        try:
            # The save dialog has asked "Replace?" already when the file exists.
            n = export_calendar(self.app, self.actor, path, days=self.days.value(),
                                today=self.today, force=True)
        except Refused as exc:
            self.message = show_message(self, "Export calendar", describe(exc))
            return
        self.message = show_message(
            self, "Export calendar",
            f"Wrote {counted(n, 'visit')} of the next {counted(self.days.value(), 'day')} "
            f"to {Path(path).name}.", icon=QMessageBox.Icon.Information)
