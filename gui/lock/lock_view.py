"""The Lock tab: the lock checklist, signing the lock, unlocking, unblinding the study,
and the lock certificate.

Failing checklist items list the records to fix; double-clicking one asks the
other tabs (through gui.common.events) to show that participant and visit. The tab shows
the cheap items at once and the audit trail's when the window's shared check of it ends
(gui/lock/lock_status.py says why); Sign & lock waits for it, and signs only after
verifying every row again itself (services.lock.lock).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.audit.receipt import ReceiptButton
from gui.audit.trail_check import TrailCheck
from gui.common.events import events
from gui.common.jobs import Job, JobRunner
from gui.lock.lock_status import (
    CertificateJob,
    LockStatus,
    LockStatusJob,
    audit_of,
    pending,
    summary,
)
from gui.lock.signature_dialog import SignatureDialog
from services import lock
from services.context import Actor, App
from trialcore.roles import allowed

if TYPE_CHECKING:
    from gui.lock.lock_certificate import CertificateDialog

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1
FAIL_COLOUR = QColor("#b3261e")


class LockView(QWidget):
    """Dialogs open with open() and stay referenced here so tests can drive them. Built
    by the main window, it shares the window's TrailCheck; alone, it has its own."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.runner.done.connect(self._job_done)
        window_trail = getattr(parent, "trail", None)
        self.trail = window_trail if isinstance(window_trail, TrailCheck) else \
            TrailCheck(app, actor, self.runner, self)
        self.trail.changed.connect(self._trail_changed)
        self.status: LockStatus | None = None
        # a reload asked for while the checklist was being read (True: with the certificate)
        self.again: bool | None = None
        self.dialog: SignatureDialog | None = None
        self.certificate_dialog: CertificateDialog | None = None
        self.summary = QLabel("Checking…")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Check", "Details"])
        self.tree.setColumnWidth(0, 320)
        self.tree.itemDoubleClicked.connect(self._show_record)
        hint = QLabel("Double-click a record to open it in the other tabs.")
        hint.setStyleSheet("color: palette(mid);")
        self.recheck_button = QPushButton("&Check again", clicked=self.check_again)
        self.recheck_button.setToolTip("Read the checklist again and verify the audit trail "
                                       "again, every row of it")
        self.lock_button = QPushButton("&Sign && lock…", clicked=self.open_lock)
        self.unlock_button = QPushButton("&Unlock…", clicked=self.open_unlock)
        self.unblind_button = QPushButton("Un&blind study…", clicked=self.open_unblind)
        self.certificate_button = QPushButton("Lock &certificate…",
                                              clicked=self.open_certificate)
        self.lock_button.setVisible(allowed(actor.role, "study.lock"))
        self.unlock_button.setVisible(allowed(actor.role, "study.lock"))
        self.unblind_button.setVisible(allowed(actor.role, "study.unblind"))
        self.receipt_button = ReceiptButton(app, actor, self)  # after a lock: keep its head
        bar = QHBoxLayout()
        for button in (self.recheck_button, self.lock_button, self.unlock_button,
                       self.unblind_button, self.certificate_button, self.receipt_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        self._update_buttons()
        self.refresh()  # built when the tab is first shown: check at once

    def refresh(self) -> None:
        """Called when the tab is shown and after every signature: the checklist read
        again, and the trail verified again if it grew since its last check."""
        self._load()
        if not self.trail.fresh():
            self.trail.check()

    def check_again(self) -> None:
        """The Check again button: everything again, the trail and the certificate too."""
        self._load(certificate=True)
        self.trail.check()

    def _load(self, *, certificate: bool = False) -> None:
        if any(isinstance(run.job, LockStatusJob) for run in self.runner.runs):
            self.again = certificate or bool(self.again)
            return
        self.runner.start(LockStatusJob(
            self.app, self.actor, lambda status: self.show_status(status, certificate)))

    def _job_done(self, job: Job) -> None:
        if isinstance(job, LockStatusJob) and self.again is not None:
            certificate, self.again = self.again, None
            self._load(certificate=certificate)

    def show_status(self, status: LockStatus, reread_certificate: bool = False) -> None:
        """The quick checklist; the certificate kept if it is the same signature's (data
        cannot change while the study is locked), read in a job otherwise."""
        kept = self.status.certificate if self.status else None
        same = kept is not None and status.record is not None and \
            kept["locked_at"] == status.record.as_dict()["locked_at"]
        self.status = replace(status, certificate=kept if same else None)
        if status.record is not None and (not same or reread_certificate):
            self.runner.start(CertificateJob(self.app, self.actor, self._certificate_read))
        self._show()

    def _certificate_read(self, certificate: dict[str, Any] | None) -> None:
        """Shown if it is still the signature on screen (not one unlocked meanwhile)."""
        record = self.status.record if self.status else None
        if record is not None and certificate is not None and \
                certificate["locked_at"] == record.as_dict()["locked_at"]:
            self.status = replace(self.status, certificate=certificate)  # type: ignore[arg-type]
            self._show()

    def _trail_changed(self) -> None:
        """The shared check started or ended. A result that no longer covers the trail
        (an entry written while it ran) is checked again while this tab is on screen."""
        trail = self.trail
        if not trail.running and not trail.failed and trail.result is not None \
                and self.isVisible() and not trail.fresh():
            trail.check()
            return
        self._show()

    def _show(self) -> None:
        if self.status is None:
            return
        self.status = status = replace(self.status, audit=audit_of(self.trail))
        self.summary.setText(summary(status))
        self.tree.clear()
        waiting = pending(self.trail)
        for item in lock.with_audit(status.items, status.audit or waiting):
            top = self._row(item, item is waiting)
            self.tree.addTopLevelItem(top)
            top.setExpanded((not item.ok and item is not waiting) or item.warning)
        self._update_buttons()

    @staticmethod
    def _row(item: lock.CheckItem, pending: bool) -> QTreeWidgetItem:
        mark = "…" if pending else "✘" if not item.ok else "⚠" if item.warning else "✔"
        top = QTreeWidgetItem([f"{mark}  {item.title}", item.note])
        top.setToolTip(1, item.note)  # a long note is elided: whole here
        if not item.ok and not pending:
            top.setForeground(0, QBrush(FAIL_COLOUR))
        for p in item.problems:
            where = ", ".join(x for x in (p.participant, p.visit_label) if x)
            child = QTreeWidgetItem([where or p.record, p.message])
            child.setToolTip(0, p.record)  # the key the command line names it by
            child.setToolTip(1, p.message)
            child.setData(0, PROBLEM_ROLE, p)
            top.addChild(child)
        return top

    def _update_buttons(self) -> None:
        current = self.status.stage if self.status else None
        can_lock = bool(self.status and self.status.ready)
        self.lock_button.setEnabled(can_lock)
        self.lock_button.setToolTip(
            "" if can_lock else "Locking waits for the audit trail's check."
            if current == "running" and self.status and self.status.audit is None else
            "Locking needs a running study whose checks all pass.")
        self.unlock_button.setEnabled(current == "locked")
        self.unblind_button.setEnabled(current == "locked")
        self.certificate_button.setEnabled(bool(self.status and self.status.certificate))

    def _show_record(self, item: QTreeWidgetItem) -> None:
        problem: lock.Problem | None = item.data(0, PROBLEM_ROLE)
        if problem is None or problem.participant is None:
            return
        events().visit_requested.emit(problem.participant, problem.visit or "")

    def _sign(self, dialog: SignatureDialog) -> None:
        self.dialog = dialog
        dialog.signed.connect(self._signed)
        dialog.open()

    def _signed(self) -> None:
        events().data_changed.emit()
        self.refresh()

    def open_lock(self) -> None:
        app, actor = self.app, self.actor
        self._sign(SignatureDialog(
            actor, lambda reason, password, _: lock.lock(app, actor, reason, password),
            title="Sign and lock the study", meaning=lock.MEANING, button="Sign && lock",
            explanation="Locking makes the study's data final: from then on no screen, "
            "import or database client can change them. The lock records your signature, "
            "the time, a SHA-256 digest of the data and the audit trail's head.",
            parent=self))

    def open_unlock(self) -> None:
        app, actor = self.app, self.actor
        self._sign(SignatureDialog(
            actor, lambda reason, password, _: lock.unlock(app, actor, reason, password),
            title="Unlock the study", meaning=lock.UNLOCK_MEANING, button="Sign && unlock",
            explanation="Unlocking voids the lock signature and lets data be changed again; "
            "the voided signature and your reason stay on record. It is refused once the "
            "study is unblinded.", parent=self))

    def open_unblind(self) -> None:
        from services import unblinding  # the sealing's cryptography: loaded when used

        app, actor = self.app, self.actor
        self._sign(SignatureDialog(
            actor, lambda reason, password, passphrase: unblinding.unblind_study(
                app, actor, reason, passphrase, password),
            title="Unblind the study", meaning=unblinding.STUDY_MEANING,
            button="Sign && unblind",
            passphrase="the randomizer's sealing passphrase (typed by the randomizer)",
            explanation="Unblinding reveals the condition of every dosing visit to everyone: "
            "plots, exports and the analysis show conditions from then on. It is done once, "
            "and the study can never be unlocked afterwards.", parent=self))

    def open_certificate(self) -> None:
        from gui.lock.lock_certificate import CertificateDialog  # Qt's printing: when used

        if self.status is not None and self.status.certificate is not None:
            self.certificate_dialog = CertificateDialog(self.status.certificate, self)
            self.certificate_dialog.open()
