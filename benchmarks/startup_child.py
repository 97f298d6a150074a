"""The process whose start-up and memory benchmarks/run.py measures; not run by hand.

    python -m benchmarks.startup_child PARENT_TIME bare
    python -m benchmarks.startup_child PARENT_TIME DATABASE_URL

PARENT_TIME is the parent's time.time() just before it started this process,
so the figure covers interpreter start and every import. `bare` shows an empty
PySide6 QMainWindow (the baseline); a URL opens that study and shows TrialDesk's
main window for a coordinator. Either way the clock stops in the first
zero-timer of the event loop after show() (the window is on screen, first
paint done), and one JSON line reports the seconds and the peak resident
memory (ru_maxrss) of this process. It then exits at once, without waiting
for the audit verification the main window starts in the background.
"""

import json
import os
import resource
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    started, what = float(sys.argv[1]), sys.argv[2]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    qapp = QApplication(sys.argv[:1])
    if what == "bare":
        window = QMainWindow()
    else:
        import gui  # noqa: F401  (PySide6 workarounds before any widget, as main.py does)
        from gui.main_window import MainWindow
        from services.context import Actor, App

        window = MainWindow(App(what), Actor("bench", "coordinator"))
    window.show()

    def shown() -> None:
        seconds = time.time() - started
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(json.dumps({"seconds": seconds, "peak_bytes": peak_kib * 1024}), flush=True)
        os._exit(0)  # no teardown: background jobs and Qt objects die with the process

    QTimer.singleShot(0, shown)
    qapp.exec()


if __name__ == "__main__":
    main()
