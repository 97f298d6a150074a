"""From a database to a signed-in main window, and again after File → Open or New study.

Every step is a non-blocking dialog, so run_gui only starts the launcher and runs
the event loop, and tests can drive each step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox

from gui.accounts.database_password import DatabasePasswordDialog
from gui.accounts.login_dialog import LoginDialog
from gui.common.messages import show_message
from gui.window.main_window import MainWindow
from gui.window.study_files import StudyFiles
from gui.window.welcome_dialog import WelcomeDialog
from services.context import Actor, App
from services.errors import PasswordNeeded, Refused


class Launcher(QObject):
    """Owns the open App and its window; closes an App when its window or sign-in closes."""

    quit_requested = Signal()

    def __init__(self, user: str | None = None):
        super().__init__()
        self.user = user
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None

    def open(self, url: str | None, password: str | None = None) -> None:
        """Open a database: sign in if it holds a study, else offer to make or open one."""
        try:
            app = App(url, password)
            has_study = app.has_study()
        except PasswordNeeded as exc:
            self.ask_password(url, exc.message)
            return
        except Refused as exc:
            self.welcome("TrialDesk could not open that database.")
            self.message = show_message(self.dialog, "Cannot open the database", exc.message)
            return
        if has_study:
            self.login(app)
            return
        path = app.url.removeprefix("sqlite:///") if app.url.startswith("sqlite:///") else ""
        self.welcome(f"{app.safe_url} holds no study yet.", path)
        app.close()

    def ask_password(self, url: str | None, why: str) -> None:
        """The server wants a password nothing else gave: ask, then open again with it."""
        dialog = DatabasePasswordDialog(url or "", why, self.window)
        dialog.accepted.connect(lambda: self.open(url, dialog.password.text()))
        dialog.rejected.connect(self._quit_if_no_window)
        self._show(dialog)

    def welcome(self, text: str, default_database: str = "") -> None:
        dialog = WelcomeDialog(text, default_database,
                               "Cancel" if self.window else "Quit", self.window)
        self._connect(dialog.files)
        dialog.rejected.connect(self._quit_if_no_window)
        self._show(dialog)

    def login(self, app: App) -> None:
        dialog = LoginDialog(app, self.user, self.window)
        dialog.accepted.connect(lambda: self.show_main(app, dialog.actor))
        dialog.rejected.connect(app.close)
        dialog.rejected.connect(self._quit_if_no_window)
        self._show(dialog)

    def show_main(self, app: App, actor: Actor) -> None:
        """Replace the current window (closing its database) with one on `app`."""
        old, self.window = self.window, MainWindow(app, actor)
        self._connect(self.window.files)
        self.window.closed.connect(self._window_closed)
        self.window.signed_out.connect(self._signed_out)
        self.window.show()
        if old:
            old.close()

    def _connect(self, files: StudyFiles) -> None:
        files.database_chosen.connect(self.open)
        files.study_created.connect(self.show_main)

    def _show(self, dialog: QDialog) -> None:
        """Show the next step, deleting the step before it. Without a window to parent it
        (first sign-in, after sign-out) a dialog is owned by Python alone, and the lambdas
        on its signals hold it in a reference cycle: dropped, it would be destroyed whenever
        the cycle collector next ran, even on a worker thread in the middle of a job."""
        if self.dialog is not None and self.dialog is not dialog:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def _window_closed(self, window: MainWindow) -> None:
        window.app.close()
        window.deleteLater()
        if window is self.window:
            self.window = None
            self.quit_requested.emit()

    def _signed_out(self, window: MainWindow) -> None:
        """The database stays open for whoever signs in next; cancelling that quits."""
        window.deleteLater()
        if window is self.window:
            self.window = None
        self.login(window.app)

    def _quit_if_no_window(self) -> None:
        if self.window is None:
            self.quit_requested.emit()
