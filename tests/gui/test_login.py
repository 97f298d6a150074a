"""Signing in: a wrong password keeps the dialog open with the reason; the demo lists
its public accounts, a real study does not."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from gui.accounts.login_dialog import LoginDialog
from services import demo
from services.context import Actor, App
from tests.conftest import PASSWORDS


def _sign_in(qtbot: QtBot, dialog: LoginDialog, user: str, password: str) -> None:
    dialog.user.clear()
    qtbot.keyClicks(dialog.user, user)
    qtbot.keyClicks(dialog.password, password)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_wrong_password_shows_the_error_and_stays_open_then_the_right_one_signs_in(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor]) -> None:
    dialog = LoginDialog(sqlite_app, "cora")
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.demo_accounts is None
    _sign_in(qtbot, dialog, "cora", "not-her-password")
    assert dialog.isVisible() and dialog.actor is None
    assert dialog.error.isVisible()
    assert "wrong user name or password" in dialog.error.text()
    assert dialog.password.text() == ""
    with qtbot.waitSignal(dialog.accepted):
        _sign_in(qtbot, dialog, "cora", PASSWORDS["cora"])
    assert dialog.actor == Actor("cora", "coordinator")
    assert not dialog.isVisible()


def test_the_demo_lists_its_accounts_and_a_click_fills_the_user_name(
        qtbot: QtBot, sqlite_app: App) -> None:
    demo.build(sqlite_app)
    dialog = LoginDialog(sqlite_app)
    qtbot.addWidget(dialog)
    dialog.open()
    accounts = dialog.demo_accounts
    assert accounts is not None and accounts.count() == len(demo.ACCOUNTS)
    item = accounts.item(1)
    qtbot.mouseClick(accounts.viewport(), Qt.MouseButton.LeftButton,
                     pos=accounts.visualItemRect(item).center())
    assert dialog.user.text() == "cora"
    with qtbot.waitSignal(dialog.accepted):
        _sign_in(qtbot, dialog, "cora", "demo-coordinator")
    assert dialog.actor == Actor("cora", "coordinator")
