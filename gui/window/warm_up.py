"""The plot tabs' modules, imported on a worker thread once the window is idle.

A tab's modules are imported when it is first shown (gui/window/tabs.py), which keeps
start-up short; but for the Participant plots and Group plots tabs that import
(pyqtgraph, its graphics items, numpy's and the plot modules) was most of their first
show: 0.5-1 s of a user's click. The window starts this a moment after it is shown,
for a role that sees those tabs, while the user reads the Dashboard; the tab then
builds from modules already loaded. A tab built while it runs waits for it to end
(wait()): the two threads importing at once could each hold a module the other
needs, which Python breaks by failing one of the imports.

The thread only imports: no widget is made off the GUI thread, and nothing it does
reaches the window. A failure is logged and left for the tab to meet when shown.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from trialcore.roles import allowed

log = logging.getLogger(__name__)

PLOT_MODULES = ("gui.plots.participant_tab", "gui.plots.group_view")
PERMISSION = "data.read"  # the plot tabs' (gui/window/tabs.py)
IDLE_MS = 300  # after the window is shown: its first paint and the Dashboard's are done


class WarmUp:
    """Imports `modules` on a daemon thread, started `IDLE_MS` after start_later()."""

    def __init__(self, modules: Sequence[str] = PLOT_MODULES):
        self.modules = tuple(modules)
        self.finished = threading.Event()  # set when every import was tried
        self.thread: threading.Thread | None = None

    def start_later(self, window: QWidget) -> None:
        """Start once the window is idle; dropped if the window is deleted first."""
        QTimer.singleShot(IDLE_MS, window, self.start)

    def start(self) -> None:
        if self.thread is not None:
            return
        self.thread = threading.Thread(target=self._run, name="plot warm-up", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Until the imports are done, if they were started; at once if not."""
        if self.thread is not None:
            self.thread.join()

    def _run(self) -> None:
        # The imports allocate enough to start a garbage collection, which runs on the
        # thread that allocates: collected here, a closed window's or dialog's wrapper
        # would delete its Qt object off the GUI thread and crash the process. No
        # collection while this thread imports (well under a second); the GUI thread's
        # next allocations collect what is due.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for name in self.modules:
                importlib.import_module(name)
        except Exception:  # the tab imports it again when shown, and reports it then
            log.exception("warming up the plot modules failed")
        finally:
            if collecting:
                gc.enable()
            self.finished.set()


def warm_up_for(role: str) -> WarmUp | None:
    """A warm-up for a role that sees the plot tabs; None for one that does not."""
    return WarmUp() if allowed(role, PERMISSION) else None
