"""From start-up to a signed-in window: sign-in, the welcome for an empty or unopenable
database, a new study from a protocol (and a bad one), File → Open, and run_gui itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from gui.accounts.login_dialog import LoginDialog
from gui.app import run_gui
from gui.window import main_window
from gui.window.launcher import Launcher
from gui.window.main_window import MainWindow
from gui.window.new_study_dialog import NewStudyDialog
from gui.window.open_database_dialog import OpenDatabaseDialog
from gui.window.tabs import TABS
from gui.window.welcome_dialog import WelcomeDialog
from services.context import Actor, App
from tests.conftest import PASSWORDS, REFERENCE, make_study
from tests.gui.conftest import press, settled


@pytest.fixture
def launcher(qtbot: QtBot, foundation_tabs: None) -> Iterator[Launcher]:
    launcher = Launcher("cora")
    yield launcher
    if launcher.window:
        with qtbot.waitSignal(launcher.quit_requested):
            launcher.window.close()


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _sign_in(qtbot: QtBot, launcher: Launcher, password: str) -> MainWindow:
    dialog = launcher.dialog
    assert isinstance(dialog, LoginDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.password, password)
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: launcher.window is not None and not launcher.window.runner.runs)
    return launcher.window


def _new_study_dialog(qtbot: QtBot, launcher: Launcher) -> NewStudyDialog:
    welcome = launcher.dialog
    assert isinstance(welcome, WelcomeDialog)
    _click(qtbot, welcome.new_button)
    dialog = welcome.files.dialog
    assert isinstance(dialog, NewStudyDialog) and dialog.isVisible()
    return dialog


def _fill(qtbot: QtBot, dialog: NewStudyDialog, protocol: Path, password: str,
          repeat: str | None = None) -> None:
    dialog.protocol.edit.setText(str(protocol))
    dialog.password.clear()
    dialog.repeat.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClicks(dialog.repeat, password if repeat is None else repeat)


def _create(qtbot: QtBot, dialog: NewStudyDialog) -> None:
    with qtbot.waitSignal(dialog.runner.done, timeout=10_000):
        _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


@pytest.fixture
def bad_protocol(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(Path(REFERENCE).read_text().replace('design = "crossover"', 'design = "zigzag"')
                    .replace("washout_days", "washot_days"))
    return path


def test_sign_in_opens_the_main_window_with_its_status(
        qtbot: QtBot, launcher: Launcher, sqlite_app: App, sqlite_url: str,
        actors: dict[str, Actor]) -> None:
    launcher.open(sqlite_url)
    window = _sign_in(qtbot, launcher, PASSWORDS["cora"])
    assert window.actor == Actor("cora", "coordinator") and window.isVisible()
    assert window.windowTitle().startswith(sqlite_app.protocol.title)
    assert sqlite_app.safe_url in window.windowTitle()
    assert window.user_label.text() == "cora (coordinator)"
    assert window.database_label.text() == sqlite_app.safe_url
    assert window.stage_label.text() == "Stage: setup"
    assert window.audit_label.text().startswith("Audit trail verified")
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Participants", "Audit"]


def test_cancelling_sign_in_quits(qtbot: QtBot, launcher: Launcher, sqlite_url: str,
                                  actors: dict[str, Actor]) -> None:
    launcher.open(sqlite_url)
    dialog = launcher.dialog
    with qtbot.waitSignal(launcher.quit_requested):
        press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert not dialog.isVisible() and launcher.window is None


def test_an_unopenable_database_is_explained_then_the_welcome_offers_a_way_on(
        qtbot: QtBot, launcher: Launcher) -> None:
    launcher.open("mysql://someone@host/study")
    assert isinstance(launcher.dialog, WelcomeDialog) and launcher.dialog.isVisible()
    assert "'mysql' databases are not supported" in launcher.message.text()
    assert launcher.dialog.quit_button.text() == "Quit"
    with qtbot.waitSignal(launcher.quit_requested):
        _click(qtbot, launcher.dialog.quit_button)


def test_an_empty_database_gets_a_study_a_bad_protocol_lists_every_key(
        qtbot: QtBot, launcher: Launcher, sqlite_url: str, bad_protocol: Path) -> None:
    launcher.open(sqlite_url)
    dialog = _new_study_dialog(qtbot, launcher)
    assert dialog.database.text() == sqlite_url.removeprefix("sqlite:///")
    _fill(qtbot, dialog, bad_protocol, "new-admin-pass")
    _create(qtbot, dialog)
    assert dialog.isVisible() and launcher.window is None
    lines = dialog.error.text().splitlines()
    assert lines[0] == "bad.toml has 2 problems:"
    assert any(line.startswith("• study.washot_days: unknown key") for line in lines)
    assert any(line.startswith("• study.design: must be one of") for line in lines)
    _fill(qtbot, dialog, Path(REFERENCE), "new-admin-pass")
    _create(qtbot, dialog)
    qtbot.waitUntil(lambda: launcher.window is not None)
    assert launcher.window.actor == Actor("admin", "admin")
    assert not launcher.dialog.isVisible()
    settled(qtbot, launcher.window)


def test_passwords_that_differ_are_refused_before_anything_is_created(
        qtbot: QtBot, launcher: Launcher, tmp_path: Path) -> None:
    launcher.open("mysql://x/y")
    dialog = _new_study_dialog(qtbot, launcher)
    target = tmp_path / "new.sqlite"
    dialog.database.edit.setText(str(target))
    _fill(qtbot, dialog, Path(REFERENCE), "new-admin-pass", "new-admin-pas")
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert dialog.error.text() == "The two passwords differ."
    assert not target.exists()


def test_a_refused_new_study_leaves_no_database_file(
        qtbot: QtBot, launcher: Launcher, tmp_path: Path, bad_protocol: Path) -> None:
    launcher.open("mysql://x/y")
    dialog = _new_study_dialog(qtbot, launcher)
    target = tmp_path / "new.sqlite"
    dialog.database.edit.setText(str(target))
    _fill(qtbot, dialog, bad_protocol, "new-admin-pass")
    _create(qtbot, dialog)
    assert dialog.error.isVisible()
    assert not target.exists()


def test_file_open_switches_to_another_study_after_signing_in(
        qtbot: QtBot, launcher: Launcher, sqlite_url: str, actors: dict[str, Actor],
        tmp_path: Path) -> None:
    other = App(f"sqlite:///{tmp_path / 'other.sqlite'}")
    make_study(other, ("cora",))
    other.close()
    launcher.open(sqlite_url)
    first = _sign_in(qtbot, launcher, PASSWORDS["cora"])
    [menu_item] = [a for a in first.findChildren(QAction) if a.text() == "&Open database…"]
    menu_item.trigger()  # what File → Open database… does
    dialog = first.files.dialog
    assert isinstance(dialog, OpenDatabaseDialog) and dialog.isVisible()
    dialog.file.edit.setText(str(tmp_path / "missing.sqlite"))
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Open)
    assert dialog.isVisible() and "There is no file" in dialog.error.text()
    dialog.file.edit.setText(str(tmp_path / "other.sqlite"))
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Open)
    qtbot.waitUntil(lambda: isinstance(launcher.dialog, LoginDialog))
    second = _sign_in(qtbot, launcher, PASSWORDS["cora"])
    assert second is not first and "other.sqlite" in second.database_label.text()
    qtbot.waitUntil(lambda: not shiboken6.isValid(first))  # closed and deleted


def test_a_later_feature_adds_a_tab_by_appending_to_tabs(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, sqlite_app: App,
        actors: dict[str, Actor]) -> None:
    made: list[tuple[App, Actor, QWidget]] = []

    class Plain(QLabel):
        refreshed = 0

        def refresh(self) -> None:
            self.refreshed += 1

    def factory(app: App, actor: Actor, parent: QWidget) -> QWidget:
        made.append((app, actor, parent))
        return Plain("a later feature", parent)

    monkeypatch.setattr(main_window, "TABS", [*TABS, ("Later", factory)])
    window = MainWindow(sqlite_app, actors["cora"])
    qtbot.addWidget(window)
    settled(qtbot, window)
    assert made == []  # built when first shown
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Later"
    assert made == [(sqlite_app, actors["cora"], window)]
    later = window.tab("Later")
    assert isinstance(later, Plain) and later.refreshed == 0
    assert window.tabs.currentWidget().isAncestorOf(later)  # it fills the tab's page
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    assert later.refreshed == 1 and len(made) == 1  # shown again: refreshed, not rebuilt


def test_run_gui_returns_0_when_sign_in_is_cancelled(
        qtbot: QtBot, sqlite_url: str, actors: dict[str, Actor]) -> None:
    """No watchdog: if Cancel does not end the event loop, the test hangs and
    pytest-timeout fails it (setup.cfg)."""
    seen: list[str] = []

    def cancel_sign_in() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, LoginDialog) and w.isVisible()]
        if dialogs:
            seen.append(dialogs[0].user.text())
            press(qtbot, dialogs[0], QDialogButtonBox.StandardButton.Cancel)
        else:
            QTimer.singleShot(20, cancel_sign_in)

    qapp = QApplication.instance()
    QTimer.singleShot(20, cancel_sign_in)
    try:
        assert run_gui(sqlite_url, "ivan") == 0
        assert qapp.applicationName() == "TrialDesk"
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert seen == ["ivan"]  # the sign-in was shown, for the user asked for, and cancelled


def test_a_dialog_the_launcher_replaces_is_deleted_not_left_to_the_cycle_collector(
        qtbot: QtBot, launcher: Launcher, sqlite_url: str, actors: dict[str, Actor]) -> None:
    """Issue 15: widgets left to Python's cycle collector were destroyed whenever it ran,
    on a worker thread too, and crashed the process. The first sign-in's dialog has no
    window to own it; signing out and in again must delete it, not drop it."""
    launcher.open(sqlite_url)
    first = launcher.dialog
    window = _sign_in(qtbot, launcher, PASSWORDS["cora"])
    window.account_menu.sign_out.trigger()
    assert isinstance(launcher.dialog, LoginDialog) and launcher.dialog is not first
    qtbot.waitUntil(lambda: not shiboken6.isValid(first))
    assert _sign_in(qtbot, launcher, PASSWORDS["cora"]).isVisible()
