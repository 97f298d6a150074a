"""The process whose start-up and memory benchmarks/run.py measures; not run by hand.

    python -m benchmarks.startup_child PARENT_TIME bare
    python -m benchmarks.startup_child PARENT_TIME DATABASE_URL

PARENT_TIME is the parent's time.time() just before it started this process,
so the figure covers interpreter start and every import. `bare` shows an empty
PySide6 QMainWindow (the baseline); a URL opens that study and shows TrialDesk's
main window for a coordinator. Either way the clock stops in the first
zero-timer of the event loop after show() (the window is on screen, first
paint done), and one JSON line reports the seconds, the seconds until the
imports were done, and this process's peak resident memory. It then exits at
once, without waiting for the audit verification the main window starts in
the background.

Peak memory is VmHWM from /proc/self/status, not getrusage's ru_maxrss: Linux
carries ru_maxrss across exec, and subprocess starts this process with vfork,
so ru_maxrss here would report the parent's peak (the harness's, gigabytes).
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def peak_bytes() -> int:
    """This process's high-water resident memory (Linux)."""
    status = Path("/proc/self/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # reported in kB


def main() -> None:
    started, what = float(sys.argv[1]), sys.argv[2]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    qapp = QApplication(sys.argv[:1])
    if what == "bare":
        imported = time.time() - started
        window = QMainWindow()
    else:
        from gui.window.main_window import MainWindow
        from services.context import Actor, App

        imported = time.time() - started
        window = MainWindow(App(what), Actor("bench", "coordinator"))
    window.show()

    def shown() -> None:
        seconds = time.time() - started
        print(json.dumps({"seconds": seconds, "imported": imported,
                          "peak_bytes": peak_bytes()}), flush=True)
        os._exit(0)  # no teardown: background jobs and Qt objects die with the process

    QTimer.singleShot(0, shown)
    qapp.exec()


if __name__ == "__main__":
    main()
