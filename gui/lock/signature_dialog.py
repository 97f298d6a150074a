"""An electronic signature: the meaning shown, user name and password re-entered, a reason.

Used to sign the lock, to void it (unlock) and to unblind the study (which also
asks for the sealing passphrase). The service call runs as a job: password and
passphrase checks are slow on purpose. A refusal is shown in the dialog, which
stays open so the user can correct what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import error_label
from services.context import Actor
from services.errors import Refused

# sign(reason, password, passphrase) -> the service's result
Sign = Callable[[str, str, str], object]


class SignJob(Job):
    def __init__(self, dialog: SignatureDialog, reason: str, password: str, passphrase: str):
        self.title = dialog.windowTitle()
        self.dialog, self.args = dialog, (reason, password, passphrase)

    def run(self, progress: Progress, cancelled: Cancelled) -> object:
        progress(0, 0, "Checking the signature…")
        return self.dialog.sign(*self.args)

    def process_result(self, result: object) -> None:
        self.dialog.signed.emit(result)
        self.dialog.accept()

    def process_refusal(self, exc: Refused) -> bool:
        self.dialog.show_error(describe(exc))
        return True


def _password_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit(placeholderText=placeholder)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class SignatureDialog(QDialog):
    """Open with open(); `signed` carries the service's result once it succeeded."""

    signed = Signal(object)

    def __init__(self, actor: Actor, sign: Sign, *, title: str, meaning: str,
                 explanation: str, button: str, passphrase: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.actor, self.sign = actor, sign
        self.runner = JobRunner(self)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        about = QLabel(explanation)
        about.setWordWrap(True)
        self.meaning = QLabel(f"<b>Meaning of this signature:</b> {meaning}")
        self.meaning.setWordWrap(True)
        self.user = QLineEdit(placeholderText="your user name")
        self.password = _password_edit("your password")
        self.passphrase = _password_edit(passphrase or "") if passphrase else None
        self.reason = QPlainTextEdit(placeholderText="required")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(64)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(button)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&User name:", self.user)
        form.addRow("&Password:", self.password)
        if self.passphrase is not None:
            form.addRow("Pass&phrase:", self.passphrase)
        form.addRow("&Reason:", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.meaning)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        """The user name is checked here: a signature is made by the signed-in user only."""
        self.error.hide()
        if self.user.text().strip() != self.actor.name:
            self.show_error(f"Sign with your own user name: you are signed in as "
                            f"{self.actor.name}.")
            return
        passphrase = self.passphrase.text() if self.passphrase is not None else ""
        self.runner.start(SignJob(self, self.reason.toPlainText(), self.password.text(),
                                  passphrase))
        self.password.clear()
        if self.passphrase is not None:
            self.passphrase.clear()
