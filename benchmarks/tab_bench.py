"""First show of every tab of the main window, each in a child process of its own.

    python -m benchmarks.tab_bench URL ROLE TITLE     (the child; run.py starts it)

A child opens the study at URL in TrialDesk's main window for ROLE, offscreen, as
a user does (the window's background audit verification starts too), and waits
for the window's first paint (the Dashboard's with it; to measure the Dashboard
itself, the window opens on an empty tab instead) and for the idle work the window
starts after it (the plot tabs' warm-up, gui/window/warm_up.py). It then makes two
tabs current, one after the other, as a click on them would: first a baseline tab
appended for the
purpose (an empty QTableView, built by the same TabPage machinery), then the tab
called TITLE, built then for the first time. Each time is from the tab
becoming current to its content painted: the last Paint event on the page or
any widget in it, taken once the page has settled (QUIET_MS without a new paint
and no job of the page's still running, so a tab that loads off the GUI thread,
or after its first paint, is timed until its data are on screen, not to its
placeholder).
One JSON line reports both, in milliseconds.

A fresh process per tab makes every figure a first show: the tab's modules
(pyqtgraph, pandas, …) are imported then, as they are for a user.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

REPO = Path(__file__).resolve().parent.parent
START_TITLE = "Bench start"
BASELINE_TITLE = "Bench baseline"
TARGET_MS = 300.0
SETTLE_LIMIT_S = 240.0  # within the parent's timeout for a child
BUSY_POLL_MS = 10  # a page that never settles is reported, not waited for forever
# Settled: no paint for this long. One event-loop turn without a paint was not enough:
# a repaint asked for by a data load reaches the widgets a few posted events later
# (a graphics scene's update, then the window's update request, on a timer of its
# own), so the Group plots tab was timed to the placeholder painted before its data.
# Well under a text cursor's first blink (500 ms), which would count as a paint.
QUIET_MS = 150
# The analysis tab is measured for the role that uses it; every other tab for the
# coordinator, who sees them all.
ROLE_OF = {"Analysis": "statistician"}
DEFAULT_ROLE = "coordinator"


def role_for(title: str) -> str:
    return ROLE_OF.get(title, DEFAULT_ROLE)


# -- the child ------------------------------------------------------------------------------

class PaintClock:
    """Runs `act`, then times until `widget` and its children have settled: the last
    Paint event among them, once `quiet_ms` passed without a new paint and no job of
    `page`'s is running (gui/common/jobs.py; not the window's background audit check,
    which runs on). `done` gets the milliseconds."""

    def __init__(self, widget, page, act: Callable[[], object],
                 done: Callable[[float], None], quiet_ms: float = QUIET_MS):
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication, QWidget

        from gui.common.jobs import JobRunner

        self.widget, self.page, self.act, self.done = widget, page, act, done
        self.quiet_ms = quiet_ms
        self.paints: list[float] = []
        self.seen = 0
        self.runner_type, self.timer, self.qapp = JobRunner, QTimer, QApplication.instance()
        paint, paints = QEvent.Type.Paint, self.paints

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == paint and isinstance(watched, QWidget) and (
                        watched is widget or widget.isAncestorOf(watched)):
                    paints.append(time.perf_counter())
                return False

        self.filter = Filter()

    def start(self) -> None:
        self.qapp.installEventFilter(self.filter)
        self.started = time.perf_counter()
        self.act()
        self.timer.singleShot(0, lambda: self._turn())  # a lambda: held, unlike a method

    def _busy(self) -> bool:
        return any(runner.runs for runner in self.page.findChildren(self.runner_type))

    def _turn(self) -> None:
        busy = self._busy()
        quiet = bool(self.paints) and len(self.paints) == self.seen and (
            time.perf_counter() - self.paints[-1]) * 1000 >= self.quiet_ms
        settled = quiet and not busy
        self.seen = len(self.paints)
        if not settled and time.perf_counter() - self.started > SETTLE_LIMIT_S:
            _fail(f"not settled after {SETTLE_LIMIT_S:.0f} s")
        if not settled:
            # look again a little later: spinning the event loop would take the
            # interpreter from a job's thread (the clock is the last paint's, not this)
            self.timer.singleShot(BUSY_POLL_MS, lambda: self._turn())
            return
        self.qapp.removeEventFilter(self.filter)
        if not self.paints:
            _fail("nothing was painted")
        try:
            self.done((self.paints[-1] - self.started) * 1000)
        except Exception:  # in a Qt callback: reported, and the child ends with an error
            traceback.print_exc()
            _fail("the next measurement failed")


def _fail(why: str) -> None:
    print(why, file=sys.stderr, flush=True)
    os._exit(1)


def child(url: str, role: str, title: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QTableView, QWidget

    qapp = QApplication(sys.argv[:1])
    from gui.window import tabs
    from gui.window.main_window import MainWindow
    from services.context import Actor, App

    if title not in [t for t, _ in tabs.TABS]:
        raise SystemExit(f"no tab called {title!r}: {', '.join(t for t, _ in tabs.TABS)}")
    QTableView()  # Qt's Python enums are made on first use: here, where nothing is timed
    # The window opens on the Dashboard, as it does for a user, or (to measure the
    # Dashboard's first show) on an empty tab; the baseline tab is appended.
    if title == tabs.TABS[0][0]:
        tabs.TABS.insert(0, (START_TITLE, lambda app, actor, parent: QWidget(parent)))
    tabs.TABS.append((BASELINE_TITLE, lambda app, actor, parent: QTableView(parent)))
    window = MainWindow(App(url), Actor("bench", role))
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    baseline = titles.index(BASELINE_TITLE)
    window.show()
    result: dict[str, float] = {}

    def measured(ms: float) -> None:
        result["tab"] = ms
        print(json.dumps(result), flush=True)
        os._exit(0)  # no teardown: background jobs and Qt objects die with the process

    def clock(index: int, done: Callable[[float], None]) -> PaintClock:
        page = window.tabs.widget(index)
        return PaintClock(page, page, lambda: window.tabs.setCurrentIndex(index), done)

    def baseline_measured(ms: float) -> None:
        result["baseline"] = ms
        clock(titles.index(title), measured).start()

    def window_shown(_ms: float) -> None:
        """Click once the window's idle work is over: the plot tabs' warm-up
        (gui/window/warm_up.py) imports on a thread after the first paint, and a click
        during it would time its imports, or (waiting on them) share the interpreter."""
        warm = window.warm_up
        if warm is not None and not warm.finished.is_set():
            QTimer.singleShot(BUSY_POLL_MS, lambda: window_shown(_ms))
            return
        clock(baseline, baseline_measured).start()

    # The window's own first paint (and the Dashboard's) is over before the clicks: one
    # turn without a paint will do, as the status bar's busy bar animates while the audit
    # check runs (it is not timed: the tabs' clocks count only their pages' paints).
    shown = PaintClock(window, window.tabs.currentWidget(), lambda: None, window_shown,
                       quiet_ms=0)
    QTimer.singleShot(0, lambda: shown.start())
    qapp.exec()


# -- the parent -----------------------------------------------------------------------------

def _run_child(url: str, title: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.tab_bench", url, role_for(title),
                           title], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"tab child ({title}) failed: {done.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def measure(url: str, repeats: int) -> list[tuple[str, float, float]]:
    """(title, median ms, median baseline ms) for every tab of gui/window/tabs.py."""
    from gui.window.tabs import TABS

    out = []
    for title, _ in TABS:
        runs = [_run_child(url, title) for _ in range(repeats)]
        out.append((title, statistics.median(r["tab"] for r in runs),
                    statistics.median(r["baseline"] for r in runs)))
    return out


if __name__ == "__main__":
    child(*sys.argv[1:4])
