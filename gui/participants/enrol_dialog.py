"""Enrolling a participant: the stratum (automatic or by hand with a reason) and the date,
then the dose codes the participant was given. Codes only: the dialog never knows more."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from gui.common.messages import describe
from gui.common.widgets import date_edit, error_label
from services import enrolment, participants
from services.context import Actor, App
from services.enrolment import EnrolmentResult
from services.errors import Refused


class EnrolDialog(QDialog):
    """Open with open(); `result` and the `enrolled` signal carry what the service returned."""

    enrolled = Signal(object)  # EnrolmentResult

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None,
                 participant: str | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.result: EnrolmentResult | None = None
        self.setWindowTitle("Enrol participant")
        self.setMinimumWidth(480)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.participant = QComboBox()
        for row in participants.list_participants(app, actor):
            if row.status == "registered":
                self.participant.addItem(row.label, row.label)
        if participant is not None:
            self.participant.setCurrentIndex(max(self.participant.findData(participant), 0))
        self.proposed = QLabel()
        self.proposed.setWordWrap(True)
        self.full = QLabel()  # the stratum's target reached: said before Enrol is pressed
        self.full.setWordWrap(True)
        self.full.setStyleSheet("color: #b3261e;")
        self.full.hide()
        self.confirm: QMessageBox | None = None  # asks once more past a stratum's target
        self.confirmed = False
        self.stratum = QComboBox()
        self.stratum.addItem("(as proposed)", None)
        for name in app.protocol.strata:
            self.stratum.addItem(name, name)
        self.reason = QLineEdit(placeholderText="required when the stratum is chosen by hand")
        self.on = date_edit()
        self.error = error_label()
        self.codes = QLabel()
        self.codes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.codes.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Enrol")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.participant.currentIndexChanged.connect(self._participant_changed)
        self.stratum.currentIndexChanged.connect(self._stratum_changed)
        self._participant_changed()
        self._stratum_changed()

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        self.form.addRow("&Participant:", self.participant)
        self.form.addRow("", self.proposed)
        self.form.addRow("&Stratum:", self.stratum)
        self.form.addRow("", self.full)
        self.form.addRow("&Reason:", self.reason)
        self.form.addRow("Enrolled &on:", self.on)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.codes)
        layout.addWidget(self.buttons)

    def _participant_changed(self) -> None:
        self.confirmed = False
        self._check_target()
        label = self.participant.currentData()
        if label is None:
            self.proposed.setText("Nobody is waiting to be enrolled.")
            return
        choice = enrolment.proposed_stratum(self.app, self.actor, label)
        if choice is None:
            self.proposed.setText("No baseline value and no stratum yet: choose the stratum "
                                  "by hand and give a reason.")
        elif choice.source == "rule":
            self.proposed.setText(f"Proposed: {choice.stratum}, by the protocol's rule "
                                  f"({choice.reason}).")
        else:
            self.proposed.setText(f"Proposed: {choice.stratum} ({choice.reason}).")

    def _stratum_changed(self) -> None:
        self.reason.setEnabled(self.stratum.currentData() is not None)
        self.confirmed = False
        self._check_target()

    def _warning(self) -> str | None:
        label = self.participant.currentData()
        if label is None:
            return None
        return enrolment.target_warning(self.app, self.actor, label,
                                        self.stratum.currentData())

    def _check_target(self) -> None:
        warning = self._warning()
        self.full.setText(warning or "")
        self.full.setVisible(warning is not None)

    def _ask_past_target(self, warning: str) -> None:
        self.confirm = QMessageBox(QMessageBox.Icon.Warning, "Stratum target reached",
                                   f"{warning}\n\nEnrol all the same?",
                                   QMessageBox.StandardButton.Cancel, self)
        self.anyway = self.confirm.addButton("&Enrol anyway", QMessageBox.ButtonRole.AcceptRole)
        self.confirm.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm.buttonClicked.connect(self._answered)
        self.confirm.open()

    def _answered(self, button: QAbstractButton) -> None:
        if button is self.anyway:
            self.confirmed = True
            self.accept()

    def accept(self) -> None:
        """Enrol; on success show the codes and turn the buttons into Close."""
        if self.result is not None:
            super().accept()
            return
        warning = self._warning()
        if warning is not None and not self.confirmed:
            self._ask_past_target(warning)
            return
        by_hand = self.stratum.currentData()
        try:
            self.result = enrolment.enrol(
                self.app, self.actor, self.participant.currentData() or "",
                stratum=by_hand, reason=self.reason.text() if by_hand else None,
                on=self.on.date().toPython())
        except Refused as exc:
            self.error.setText(describe(exc))
            self.error.show()
            return
        self.error.hide()
        self._show_result(self.result)
        self.enrolled.emit(self.result)

    def _show_result(self, result: EnrolmentResult) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        rows = "".join(f"<tr><td>{visit}</td><td style='font-family:{mono};font-size:14pt'>"
                       f"&nbsp;{code}</td></tr>" for visit, code in result.codes.items())
        self.codes.setText(f"<b>{result.label}</b> enrolled on {result.enrolled_on} in "
                           f"<b>{result.stratum}</b>, slot {result.position}.<br>Kit codes:"
                           f"<table>{rows}</table>")
        self.codes.show()
        for widget in (self.participant, self.stratum, self.reason, self.on):
            widget.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Close")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
