"""Accounts in the window: the admin's dialog, your own password, signing out, and the
audit receipt button, each driven by clicks and keys on the real widgets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.accounts.forms import AccountForm
from gui.accounts.login_dialog import LoginDialog
from gui.common.table_model import RowTableModel
from gui.imports.import_tab import ImportsTab
from gui.window.launcher import Launcher
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS, shown_to
from services import accounts
from services.context import Actor, App
from services.errors import Refused
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS

STRONG = "velvet-orbit-canyon-42"


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _ok(qtbot: QtBot, form: AccountForm) -> None:
    _click(qtbot, form.buttons.button(QDialogButtonBox.StandardButton.Ok))


def _select(qtbot: QtBot, dialog: QWidget, name: str) -> None:
    table = dialog.table  # type: ignore[attr-defined]
    model = table.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == name)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(model.index(row, 0)).center())


def test_the_admin_manages_accounts_with_reasons(qtbot: QtBot, sqlite_app: App,
                                                 open_window: Callable[[str], MainWindow]
                                                 ) -> None:
    window = open_window("admin")
    window.account_menu.manage.trigger()
    dialog = window.account_menu.manage_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.disable_button.isEnabled()  # nothing chosen yet
    _select(qtbot, dialog, "cora")
    _click(qtbot, dialog.disable_button)
    form = dialog.form
    assert form is not None and form.isVisible()
    _ok(qtbot, form)  # no reason: refused, the form stays open
    assert form.isVisible() and "needs a reason" in form.error.text()
    qtbot.keyClicks(form.reason, "left the site")
    _ok(qtbot, form)
    assert not form.isVisible()
    assert [u["active"] for u in accounts.list_users(sqlite_app, Actor("admin", "admin"))
            if u["user"] == "cora"] == [False]
    model = dialog.table.model()
    shown = {model.index(r, 0).data(): model.index(r, 2).data() for r in range(model.rowCount())}
    assert shown["cora"] == "disabled"

    _select(qtbot, dialog, "cora")
    _click(qtbot, dialog.enable_button)
    qtbot.keyClick(dialog.form, Qt.Key.Key_Escape)  # Escape: nothing changes
    assert not dialog.form.isVisible()
    with pytest.raises(Refused):
        accounts.login(sqlite_app, "cora", PASSWORDS["cora"])

    _click(qtbot, dialog.add_button)
    form = dialog.form
    qtbot.keyClicks(form.name, "nina")
    qtbot.keyClicks(form.role, "investigator")
    qtbot.keyClicks(form.password, "nina2026")
    qtbot.keyClicks(form.repeat, "nina2026")
    _ok(qtbot, form)
    assert form.isVisible() and "too easy to guess" in form.error.text()
    for field in (form.password, form.repeat):
        field.clear()
        qtbot.keyClicks(field, STRONG)
    _ok(qtbot, form)
    assert accounts.login(sqlite_app, "nina", STRONG) == Actor("nina", "investigator")

    _select(qtbot, dialog, "nina")
    _click(qtbot, dialog.role_button)
    qtbot.keyClicks(dialog.form.role, "coordinator")
    qtbot.keyClicks(dialog.form.reason, "moved to the coordination team")
    _ok(qtbot, dialog.form)
    _select(qtbot, dialog, "nina")
    _click(qtbot, dialog.reset_button)
    form = dialog.form
    qtbot.keyClicks(form.password, STRONG + "!")
    qtbot.keyClicks(form.repeat, STRONG + "!")
    _click(qtbot, form.buttons.button(QDialogButtonBox.StandardButton.Cancel))
    assert accounts.login(sqlite_app, "nina", STRONG) == Actor("nina", "coordinator")
    _click(qtbot, dialog.close_button)
    assert not dialog.isVisible()


def test_the_accounts_list_is_the_app_s_table_filling_the_dialog(
        qtbot: QtBot, open_window: Callable[[str], MainWindow]) -> None:
    """As every tab's list: the common model and view, no row numbers, and the columns
    share the width however wide the admin makes the dialog."""
    window = open_window("admin")
    window.account_menu.manage.trigger()
    dialog = window.account_menu.manage_dialog
    assert dialog is not None
    table = dialog.table
    assert isinstance(table.model(), RowTableModel) and not table.verticalHeader().isVisible()
    header = table.horizontalHeader()
    for width in (560, 900):
        dialog.resize(width, 400)
        qtbot.waitUntil(lambda: header.length() == table.viewport().width())
        sections = [header.sectionSize(c) for c in range(header.count())]
        assert min(sections) > table.viewport().width() // 4  # shared, none squeezed
    _select(qtbot, dialog, "cora")
    assert dialog.selected() == "cora" and dialog.role_button.isEnabled()


def test_only_the_admin_may_open_account_management(
        open_window: Callable[[str], MainWindow]) -> None:
    assert not open_window("cora").account_menu.manage.isEnabled()


def test_everyone_changes_their_own_password(qtbot: QtBot, sqlite_app: App,
                                             open_window: Callable[[str], MainWindow]) -> None:
    window = open_window("cora")
    window.account_menu.change_password.trigger()
    form = window.account_menu.dialog
    assert form is not None and form.isVisible()
    qtbot.keyClicks(form.old, "not-her-password")
    qtbot.keyClicks(form.password, STRONG)
    qtbot.keyClicks(form.repeat, STRONG)
    _ok(qtbot, form)
    assert form.isVisible() and "wrong user name or password" in form.error.text()
    _click(qtbot, form.buttons.button(QDialogButtonBox.StandardButton.Cancel))
    assert not form.isVisible()
    window.account_menu.change_password.trigger()
    form = window.account_menu.dialog
    qtbot.keyClicks(form.old, PASSWORDS["cora"])
    qtbot.keyClicks(form.password, STRONG)
    qtbot.keyClicks(form.repeat, STRONG + "x")
    _ok(qtbot, form)
    assert "differ" in form.error.text()
    form.repeat.clear()
    qtbot.keyClicks(form.repeat, STRONG)
    _ok(qtbot, form)
    assert not form.isVisible()
    assert accounts.login(sqlite_app, "cora", STRONG) == Actor("cora", "coordinator")


def test_sign_out_asks_who_signs_in_next(qtbot: QtBot, sqlite_url: str,
                                         actors: dict[str, Actor], foundation_tabs: None
                                         ) -> None:
    launcher = Launcher("cora")
    launcher.open(sqlite_url)
    login = launcher.dialog
    assert isinstance(login, LoginDialog)
    qtbot.keyClicks(login.password, PASSWORDS["cora"])
    _click(qtbot, login.buttons.button(QDialogButtonBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: launcher.window is not None and not launcher.window.runner.runs)
    window = launcher.window
    window.account_menu.sign_out.trigger()
    assert launcher.window is None and not window.isVisible()
    login = launcher.dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    assert login.app.has_study()  # the database stayed open for the next user
    with qtbot.waitSignal(launcher.quit_requested):
        qtbot.keyClick(login, Qt.Key.Key_Escape)


def test_a_receipt_is_saved_from_the_imports_tab(qtbot: QtBot, sqlite_app: App,
                                                 actors: dict[str, Actor], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tab = ImportsTab(sqlite_app, actors["cora"])
    qtbot.addWidget(tab)
    tab.show()
    _click(qtbot, tab.receipt_button)
    dialog = tab.receipt_button.dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    dialog.selectFile(str(tmp_path / "after-import.json"))
    _click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save))
    receipt = json.loads((tmp_path / "after-import.json").read_text())
    assert receipt["entries"] > 0 and len(receipt["head"]) == 64
    assert "Receipt saved" in tab.receipt_button.message.windowTitle()
    # the tooltip's command, typed as it says, checks the receipt just saved
    command = re.search(r"the command (trialdesk .+ FILE) proves",
                        tab.receipt_button.toolTip())
    assert command is not None
    args = command[1].replace("FILE", str(tmp_path / "after-import.json")).split()[1:]
    checked = cli(capsys, monkeypatch, sqlite_app.url, "--json", *args, user="cora",
                  password=PASSWORDS["cora"])
    assert checked.code == 0 and [r["ok"] for r in checked.json["receipts"]] == [True]


def test_roles_that_may_not_read_values_get_notes(qtbot: QtBot, sqlite_app: App,
                                                  actors: dict[str, Actor]) -> None:
    phil = actors["phil"]
    tab = ImportsTab(sqlite_app, phil)
    qtbot.addWidget(tab)
    assert not hasattr(tab, "sources") and not tab.receipt_button.isVisibleTo(tab)
    titles = [title for title, _ in shown_to("pharmacist", TABS)]
    assert "Participant plots" not in titles and "Group plots" not in titles
    assert "Imports" in titles


def test_the_lock_tab_offers_a_receipt(qtbot: QtBot, sqlite_app: App,
                                       actors: dict[str, Actor]) -> None:
    from gui.lock.lock_view import LockView

    window = MainWindow(sqlite_app, actors["ivan"])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.runner.runs, timeout=30_000)
    view = window.show_tab("Lock")
    assert isinstance(view, LockView)
    qtbot.waitUntil(lambda: view.status is not None and not view.runner.runs, timeout=30_000)
    assert view.receipt_button.isVisible()
    _click(qtbot, view.receipt_button)
    dialog = view.receipt_button.dialog
    assert dialog is not None and dialog.isVisible()
    _click(qtbot, dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Cancel))
    assert not dialog.isVisible() and view.receipt_button.message is None
    window.close()
