"""Asked when a PostgreSQL server wants a password that neither the URL, the OS keyring
nor ~/.pgpass gave (services.errors.PasswordNeeded): typed here, kept only in memory."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class DatabasePasswordDialog(QDialog):
    def __init__(self, url: str, why: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.url = url
        self.setWindowTitle("Database password")
        note = QLabel(why)
        note.setWordWrap(True)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Password:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
