"""Double data entry on the Visits tab: the list of open first entries and mismatches,
and the resolver's dialog that shows both entries and asks for the value and a reason.

A first entry's value is never shown (the second person enters blind); a mismatch shows
both. The services decide who may resolve (values.resolve, and not one of the two who
typed it); the Resolve… button only mirrors the permission.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.common.messages import describe, show_message
from gui.common.read_only import mark_write
from gui.common.table_model import Column, RowTableModel, labelled
from gui.common.widgets import row_table, selected_row
from gui.participants.participant_dialogs import ServiceDialog
from services import data_entry, double_entry
from services.context import Actor, App
from services.data_entry import EntryResult
from services.double_entry import PendingRow
from services.errors import Refused
from trialcore.roles import allowed


def _typed(value: str | None, by: str | None) -> str:
    return "" if by is None else f"{by}: {value if value is not None else '(not shown)'}"


COLUMNS = [
    Column("Participant", lambda r: r.participant),
    labelled("Visit", lambda r: r.visit_label, lambda r: r.visit),
    labelled("Value", lambda r: r.name_label, lambda r: r.name),
    Column("State", lambda r: "waiting for a second entry" if r.status == double_entry.WAITING
           else "mismatch"),
    Column("First entry", lambda r: _typed(r.first_value, r.first_by)),
    Column("Second entry", lambda r: _typed(r.second_value, r.second_by)),
]


class ResolveDialog(ServiceDialog):
    """The resolver sees both entries (a waiting first entry: only who typed it) and
    decides the value, with a reason."""

    def __init__(self, app: App, actor: Actor, row: PendingRow, parent: QWidget | None = None):
        super().__init__(app, actor, f"Resolve {row.participant} – {row.visit_label} – "
                         f"{row.name_label}", "Resolve", parent)
        self.row = row
        heading = QLabel(f"<b>{row.participant}</b> {row.visit_label}: <b>{row.name_label}</b>")
        heading.setToolTip(f"{row.visit} / {row.name}")  # the ids, for a data manager
        self.form.addRow(heading)
        self.form.addRow("First entry:", QLabel(_typed(row.first_value, row.first_by)))
        self.form.addRow("Second entry:", QLabel(_typed(row.second_value, row.second_by)
                                                 or "none yet"))
        self.value = QLineEdit()
        self.value.setPlaceholderText("the value to store, e.g. from the paper form")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why this value (required)")
        self.form.addRow("&Value:", self.value)
        self.form.addRow("&Reason:", self.reason)

    def submit(self) -> EntryResult:  # type: ignore[override]
        return data_entry.resolve(self.app, self.actor, self.row.participant, self.row.visit,
                                  {self.row.name: self.value.text().strip()},
                                  self.reason.text())


class DoubleEntriesDialog(QDialog):
    """The open double data entries of the study; `changed` after a resolution."""

    changed = Signal()

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.setWindowTitle("Double data entry: open entries and mismatches")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 360)
        self.dialog: ResolveDialog | None = None
        self.message: QMessageBox | None = None
        self.model = RowTableModel(COLUMNS, self)
        self.table = row_table(self.model, 0)
        self.table.selectionModel().selectionChanged.connect(self._update)
        self.empty = QLabel("No double data entry is open.")
        self.resolve_button = QPushButton("&Resolve…", clicked=self.open_resolve)
        mark_write(self.resolve_button)
        self.resolve_button.setVisible(allowed(actor.role, "values.resolve"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.resolve_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        self.reload()

    def reload(self) -> None:
        try:
            rows = double_entry.pending(self.app, self.actor)
        except Refused as exc:
            self.message = show_message(self, "Double data entry", describe(exc))
            rows = []
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not rows)
        self._update()

    def selected(self) -> PendingRow | None:
        return selected_row(self.table)

    def _update(self, *_: object) -> None:
        self.resolve_button.setEnabled(self.selected() is not None)

    def open_resolve(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.dialog = ResolveDialog(self.app, self.actor, row, self)
        self.dialog.saved.connect(self._resolved)
        self.dialog.open()

    def _resolved(self, _result: EntryResult) -> None:
        self.reload()
        self.changed.emit()
