"""Verifying and exporting the audit trail as jobs: both read every entry, so they run
off the GUI thread. The audit tab's Verify button uses the first (the window's own check is
gui/audit/trail_check.py's), its status text both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QWidget

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from services import audit_check, audit_trail
from services.context import Actor, App
from trialcore.wording import counted


class VerifyResult(Protocol):
    """What services.audit_trail.verify returns, as far as the window needs it."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool: ...


class VerifyAuditJob(Job):
    title = "Verifying the audit trail"

    def __init__(self, app: App, actor: Actor, on_result: Callable[[VerifyResult], None]):
        self.app, self.actor, self.on_result = app, actor, on_result

    def run(self, progress: Progress, cancelled: Cancelled) -> VerifyResult:
        progress(0, 0, "Checking the hash chain and every audited table…")
        return audit_check.verify(self.app, self.actor, cancelled)

    def process_result(self, result: object) -> None:
        self.on_result(result)  # type: ignore[arg-type]


def verify_text(result: VerifyResult, entries_now: int | None = None) -> str:
    """The verification's outcome; with the trail's length now, also how many entries
    were written after it (checked by the next verification, not this one)."""
    if not result.ok:
        return f"Audit trail FAILED: {result.problems[0]}"
    entries = counted(result.entries, "entry", "entries")
    since = (entries_now or 0) - result.entries
    if since <= 0:
        return f"Audit trail verified ({entries})"
    return f"Audit trail verified ({entries}; {since} written since)"


class ExportAuditJob(Job):
    title = "Exporting the audit trail"

    def __init__(self, app: App, actor: Actor, path: str, on_done: Callable[[str], None]):
        self.app, self.actor, self.path, self.on_done = app, actor, path, on_done

    def run(self, progress: Progress, cancelled: Cancelled) -> int:
        progress(0, 0, f"Writing {Path(self.path).name}…")
        # The save dialog asked before replacing a file (confirmOverwrite).
        return audit_trail.export(self.app, self.actor, self.path, force=True)

    def process_result(self, result: object) -> None:
        self.on_done(f"Wrote {result} audit entries to {self.path}")


def ask_export_path(parent: QWidget, on_chosen: Callable[[str], None]) -> QFileDialog:
    """A non-blocking save dialog for the CSV; returned so callers and tests can hold it."""
    dialog = QFileDialog(parent, "Export audit trail", "audit-trail.csv",
                         "CSV files (*.csv);;All files (*)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    dialog.fileSelected.connect(on_chosen)
    dialog.open()
    return dialog


def export_audit(runner: JobRunner, app: App, actor: Actor, parent: QWidget,
                 on_done: Callable[[str], None]) -> QFileDialog:
    """Ask where, then export on the runner."""
    return ask_export_path(
        parent, lambda path: runner.start(ExportAuditJob(app, actor, path, on_done)))
