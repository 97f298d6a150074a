"""The Account menu every signed-in user has: manage accounts (admin), change my
password, sign out. Its dialogs are kept on the window, so tests can reach them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from gui.accounts.forms import AccountForm
from services import accounts
from trialcore.roles import allowed

if TYPE_CHECKING:
    from gui.window.main_window import MainWindow


class AccountMenu(QMenu):
    def __init__(self, window: MainWindow):
        super().__init__("&Account", window)
        self.window_ = window
        self.dialog: AccountForm | None = None
        self.manage_dialog = None
        self.manage = QAction("&Manage accounts…", self, triggered=self.open_manage)
        self.manage.setEnabled(allowed(window.actor.role, "users.manage"))
        self.change_password = QAction("&Change my password…", self,
                                       triggered=self.open_password)
        self.sign_out = QAction("&Sign out", self, triggered=self.window_.sign_out)
        for action in (self.manage, self.change_password, self.sign_out):
            self.addAction(action)

    def open_manage(self) -> None:
        from gui.accounts.manage_dialog import ManageAccountsDialog

        self.manage_dialog = ManageAccountsDialog(self.window_.app, self.window_.actor,
                                                  self.window_)
        self.manage_dialog.open()

    def open_password(self) -> None:
        app, actor = self.window_.app, self.window_.actor
        self.dialog = AccountForm(
            f"Change the password of {actor.name}", ("old", "password"),
            lambda f: accounts.change_password(app, actor, f.old.text(), f.new_password()),
            parent=self.window_)
        self.dialog.accepted.connect(lambda: self.window_.statusBar().showMessage(
            "Your password was changed", 10000))
        self.dialog.open()
