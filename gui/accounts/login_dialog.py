"""Signing in: the same answer for an unknown name and a wrong password (the service's)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.common.messages import describe
from gui.common.widgets import error_label
from services import accounts, demo
from services.context import Actor, App
from services.errors import Refused
from services.sign_in import study_banner


class LoginDialog(QDialog):
    """Stays open on a wrong password; `actor` is set once accepted."""

    def __init__(self, app: App, user: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.actor: Actor | None = None
        banner = study_banner(app)
        self.setWindowTitle("Sign in to TrialDesk")
        self.setMinimumWidth(420)
        heading = QLabel(f"<b>{banner.title}</b><br><small>{app.safe_url}</small>")
        heading.setWordWrap(True)
        self.user = QLineEdit(user or "")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&User name:", self.user)
        form.addRow("&Password:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        self.demo_accounts = self._demo_list() if banner.synthetic else None
        if self.demo_accounts:
            layout.addWidget(QLabel("Demo accounts (synthetic data; click one to use it):"))
            layout.addWidget(self.demo_accounts)
        layout.addWidget(self.buttons)
        (self.password if user else self.user).setFocus()

    def _demo_list(self) -> QListWidget:
        """The demo command prints these passwords publicly, so the dialog may too."""
        accounts_list = QListWidget()
        for name, role, password in demo.ACCOUNTS:
            item = QListWidgetItem(f"{name}  ·  {role}  ·  password {password}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            accounts_list.addItem(item)
        accounts_list.setFixedHeight(accounts_list.sizeHintForRow(0) * len(demo.ACCOUNTS) + 6)
        accounts_list.itemClicked.connect(self._use_demo_account)
        return accounts_list

    def _use_demo_account(self, item: QListWidgetItem) -> None:
        self.user.setText(item.data(Qt.ItemDataRole.UserRole))
        self.password.clear()
        self.password.setFocus()

    def accept(self) -> None:
        try:
            self.actor = accounts.login(self.app, self.user.text().strip(),
                                        self.password.text())
        except Refused as exc:
            self.error.setText(describe(exc))
            self.error.show()
            self.password.clear()
            self.password.setFocus()
            return
        super().accept()
