"""One participant's visits: dates, windows and status colours, with Book… and Log….

The Due and Visits tabs share the row model and colours defined here, so a
visit looks the same wherever it is listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.common.chooser import ParticipantChooser
from gui.common.events import events
from gui.common.freshness import Freshness
from gui.common.messages import show_message
from gui.common.read_only import mark_write
from gui.common.table_model import Column, RowTableModel
from gui.common.widgets import ElidedLabel, date_text, placeholder, row_table, selected_row
from gui.visits.data_capture_actions import DataCaptureActions
from gui.visits.visit_dialogs import BookVisitDialog, LogVisitDialog, VisitDialog
from services import participants, visits
from services.context import Actor, App
from services.visits import VisitRow
from trialcore.roles import allowed, roles_with

# Light tints, readable with black text; the legend under each list names them.
FLAG_COLOURS = {
    "done": "#c8e6c9", "missed": "#b0bec5", "booked": "#bbdefb", "overdue": "#ffcdd2",
    "deviation": "#ffe0b2", "cancelled": "#d7ccc8", "scheduled": "#ffffff",
}
FLAG_TEXT = {
    "done": "Done", "missed": "Missed", "booked": "Booked", "overdue": "Overdue",
    "deviation": "Done (deviation)", "cancelled": "Cancelled", "scheduled": "Scheduled",
}
DUE_TEXT = {"overdue": "Overdue", "closing": "Closing soon", "open": "Window open",
            "upcoming": "Upcoming"}
DUE_COLOURS = {"overdue": "#ffcdd2", "closing": "#ffe0b2", "open": "#fff9c4",
               "upcoming": "#ffffff"}
DUE_ORDER = {"overdue": 0, "closing": 1, "open": 2, "upcoming": 3}


def deviation_text(r: VisitRow) -> str:
    if not r.deviation_days:
        return ""
    return f"{r.deviation_days:+d} d: {r.deviation_reason or ''}"


VISIT_COLUMNS = {
    "participant": Column("Participant", lambda r: r.participant),
    "visit": Column("Visit", lambda r: r.label, tooltip=lambda r: r.visit),
    "status": Column("Status", lambda r: FLAG_TEXT.get(r.flag, r.flag),
                     tooltip=lambda r: r.reason or ""),
    "due": Column("Due", lambda r: DUE_TEXT.get(r.due or "", ""),
                  lambda r: DUE_ORDER.get(r.due or "")),
    "date": Column("Date", lambda r: date_text(r.when), lambda r: r.when,
                   tooltip=lambda r: "actual" if r.actual else "booked" if r.booked
                   else "target"),
    "target": Column("Target", lambda r: date_text(r.target), lambda r: r.target,
                     tooltip=lambda r: f"provisional: {r.next_action}" if r.provisional
                     else ""),
    "window": Column("Window", lambda r: r.window, lambda r: r.window_start),
    "booked": Column("Booked", lambda r: date_text(r.booked), lambda r: r.booked),
    "actual": Column("Actual", lambda r: date_text(r.actual), lambda r: r.actual),
    "code": Column("Kit code", lambda r: r.code or ""),
    "deviation": Column("Deviation", deviation_text, lambda r: r.deviation_days,
                        tooltip=deviation_text),
    "reason": Column("Reason", lambda r: r.reason or "", tooltip=lambda r: r.reason or ""),
    "next": Column("Next action", lambda r: r.next_action or ""),
}


class VisitTableModel(RowTableModel):
    """Rows of VisitRow; the status and due columns are tinted by what the visit needs."""

    def __init__(self, keys: list[str], parent: Any = None):
        super().__init__([VISIT_COLUMNS[k] for k in keys], parent)
        self.keys = keys

    def tint(self, row: VisitRow, column: int) -> str | None:
        key = self.keys[column]
        if key == "status":
            return FLAG_COLOURS.get(row.flag)
        if key == "due":
            return DUE_COLOURS.get(row.due or "")
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            colour = self.tint(self.rows[index.row()], index.column())
            return QBrush(QColor(colour)) if colour else None
        if (role == Qt.ItemDataRole.ForegroundRole and index.isValid()
                and self.tint(self.rows[index.row()], index.column())):
            return QBrush(QColor("#000000"))  # light tints stay readable in dark themes
        return super().data(index, role)


def legend(colours: dict[str, str], names: dict[str, str]) -> QLabel:
    """The colour key, so a colour never has to be guessed."""
    parts = [f'<span style="background:{colour}; color:#000">&nbsp;{names[key]}&nbsp;</span>'
             for key, colour in colours.items() if colour != "#ffffff"]
    return QLabel("Colours: " + " ".join(parts))


class VisitActions(QWidget):
    """Book… and Log… for the selected row of a table of visits (Visits and Due tabs)."""

    changed = Signal()

    def __init__(self, app: App, actor: Actor, table: QTableView, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor, self.table = app, actor, table
        self.can_write = allowed(actor.role, "visits.write")
        self.book_dialog: BookVisitDialog | None = None
        self.log_dialog: LogVisitDialog | None = None
        self.message: QMessageBox | None = None
        self.book_button = QPushButton("&Book…", clicked=self.open_book)
        self.log_button = QPushButton("&Log…", clicked=self.open_log)
        mark_write(self.book_button, self.log_button)
        if not self.can_write:
            who = " and ".join(roles_with("visits.write"))
            for button in (self.book_button, self.log_button):
                button.setToolTip(f"Only {who}s book and log visits; you are {actor.role}.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.book_button)
        layout.addWidget(self.log_button)
        table.selectionModel().selectionChanged.connect(self.update_buttons)
        table.doubleClicked.connect(self._double_clicked)
        self.update_buttons()

    def selected(self) -> VisitRow | None:
        return selected_row(self.table)

    def update_buttons(self, *_: QItemSelection) -> None:
        row = self.selected()
        ready = (self.can_write and row is not None and row.target is not None
                 and row.status != "cancelled")
        self.book_button.setEnabled(ready and row is not None and row.actual is None)
        self.log_button.setEnabled(ready)

    def _double_clicked(self) -> None:
        if self.log_button.isEnabled():
            self.open_log()

    def open_book(self) -> None:
        row = self.selected()
        if row:
            self.book_dialog = BookVisitDialog(self.app, self.actor, row, self)
            self._open(self.book_dialog)

    def open_log(self) -> None:
        row = self.selected()
        if row:
            self.log_dialog = LogVisitDialog(self.app, self.actor, row, self)
            self._open(self.log_dialog)

    def _open(self, dialog: VisitDialog) -> None:
        dialog.saved.connect(self._saved)
        dialog.conflict.connect(self._conflict)
        dialog.open()

    def _saved(self, saved: visits.Saved) -> None:
        self.changed.emit()
        if saved.warnings:
            self.message = show_message(self, "Saved, with a warning", "\n\n".join(saved.warnings),
                                        icon=QMessageBox.Icon.Information)

    def _conflict(self, _message: str) -> None:
        self.changed.emit()  # the dialog stays open with both versions; the list re-reads


class VisitsView(QWidget):
    """The selected participant's visits. It follows the participant chosen on any tab
    (the events hub) and announces the one chosen here; show_visit() opens one visit."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.today = dt.date.today()
        self.fresh = Freshness(app)
        self.participant = ParticipantChooser()
        self.participant.setMinimumWidth(220)
        self.participant.currentIndexChanged.connect(self._participant_changed)
        self.participant.activated.connect(self._participant_chosen)  # by the user only
        self.summary = ElidedLabel()  # a long next step never widens the window
        self.model = VisitTableModel(["visit", "status", "due", "target", "window", "booked",
                                      "actual", "code", "deviation", "reason", "next"], self)
        self.table = row_table(self.model, 0)
        self.table.setSortingEnabled(False)  # protocol order is the order that makes sense
        self.actions = VisitActions(app, actor, self.table, self)
        self.actions.changed.connect(self.reload)
        self.capture = DataCaptureActions(app, actor, self.table, self)
        self.capture.changed.connect(self.reload)
        self.empty = placeholder("No participants yet.\nRegister one on the Participants tab.")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("&Participant:", buddy=self.participant))
        bar.addWidget(self.participant)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.actions)
        bar.addWidget(self.capture)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(legend(FLAG_COLOURS, FLAG_TEXT))
        events().participant_selected.connect(self.set_participant)
        self.refresh()

    def refresh(self) -> None:
        """Called when the tab is shown: the register may have changed on another tab."""
        if not self.fresh.stale():
            return
        self.today = dt.date.today()
        current = self.participant.currentData() or events().participant
        self.participant.blockSignals(True)
        self.participant.set_items([(f"{label}  ({status})", label) for label, status
                                    in participants.chooser_rows(self.app, self.actor)])
        self.participant.blockSignals(False)
        self.stack.setCurrentWidget(self.table if self.participant.count() else self.empty)
        self.set_participant(current)

    def set_participant(self, label: str | None) -> None:
        """Show this participant's visits (the first participant when None or unknown)."""
        index = max(self.participant.findData(label), 0) if label else 0
        if self.participant.currentIndex() == index:
            self.reload()
        else:
            self.participant.setCurrentIndex(index)

    def show_visit(self, label: str, visit: str) -> None:
        """Select this participant and, when given, this visit (a link from another tab)."""
        self.refresh()  # the link may name a participant added since the last look
        self.set_participant(label)
        for i, r in enumerate(self.model.rows):
            if r.visit == visit:
                self.table.selectRow(i)
                self.table.scrollTo(self.model.index(i, 0))
        self.table.setFocus()

    def _participant_changed(self, _index: int) -> None:
        self.reload()

    def _participant_chosen(self, _index: int) -> None:
        events().select_participant(self.participant.currentData())

    def reload(self) -> None:
        label = self.participant.currentData()
        selected = self.actions.selected()
        rows = visits.list_visits(self.app, self.actor, label, today=self.today) if label \
            else []
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.summary.setText(self._summary(rows))
        for i, r in enumerate(rows):
            if selected is not None and (r.participant, r.visit) == (selected.participant,
                                                                     selected.visit):
                self.table.selectRow(i)
        self.actions.update_buttons()
        self.capture.reload_marks()

    @staticmethod
    def _summary(rows: list[VisitRow]) -> str:
        if not rows:
            return ""
        done = sum(r.status == "done" for r in rows)
        nxt = next((r.next_action for r in rows if r.next_action), None)
        return f"{done} of {len(rows)} done" + (f" · next: {nxt}" if nxt else "")
