"""The Adverse events tab: one participant's events (or everyone's), Report… and Update…
(coordinator, investigator). A serious event's saved message says how emergency
unblinding works."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.common.chooser import ParticipantChooser
from gui.common.messages import show_message
from gui.common.read_only import mark_write
from gui.common.table_model import Column, RowTableModel, labelled
from gui.common.widgets import date_edit, placeholder, row_table, selected_row
from gui.participants.participant_dialogs import ServiceDialog
from services import adverse_events, participants
from services.adverse_events import AeRow
from services.context import Actor, App
from trialcore.roles import allowed

COLUMNS = [
    Column("No.", lambda r: str(r.id), lambda r: r.id),
    Column("Participant", lambda r: r.participant),
    Column("Term", lambda r: r.term),
    Column("Onset", lambda r: r.onset),
    Column("Severity", lambda r: r.severity),
    Column("Serious", lambda r: "yes" if r.serious else "no"),
    Column("Related", lambda r: r.related),
    labelled("Visit", lambda r: r.visit_label or "", lambda r: r.visit or ""),
    Column("Resolved", lambda r: r.resolved or ""),
    Column("Outcome", lambda r: r.outcome or "", tooltip=lambda r: r.outcome or ""),
]
ANY_VISIT = "(no visit)"


class AddAdverseEventDialog(ServiceDialog):
    """saved emits the services AeRow."""

    def __init__(self, app: App, actor: Actor, participant: str | None,
                 parent: QWidget | None = None):
        super().__init__(app, actor, "Report adverse event", "Report", parent)
        self.participant = QLineEdit(participant or "")
        self.term = QLineEdit()
        self.term.setPlaceholderText("as reported, e.g. headache")
        self.onset = date_edit(dt.date.today())
        self.severity = QComboBox()
        self.severity.addItems(list(adverse_events.SEVERITIES))
        self.serious = QCheckBox("Serious (SAE)")
        self.related = QComboBox()
        self.related.addItems(list(adverse_events.RELATEDNESS))
        self.visit = QComboBox()
        self.visit.addItem(ANY_VISIT, None)
        for v in app.protocol.visits:
            self.visit.addItem(v.label, v.id)
        self.resolved = QCheckBox("Resolved on")
        self.resolved_on = date_edit(dt.date.today())
        self.outcome = QLineEdit()
        self.action = QLineEdit()
        self.form.addRow("&Participant:", self.participant)
        self.form.addRow("&Term:", self.term)
        self.form.addRow("&Onset:", self.onset)
        self.form.addRow("Se&verity:", self.severity)
        self.form.addRow("", self.serious)
        self.form.addRow("Re&latedness:", self.related)
        self.form.addRow("V&isit:", self.visit)
        self.form.addRow(self.resolved, self.resolved_on)
        self.form.addRow("O&utcome:", self.outcome)
        self.form.addRow("&Action taken:", self.action)

    def submit(self) -> AeRow:  # type: ignore[override]
        return adverse_events.add(
            self.app, self.actor, self.participant.text().strip(), term=self.term.text(),
            onset=self.onset.date().toPython(), severity=self.severity.currentText(),
            serious="yes" if self.serious.isChecked() else "no",
            related=self.related.currentText(), visit=self.visit.currentData(),
            resolved=self.resolved_on.date().toPython() if self.resolved.isChecked() else None,
            outcome=self.outcome.text(), action=self.action.text())


class UpdateAdverseEventDialog(ServiceDialog):
    """Resolution, outcome, a corrected grade; the reason is required and audited."""

    def __init__(self, app: App, actor: Actor, row: AeRow, parent: QWidget | None = None):
        super().__init__(app, actor, f"Update adverse event {row.id}", "Save", parent)
        self.row = row
        self.severity = QComboBox()
        self.severity.addItems(list(adverse_events.SEVERITIES))
        self.severity.setCurrentText(row.severity)
        self.serious = QCheckBox("Serious (SAE)")
        self.serious.setChecked(row.serious)
        self.related = QComboBox()
        self.related.addItems(list(adverse_events.RELATEDNESS))
        self.related.setCurrentText(row.related)
        self.resolved = QCheckBox("Resolved on")
        self.resolved.setChecked(row.resolved is not None)
        self.resolved_on = date_edit(dt.date.fromisoformat(row.resolved) if row.resolved
                                     else dt.date.today())
        self.outcome = QLineEdit(row.outcome or "")
        self.reason = QLineEdit()
        self.form.addRow(QLabel(f"<b>{row.participant}</b>: {row.term} (onset {row.onset})"))
        self.form.addRow("Se&verity:", self.severity)
        self.form.addRow("", self.serious)
        self.form.addRow("Re&latedness:", self.related)
        self.form.addRow(self.resolved, self.resolved_on)
        self.form.addRow("O&utcome:", self.outcome)
        self.form.addRow("&Reason:", self.reason)

    def submit(self) -> AeRow:  # type: ignore[override]
        return adverse_events.update(
            self.app, self.actor, self.row.id, self.reason.text(),
            severity=self.severity.currentText(),
            serious="yes" if self.serious.isChecked() else "no",
            related=self.related.currentText(),
            resolved=self.resolved_on.date().toPython() if self.resolved.isChecked() else None,
            outcome=self.outcome.text())


class AdverseEventsView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.dialog: ServiceDialog | None = None
        self.message: QMessageBox | None = None
        self.participant = ParticipantChooser()
        self.participant.currentIndexChanged.connect(self.reload)
        self.model = RowTableModel(COLUMNS, self)
        self.table = row_table(self.model, 0)
        self.add_button = QPushButton("&Report…", clicked=self.open_add)
        self.update_button = QPushButton("&Update…", clicked=self.open_update)
        mark_write(self.add_button, self.update_button)
        for button in (self.add_button, self.update_button):
            button.setVisible(allowed(actor.role, "ae.write"))
        self.table.selectionModel().selectionChanged.connect(self._selection)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("&Participant:", buddy=self.participant))
        bar.addWidget(self.participant)
        bar.addStretch(1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.update_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        current = self.participant.currentData()
        self.participant.blockSignals(True)
        self.participant.set_items([("All participants", None), *(
            (label, label) for label, _status in participants.chooser_rows(self.app,
                                                                           self.actor))])
        self.participant.setCurrentIndex(max(self.participant.findData(current), 0))
        self.participant.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(adverse_events.list_events(self.app, self.actor,
                                                       self.participant.currentData()))
        self.table.resizeColumnsToContents()
        self._selection()

    def selected(self) -> AeRow | None:
        return selected_row(self.table)

    def _selection(self, *_: object) -> None:
        self.update_button.setEnabled(self.selected() is not None)

    def open_update(self) -> None:
        row = self.selected()
        if row is not None:
            self.dialog = UpdateAdverseEventDialog(self.app, self.actor, row, self)
            self.dialog.saved.connect(self._saved)
            self.dialog.open()

    def open_add(self) -> None:
        self.dialog = AddAdverseEventDialog(self.app, self.actor, self.participant.currentData(),
                                            self)
        self.dialog.saved.connect(self._saved)
        self.dialog.open()

    def _saved(self, row: AeRow) -> None:
        self.reload()
        if row.emergency:
            self.message = show_message(self, "Serious adverse event reported", row.emergency,
                                        icon=QMessageBox.Icon.Information)


def adverse_events_tab(app: App, actor: Actor, parent: QWidget) -> QWidget:
    if allowed(actor.role, "ae.read"):
        return AdverseEventsView(app, actor, parent)
    return placeholder(f"Adverse events are not shown to the {actor.role} role.", parent)
