"""`python main.py` with no command: the TrialDesk window."""

from __future__ import annotations

import os
import sys
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from gui.window.launcher import Launcher


def run_gui(db_url: str | None, user: str | None) -> int:
    """Open the database (--db, TRIALDESK_DB or the default file), sign in, show the window.

    The user name is only filled in; the password is always asked for.
    """
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("TrialDesk")
    qapp.setQuitOnLastWindowClosed(False)  # between dialogs no window is open; we quit
    sys.excepthook = _report_crash
    launcher = Launcher(user or os.environ.get("TRIALDESK_USER"))
    launcher.quit_requested.connect(qapp.quit)
    if os.environ.get(SMOKE_VARIABLE):
        qapp.installEventFilter(_QuitWhenShown(qapp))
    QTimer.singleShot(0, lambda: launcher.open(db_url))  # quit() works once exec() runs
    return qapp.exec()


SMOKE_VARIABLE = "TRIALDESK_SMOKE_QUIT_AFTER_SHOWN"


class _QuitWhenShown(QObject):
    """For the install smoke test (packaging/smoke.sh): the first window shown proves that
    Qt, its platform plugin and the app's modules load from the bundle or the wheel; its
    title is printed and the app quits. Nothing is signed in or changed."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Show and isinstance(watched, QWidget)
                and watched.isWindow() and watched.windowTitle()):
            print(f"window shown: {watched.windowTitle()}", flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False


def _report_crash(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An error escaping a slot: write the crash report and say where, instead of a
    traceback on a terminal the coordinator never sees. The window stays open: Qt
    carries on after a slot raises, and what the slot was doing wrote nothing (every
    change is one transaction)."""
    from cli.crash import write_report
    from gui.common.messages import show_message

    try:
        where = str(write_report(exc.with_traceback(tb), sys.argv[1:]))
    except OSError as err:
        where = f"nowhere: {err.strerror or err}"
    print(f"error: unexpected {kind.__name__}; report written to {where}", file=sys.stderr)
    show_message(QApplication.activeWindow(), "TrialDesk",
                 "Something went wrong that TrialDesk did not expect. What you were doing was "
                 f"not saved.\n\nA report for the developers (no study data) is at:\n{where}")
