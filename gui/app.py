"""`python main.py` with no command: the TrialDesk window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.window.launcher import Launcher


def run_gui(db_url: str | None, user: str | None) -> int:
    """Open the database (--db, TRIALDESK_DB or the default file), sign in, show the window.

    The user name is only filled in; the password is always asked for.
    """
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("TrialDesk")
    qapp.setQuitOnLastWindowClosed(False)  # between dialogs no window is open; we quit
    launcher = Launcher(user or os.environ.get("TRIALDESK_USER"))
    launcher.quit_requested.connect(qapp.quit)
    QTimer.singleShot(0, lambda: launcher.open(db_url))  # quit() works once exec() runs
    return qapp.exec()
