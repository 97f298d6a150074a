"""One small form for every account step: the fields it needs, a reason where the audit
trail wants one, and the service's refusal shown in the form, which then stays open."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.common.messages import describe
from gui.common.widgets import error_label
from services.errors import Refused

Submit = Callable[["AccountForm"], None]


class AccountForm(QDialog):
    """Fields by name: `name`, `role`, `old`, `password` (typed twice) and `reason`."""

    def __init__(self, title: str, fields: tuple[str, ...], submit: Submit,
                 roles: tuple[str, ...] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.submit = submit
        form = QFormLayout()
        self.name = QLineEdit()
        self.role = QComboBox()
        self.role.addItems(list(roles))
        self.old = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.reason = QLineEdit()
        rows = {"name": [("&User name:", self.name)], "role": [("&Role:", self.role)],
                "old": [("&Current password:", self.old)],
                "password": [("&New password:", self.password), ("Re&peat it:", self.repeat)],
                "reason": [("Re&ason:", self.reason)]}
        for field in fields:
            for label, widget in rows[field]:
                form.addRow(label, widget)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def new_password(self) -> str:
        if self.password.text() != self.repeat.text():
            raise Refused("the two new passwords differ")
        return self.password.text()

    def accept(self) -> None:
        try:
            self.submit(self)
        except Refused as exc:
            self.error.setText(describe(exc))
            self.error.show()
            return
        super().accept()
