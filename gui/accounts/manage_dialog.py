"""The admin's accounts: list, add, disable or enable, change role, reset password. Every
step but adding asks for a reason, which goes into the audit trail with the change.

The list is the app's common table (RowTableModel in row_table, as on every tab): no row
numbers, sortable; its three short columns share the dialog's width between them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.accounts.forms import AccountForm, Submit
from gui.common.table_model import Column, RowTableModel
from gui.common.widgets import row_table, selected_row
from services import accounts
from services.context import Actor, App
from trialcore.roles import ROLES


def _state(user: dict[str, Any]) -> str:
    if not user["active"]:
        return "disabled"
    return f"locked until {user['locked_until']}" if user["locked_until"] else "enabled"


COLUMNS = [Column("User", lambda u: u["user"]), Column("Role", lambda u: u["role"]),
           Column("State", _state)]


class ManageAccountsDialog(QDialog):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.setWindowTitle("Accounts")
        self.resize(560, 380)
        self.form: AccountForm | None = None
        self.model = RowTableModel(COLUMNS, self)
        self.table = row_table(self.model, 0)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
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
        self.model.set_rows(accounts.list_users(self.app, self.actor))
        self._update_buttons()

    def selected(self) -> str | None:
        user = selected_row(self.table)
        return user["user"] if user else None

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
