"""The investigator's emergency envelope: one participant, a reason, the emergency
passphrase and the password re-entered as a signature. The conditions appear in this
dialog only, are never stored, and are gone when it closes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import error_label
from gui.randomization.allocation_wizard import secret_edit
from services import participants, unblinding
from services.context import Actor, App
from services.errors import Refused

COLUMNS = ("Visit", "Kit code", "Condition", "Dose (mg)")


class OpenEnvelopeJob(Job):
    title = "Opening the emergency envelope"

    def __init__(self, dialog: EmergencyDialog, participant: str, reason: str,
                 passphrase: str, password: str):
        self.dialog = dialog
        self.args = (participant, reason, passphrase, password)

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any]:
        progress(0, 0, "Checking your password and deriving the key…")
        return unblinding.emergency(self.dialog.app, self.dialog.actor, *self.args)

    def process_result(self, result: object) -> None:
        self.dialog.show_envelope(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.dialog.error.setText(describe(exc))
        self.dialog.error.show()
        return True


class EmergencyDialog(QDialog):
    """Open with open(); `opened` is emitted with the participant's label once unblinded."""

    opened = Signal(str)

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None,
                 participant: str | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.envelope: dict[str, Any] | None = None
        self.runner = JobRunner(self)
        self.setWindowTitle("Emergency unblinding")
        self.setMinimumWidth(520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        warning = QLabel("Open a participant's envelope only when their care depends on "
                         "knowing what they were given. You alone will see it; the "
                         "participant is flagged as unblinded and the audit trail records "
                         "who, when and why. Every other participant stays sealed.")
        warning.setWordWrap(True)
        self.participant = QComboBox()
        for row in participants.list_participants(app, actor):
            if row.enrolled_on is not None:  # withdrawn later: the envelope stays
                self.participant.addItem(row.label, row.label)
        if participant is not None:
            self.participant.setCurrentIndex(max(self.participant.findData(participant), 0))
        self.reason = QPlainTextEdit(placeholderText="required: the medical reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(64)
        self.passphrase = secret_edit("investigator's emergency passphrase")
        self.password = QLineEdit(placeholderText=f"password of {actor.name}, as a signature")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = error_label()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Close)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setText("&Open envelope")
        self.buttons.accepted.connect(self.open_envelope)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Participant:", self.participant)
        form.addRow("&Reason:", self.reason)
        form.addRow("&Emergency passphrase:", self.passphrase)
        form.addRow("Your pass&word:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        layout.addWidget(self.buttons)

    def open_envelope(self) -> None:
        self.error.hide()
        self.runner.start(OpenEnvelopeJob(
            self, self.participant.currentData() or "", self.reason.toPlainText(),
            self.passphrase.text(), self.password.text()))
        self.passphrase.clear()
        self.password.clear()

    def show_envelope(self, envelope: dict[str, Any]) -> None:
        self.envelope = envelope
        self.table.setRowCount(len(envelope["visits"]))
        for r, v in enumerate(envelope["visits"]):
            for c, value in enumerate((v["visit_label"], v["code"] or "", v["label"],
                                       f"{v['dose_mg']:g}")):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.show()
        for widget in (self.participant, self.reason, self.passphrase, self.password,
                       self.open_button):
            widget.setEnabled(False)
        self.opened.emit(envelope["participant"])
