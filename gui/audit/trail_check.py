"""The window's one verification of the audit trail, shared by whoever shows its outcome:
the status bar and the Lock tab's checklist.

Verifying hashes every row of every audited table (tens of seconds on a large study), in a
child process (services.audit_check) at a lower priority. Running it once per window, not
once per screen that shows it, keeps the tabs quick: the Lock tab shows its other items at
once and the trail's as "being checked" until this check's result arrives. A result
counts only for the trail it read: the trail's length is noted when a check starts, and
an entry written since makes the result stale (fresh() is False) until checked again.
The signature itself never relies on it: services.lock.lock verifies every row again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from services import lock
from services.context import Actor, App
from services.study import change_mark


class TrailJob(Job):
    title = "Verifying the audit trail"
    background = True  # no progress dialog: the window stays usable meanwhile

    def __init__(self, check: TrailCheck):
        self.check = check

    def run(self, progress: Progress, cancelled: Cancelled) -> lock.VerifyResult:
        progress(0, 0, "Checking the hash chain and every audited table…")
        # as much as the role may learn: the problems' wording only for audit readers
        return lock.verify_trail(self.check.app, self.check.actor, cancelled)

    def process_result(self, result: object) -> None:
        self.check.take(result)  # type: ignore[arg-type]


class TrailCheck(QObject):
    """The last verification (`result`), whether one runs, and the trail's length when
    it started. `changed` is emitted when a check starts and when it ends, however."""

    changed = Signal()

    def __init__(self, app: App, actor: Actor, runner: JobRunner,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.app, self.actor, self.runner = app, actor, runner
        self.result: lock.VerifyResult | None = None
        self.job: TrailJob | None = None  # the check running, if any
        self.started_at = 0  # the trail's length (change_mark) when `job` started
        self.checked_at: int | None = None  # and when the check of `result` started
        self.failed = False  # the last check ended without a result (refused, cancelled)
        runner.done.connect(self._done)

    @property
    def running(self) -> bool:
        return self.job is not None

    def check(self) -> None:
        """Verify the trail as it is now; a check already running is not doubled (the
        Lock tab asks again if the trail grew while it ran)."""
        if self.running:
            return
        self.started_at = change_mark(self.app)
        self.failed = False
        self.job = TrailJob(self)
        if self.runner.start(self.job):
            self.changed.emit()
        else:
            self.job = None

    def fresh(self) -> bool:
        """A result that covers every entry the trail holds now."""
        return (self.result is not None and not self.running
                and self.checked_at == change_mark(self.app))

    def take(self, result: lock.VerifyResult) -> None:
        self.result, self.checked_at = result, self.started_at

    def _done(self, job: Job) -> None:
        """After the result, a refusal or an error: no longer running, whichever."""
        if job is self.job:
            self.job = None
            self.failed = self.checked_at != self.started_at or self.result is None
            self.changed.emit()
