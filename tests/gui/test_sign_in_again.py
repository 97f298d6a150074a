"""Signing out and in again in one app session, through the Account menu and the sign-in
dialog: each new window works (every tab, the Visits tab's buttons, a participant chosen
there followed by the other tabs), and a closed window no longer follows the events hub,
which outlives every window: a closed window's Visits tab that followed the next
window's participant reloaded while it was being deleted ("Internal C++ object already
deleted" in DataCaptureActions.update_buttons)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from gui.accounts.login_dialog import LoginDialog
from gui.common.events import events
from gui.visits.visits_view import VisitsView
from gui.window.launcher import Launcher
from gui.window.main_window import MainWindow
from services import demo
from tests.gui.conftest import JOBS_CEILING, settled

PASSWORDS = {name: password for name, _role, password in demo.ACCOUNTS}


@pytest.fixture
def launcher(qtbot: QtBot) -> Iterator[Launcher]:
    started = Launcher()
    yield started
    if started.window is not None:
        started.window.close()
    if started.dialog is not None and started.dialog.isVisible():
        qtbot.keyClick(started.dialog, Qt.Key.Key_Escape)


def _sign_in(qtbot: QtBot, launcher: Launcher, user: str) -> MainWindow:
    login = launcher.dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    login.user.clear()
    qtbot.keyClicks(login.user, user)
    qtbot.keyClicks(login.password, PASSWORDS[user])
    qtbot.mouseClick(login.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=JOBS_CEILING)
    window = launcher.window
    assert window is not None and window.actor.name == user
    settled(qtbot, window)
    return window


def _sign_out(qtbot: QtBot, window: MainWindow) -> None:
    """Account → Sign out; the closed window is deaf to the events hub at once, before
    Qt deletes it (which it does when the event loop next turns, or Python's garbage
    collector does at a moment nobody chooses)."""
    visits = window.tab("Visits")
    assert isinstance(visits, VisitsView)
    shown = visits.participant.currentData()
    other = visits.participant.itemData(visits.participant.count() - 1)
    assert other != shown
    window.account_menu.sign_out.trigger()
    assert not window.isVisible() and shiboken6.isValid(visits)
    events().select_participant(other)  # announced as the next window's views announce it
    assert visits.participant.currentData() == shown, "a closed window followed the hub"
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=JOBS_CEILING)


def _escape_dialogs(qtbot: QtBot, window: MainWindow) -> None:
    """Close with Escape each dialog a click opened, as a user would."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible() and widget is not window:
            qtbot.keyClick(widget, Qt.Key.Key_Escape)
            assert not widget.isVisible()


def _click_tab(qtbot: QtBot, window: MainWindow, index: int) -> None:
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentIndex() == index
    settled(qtbot, window)


def _every_tab_and_the_visits_buttons(qtbot: QtBot, window: MainWindow) -> None:
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    for i in range(len(titles)):
        _click_tab(qtbot, window, i)
    _click_tab(qtbot, window, titles.index("Visits"))
    view = window.tab("Visits")
    assert isinstance(view, VisitsView)
    chooser = view.participant
    chooser.setFocus()
    for index in (1, 2):  # the user picks another participant: every view follows
        qtbot.keyClick(chooser, Qt.Key.Key_Down)
        assert chooser.currentIndex() == index
        if "Imports" in titles and hasattr(imports := window.tab("Imports"), "sources"):
            assert imports.sources.participant.text() == chooser.currentData()
    table = view.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(view.model.index(0, 0)).center())
    assert view.actions.selected() is not None
    clickable = [w for w in view.findChildren(QAbstractButton)
                 if w.isVisible() and w.isEnabled()]
    assert len(clickable) >= 3, "the Visits tab offers its buttons"
    for button in clickable:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        _escape_dialogs(qtbot, window)
    assert view.isVisible() and view.table.model().rowCount() > 0


def test_sign_out_and_in_twice_as_two_roles_leaves_working_windows(
        qtbot: QtBot, launcher: Launcher, running_demo: str) -> None:
    launcher.open(running_demo)
    users = ("cora", "mona", "cora")
    for turn, user in enumerate(users):
        window = _sign_in(qtbot, launcher, user)
        _every_tab_and_the_visits_buttons(qtbot, window)
        if turn < len(users) - 1:
            _sign_out(qtbot, window)
