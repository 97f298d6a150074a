"""The bedside kit check: type or scan the code, see ok / mistyped / wrong kit at once.

Standalone (participant and visit chosen here) or embedded in a visit form with
both fixed (`fixed=True`). Scanners end with Enter, which runs the check. The
answer is said in words as well as colour, so it never depends on colour alone.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from gui.common.chooser import ParticipantChooser
from gui.common.messages import describe
from services import codes, participants
from services.context import Actor, App
from services.errors import Refused

STYLES = {
    "ok": "background: #1b6e20; color: white;",
    "mistyped": "background: #f2c94c; color: black;",
    "wrong kit": "background: #b3261e; color: white;",
    "refused": "color: #b3261e;",
}


class CodeCheckWidget(QWidget):
    """`result` is the last answer ("ok", "mistyped", "wrong kit", or None if refused)."""

    checked = Signal(str)

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None, *,
                 participant: str | None = None, visit: str | None = None,
                 fixed: bool = False):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.result: str | None = None
        self.participant = ParticipantChooser(editable=not fixed)
        self.reload()
        self.visit = QComboBox()
        for spec in app.protocol.dosing_visits:
            self.visit.addItem(spec.label, spec.id)
        self.set_target(participant, visit)
        self.participant.setEnabled(not fixed)
        self.visit.setEnabled(not fixed)
        self.code = QLineEdit(placeholderText="type or scan the kit code, e.g. 7KQ3-XM9A")
        self.code.returnPressed.connect(self.check)
        self.code.textEdited.connect(self._forget)
        self.check_button = QPushButton("&Check", clicked=self.check)
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.answer.setMargin(6)
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        row.addWidget(self.check_button)
        form = QFormLayout(self)
        form.addRow("&Participant:", self.participant)
        form.addRow("&Visit:", self.visit)
        code_label = QLabel("Kit &code:")
        code_label.setBuddy(self.code)  # a row holding a layout gets no buddy by itself
        form.addRow(code_label, row)
        form.addRow(self.answer)

    def reload(self) -> None:
        """Offer the participants enrolled now, keeping the one typed or chosen."""
        current = self.participant.currentText()
        self.participant.set_items([(label, label) for label, _status in participants.chooser_rows(
            self.app, self.actor, status="enrolled")])
        self.participant.setCurrentText(current)

    def set_target(self, participant: str | None, visit: str | None) -> None:
        if participant is not None:
            self.participant.setCurrentText(participant)
        if visit is not None:
            self.visit.setCurrentIndex(max(self.visit.findData(visit), 0))

    def _forget(self) -> None:
        self.result = None
        self.answer.clear()
        self.answer.setStyleSheet("")

    def check(self) -> None:
        try:
            answer = codes.check(self.app, self.actor, self.participant.currentText().strip(),
                                 self.visit.currentData(), self.code.text())
        except Refused as exc:
            self.result = None
            self.answer.setText(describe(exc))
            self.answer.setStyleSheet(STYLES["refused"])
            return
        self.result = answer["result"]
        self.answer.setText(answer["message"])
        self.answer.setStyleSheet(STYLES[self.result])
        self.checked.emit(self.result)
