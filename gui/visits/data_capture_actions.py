"""Enter values…, the SDV tick, the participant's Casebook… and Double entry… (the open
double data entries and their resolution) on the Visits tab.

"Enter values…" (coordinator) opens the hand-entry form for a done visit. The
"Source-verified" tick (monitor) marks the visit's values as checked against
source; unticking asks for the reason. Both go through the services, which decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

from gui.common.messages import describe, show_message
from gui.common.read_only import mark_write
from gui.common.widgets import selected_row
from gui.participants.participant_dialogs import ServiceDialog
from services import sdv
from services.context import Actor, App
from services.errors import Refused
from services.visits import VisitRow
from trialcore.roles import allowed

if TYPE_CHECKING:  # the dialogs import pandas (the import path): when opened, not with the tab
    from gui.participants.casebook_dialog import CasebookDialog
    from gui.visits.double_entry_dialogs import DoubleEntriesDialog
    from services.data_entry import EntryResult

# what a hand entry did to a double-entry value (services.double_entry)
HELD = {
    "waiting": "{}: kept as a first entry; a second person enters it again before it is "
               "stored (double data entry).",
    "agreed": "{}: agrees with the first entry and is stored.",
    "mismatch": "{}: differs from the first entry; it is listed under Double entry… for a "
                "resolver.",
}


class UndoSdvDialog(ServiceDialog):
    """Why a source-data verification is undone (the reason is required and audited)."""

    def __init__(self, app: App, actor: Actor, row: VisitRow, parent: QWidget | None = None):
        super().__init__(app, actor, f"Undo verification {row.participant} – {row.label}",
                         "Undo verification", parent)
        self.row = row
        self.reason = QLineEdit()
        self.form.addRow("&Reason:", self.reason)

    def submit(self) -> sdv.SdvRow:  # type: ignore[override]
        return sdv.mark(self.app, self.actor, self.row.participant, self.row.visit, undo=True,
                        reason=self.reason.text())


class DataCaptureActions(QWidget):
    """Acts on the table's selected VisitRow; `changed` asks the view to reload."""

    changed = Signal()

    def __init__(self, app: App, actor: Actor, table: QTableView, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor, self.table = app, actor, table
        self.can_enter = allowed(actor.role, "values.enter")
        self.can_verify = allowed(actor.role, "sdv.mark")
        self.dialog: ServiceDialog | None = None
        self.message: QMessageBox | None = None
        self.enter_button = QPushButton("&Enter values…", clicked=self.open_entry)
        self.verified = QCheckBox("Source-&verified")
        self.casebook_button = QPushButton("Case&book…", clicked=self.open_casebook)
        self.casebook: CasebookDialog | None = None
        self.double_button = QPushButton("&Double entry…", clicked=self.open_double_entries)
        self.double_entries: DoubleEntriesDialog | None = None
        self.verified.clicked.connect(self._ticked)
        mark_write(self.enter_button, self.verified)
        self.enter_button.setVisible(self.can_enter)
        # the casebook holds outcome values: the service refuses other roles up front
        self.casebook_button.setVisible(allowed(actor.role, "data.read"))
        self.double_button.setVisible(any(m.double_entry for m in app.protocol.measures)
                                      and allowed(actor.role, "data.read"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enter_button)
        layout.addWidget(self.verified)
        layout.addWidget(self.casebook_button)
        layout.addWidget(self.double_button)
        table.selectionModel().selectionChanged.connect(self.update_buttons)
        self.marks: dict[tuple[str, str], bool] = {}
        self.update_buttons()

    def selected(self) -> VisitRow | None:
        return selected_row(self.table)

    def reload_marks(self) -> None:
        """The marks of the participant listed (the table lists one participant's visits)."""
        rows = self.table.model().rows  # type: ignore[attr-defined]
        self.marks = {(r.participant, r.visit): r.verified for r in sdv.list_marks(
            self.app, self.actor, participant=rows[0].participant)} if rows else {}
        self.update_buttons()

    def update_buttons(self, *_: object) -> None:
        row = self.selected()
        done = row is not None and row.status == "done"
        self.enter_button.setEnabled(self.can_enter and done)
        self.verified.setEnabled(self.can_verify and done)
        self.verified.setChecked(row is not None and self.marks.get((row.participant,
                                                                      row.visit), False))

    def open_casebook(self) -> None:
        """The casebook of the participant whose visits are listed."""
        from gui.participants.casebook_dialog import CasebookDialog

        rows = self.table.model().rows  # type: ignore[attr-defined]
        if rows:
            self.casebook = CasebookDialog(self.app, self.actor, rows[0].participant, self)
            self.casebook.open()

    def open_double_entries(self) -> None:
        """First entries awaiting a second person, and mismatches for a resolver."""
        from gui.visits.double_entry_dialogs import DoubleEntriesDialog

        self.double_entries = DoubleEntriesDialog(self.app, self.actor, self)
        self.double_entries.changed.connect(self.changed.emit)
        self.double_entries.open()

    def open_entry(self) -> None:
        row = self.selected()
        if row is None:
            return
        from gui.visits.entry_dialog import EnterValuesDialog

        self.dialog = EnterValuesDialog(self.app, self.actor, row, self)
        self.dialog.saved.connect(self._entered)
        self.dialog.open()

    def _entered(self, result: EntryResult) -> None:
        self.reload_marks()
        self.changed.emit()
        notes = list(result.warnings) + [HELD[d["status"]].format(d["label"])
                                         for d in result.double_entry]
        if result.sdv_cleared:
            notes.append("A verified value changed: the visit's source-data verification was "
                         "cleared and needs doing again.")
        if notes:
            self.message = show_message(self, "Saved", "\n\n".join(notes),
                                        icon=QMessageBox.Icon.Information)

    def _ticked(self, checked: bool) -> None:
        row = self.selected()
        if row is None:
            return
        if not checked:
            self.verified.setChecked(True)  # until the undo is saved
            self.dialog = UndoSdvDialog(self.app, self.actor, row, self)
            self.dialog.saved.connect(lambda _r: self.reload_marks())
            self.dialog.open()
            return
        try:
            sdv.mark(self.app, self.actor, row.participant, row.visit)
        except Refused as exc:
            self.message = show_message(self, "Not verified", describe(exc))
        self.reload_marks()
