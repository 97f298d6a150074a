"""Long work off the GUI thread: prepare on the GUI thread, run on a worker, process the result.

Imports, exports, verification and analysis all reuse this, so the window never
freezes and nothing needs processEvents(): the worker reaches the GUI only
through Qt signals, which are queued to the GUI thread because their receivers
live there, and a job's run() never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QMessageBox, QProgressBar, QProgressDialog, QWidget

from gui.common.messages import describe, show_message
from services.errors import Refused

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]

log = logging.getLogger(__name__)
SHOW_DIALOG_AFTER_MS = 400  # quick jobs finish without a flashing dialog


class Job:
    """One piece of long work. Subclasses set `title` and override run()."""

    title = "Working"
    background = False  # True: no progress dialog; the job reports in its own way

    def prepare(self) -> None:
        """GUI thread, before the worker starts: check inputs; raise Refused to stop."""

    def run(self, progress: Progress, cancelled: Cancelled) -> object:
        """Worker thread, no widgets. Report progress(done, total, text); total 0 means
        unknown. Check cancelled() often, and always before committing anything."""
        raise NotImplementedError

    def process_result(self, result: object) -> None:
        """GUI thread, only when run() returned and the user did not cancel."""

    def process_refusal(self, exc: Refused) -> bool:
        """GUI thread: return True if the job showed the refusal itself (inline)."""
        return False


class _Signals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)


class _Worker(QRunnable):
    def __init__(self, job: Job, signals: _Signals, cancel: threading.Event):
        super().__init__()
        self.job, self.signals, self.cancel = job, signals, cancel

    def run(self) -> None:
        try:
            result = self.job.run(self.signals.progress.emit, self.cancel.is_set)
        except Exception as exc:  # handed to the GUI thread, reported there
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


class _Run(QObject):
    """One running job: its signals, its progress dialog and its cancel flag."""

    def __init__(self, runner: JobRunner, job: Job):
        super().__init__(runner)
        self.runner, self.job = runner, job
        self.cancel = threading.Event()
        # Owned by the application, not by this run: if the window closes while the
        # worker runs, the run goes with it but the worker can still emit (to nobody).
        self.signals = _Signals(QCoreApplication.instance())
        self.signals.progress.connect(self._progress)
        self.signals.finished.connect(self._finished)
        self.signals.failed.connect(self._failed)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.dialog = QProgressDialog(f"{job.title}…", "Cancel", 0, 0, runner.widget())
        self.dialog.setBar(self.bar)  # updated directly: a modal setValue() runs processEvents
        self.dialog.setWindowTitle(job.title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumWidth(360)
        self.dialog.canceled.connect(self._cancel)
        QTimer.singleShot(SHOW_DIALOG_AFTER_MS, self.dialog, self._show)
        self.worker = _Worker(job, self.signals, self.cancel)

    def _show(self) -> None:
        if self in self.runner.runs and not self.job.background:
            self.dialog.show()

    def _cancel(self) -> None:
        self.cancel.set()
        self.dialog.setLabelText("Cancelling…")

    def _progress(self, done: int, total: int, text: str) -> None:
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(done)
        if text and not self.cancel.is_set():
            self.dialog.setLabelText(text)

    def _finished(self, result: object) -> None:
        self._close()
        if not self.cancel.is_set():
            try:
                self.job.process_result(result)
            except Exception as exc:
                self._report(exc)
        self.runner._done(self)

    def _failed(self, exc: Exception) -> None:
        self._close()
        self._report(exc)
        self.runner._done(self)

    def _report(self, exc: Exception) -> None:
        self.runner.report(self.job, exc)

    def _close(self) -> None:
        self.dialog.canceled.disconnect(self._cancel)  # closing it emits canceled
        self.dialog.close()
        self.dialog.deleteLater()


class JobRunner(QObject):
    """Runs jobs on the thread pool, each with a window-modal, cancellable progress dialog."""

    done = Signal(object)  # the Job, once its result, refusal or error has been handled

    def __init__(self, parent: QWidget | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.runs: list[_Run] = []
        self.message: QMessageBox | None = None

    def widget(self) -> QWidget | None:
        parent = self.parent()
        return parent if isinstance(parent, QWidget) else None

    def start(self, job: Job) -> bool:
        """Prepare and start the job; False if prepare() refused (already reported)."""
        try:
            job.prepare()
        except Refused as exc:
            self.report(job, exc)
            return False
        run = _Run(self, job)
        self.runs.append(run)
        self.pool.start(run.worker)
        return True

    def cancel_all(self) -> None:
        for run in self.runs:
            run.cancel.set()

    def report(self, job: Job, exc: Exception) -> None:
        """A refusal as the job wants it; anything else as an error, and in the log."""
        if isinstance(exc, Refused):
            if not job.process_refusal(exc):
                self.message = show_message(self.widget(), job.title, describe(exc))
            return
        log.error("%s failed", job.title, exc_info=exc)
        self.message = show_message(
            self.widget(), job.title, f"{job.title} failed: {type(exc).__name__}: {exc}",
            icon=QMessageBox.Icon.Critical)

    def _done(self, run: _Run) -> None:
        self.runs.remove(run)
        # The signals are not deleted here: this slot runs as soon as the worker's last
        # emit is queued, while the pool thread may still be returning from that emit,
        # and deleting the sender then crashed the process now and then (a loaded
        # 2-core machine). They stay with the application, a few bytes per job.
        run.signals.progress.disconnect(run._progress)
        run.deleteLater()
        self.done.emit(run.job)
