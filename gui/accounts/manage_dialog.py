"""The admin's accounts: list, add, disable or enable, change role, reset password. Every
step but adding asks for a reason, which goes into the audit trail with the change."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.accounts.forms import AccountForm, Submit
from services import accounts
from services.context import Actor, App
from trialcore.roles import ROLES


class ManageAccountsDialog(QDialog):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.setWindowTitle("Accounts")
        self.resize(560, 380)
        self.form: AccountForm | None = None
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["User", "Role", "State"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton("&Add…", clicked=self.add)
        self.disable_button = QPushButton("&Disable…", clicked=lambda: self.set_active(False))
        self.enable_button = QPushButton("&Enable…", clicked=lambda: self.set_active(True))
        self.role_button = QPushButton("Change &role…", clicked=self.change_role)
        self.reset_button = QPushButton("Reset &password…", clicked=self.reset_password)
        bar = QHBoxLayout()
        for button in (self.add_button, self.disable_button, self.enable_button,
                       self.role_button, self.reset_button):
            bar.addWidget(button)
        bar.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.close_button = close.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(close)
        self.reload()

    def reload(self) -> None:
        users = accounts.list_users(self.app, self.actor)
        self.table.setRowCount(len(users))
        for row, u in enumerate(users):
            state = ("disabled" if not u["active"] else
                     f"locked until {u['locked_until']}" if u["locked_until"] else "enabled")
            for col, text in enumerate((u["user"], u["role"], state)):
                self.table.setItem(row, col, QTableWidgetItem(str(text)))
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.disable_button, self.enable_button, self.role_button,
                       self.reset_button):
            button.setEnabled(chosen)

    def _open(self, title: str, fields: tuple[str, ...], submit: Submit) -> None:
        def then_reload(form: AccountForm) -> None:
            submit(form)
            self.reload()

        self.form = AccountForm(title, fields, then_reload, ROLES, self)
        self.form.open()

    def add(self) -> None:
        self._open("Add an account", ("name", "role", "password"), lambda f: accounts.add_user(
            self.app, self.actor, f.name.text().strip(), f.role.currentText(),
            f.new_password()))

    def set_active(self, active: bool) -> None:
        name = self.selected() or ""
        self._open(f"{'Enable' if active else 'Disable'} {name}", ("reason",),
                   lambda f: accounts.set_active(self.app, self.actor, name, active,
                                                 f.reason.text()))

    def change_role(self) -> None:
        name = self.selected() or ""
        self._open(f"Change the role of {name}", ("role", "reason"),
                   lambda f: accounts.set_role(self.app, self.actor, name,
                                               f.role.currentText(), f.reason.text()))

    def reset_password(self) -> None:
        name = self.selected() or ""
        self._open(f"Reset the password of {name}", ("password", "reason"),
                   lambda f: accounts.reset_password(self.app, self.actor, name,
                                                     f.new_password(), f.reason.text()))
