"""The Lock tab: the lock checklist, signing the lock, unlocking, unblinding the study,
and the lock certificate.

Failing checklist items list the records to fix; double-clicking one asks the
other tabs (through gui.common.events) to show that participant and visit. The checks
read every table (the audit verification above all), so they run as a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from gui.common.events import events
from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.lock.lock_certificate import CertificateDialog
from gui.lock.signature_dialog import SignatureDialog
from services import lock, unblinding
from services.context import Actor, App
from services.study import stage
from trialcore.roles import allowed

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1
FAIL_COLOUR = QColor("#b3261e")


@dataclass(frozen=True)
class LockStatus:
    stage: str
    items: list[lock.CheckItem]
    certificate: dict[str, Any] | None

    @property
    def ready(self) -> bool:
        return self.stage == "running" and all(i.ok for i in self.items)


class LockStatusJob(Job):
    title = "Checking the study for lock"

    def __init__(self, view: LockView):
        self.view = view

    def run(self, progress: Progress, cancelled: Cancelled) -> LockStatus:
        app, actor = self.view.app, self.view.actor
        progress(0, 0, "Checking visits, deviations and the audit trail…")
        return LockStatus(stage(app), lock.checklist(app, actor), lock.certificate(app, actor))

    def process_result(self, result: object) -> None:
        self.view.show_status(result)  # type: ignore[arg-type]


def _status_text(status: LockStatus) -> str:
    cert = status.certificate
    if cert is None:
        return f"Stage: <b>{status.stage}</b>. The study is not locked."
    when = cert["locked_at"][:19].replace("T", " ")
    return (f"Stage: <b>{status.stage}</b>. Locked by {cert['signer']} on {when} UTC "
            f"({cert['reason']}); data {'unchanged' if cert['data_unchanged'] else 'CHANGED'} "
            "since.")


class LockView(QWidget):
    """Dialogs open with open() and stay referenced here so tests can drive them."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.status: LockStatus | None = None
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
        self.recheck_button = QPushButton("&Check again", clicked=self.refresh)
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
        """Called when the tab is shown and after every signature."""
        if not self.runner.runs:
            self.runner.start(LockStatusJob(self))

    def show_status(self, status: LockStatus) -> None:
        self.status = status
        self.summary.setText(_status_text(status))
        self.tree.clear()
        for item in status.items:
            mark = "✘" if not item.ok else "⚠" if item.warning else "✔"
            top = QTreeWidgetItem([f"{mark}  {item.title}", item.note])
            top.setToolTip(1, item.note)  # a long note is elided: whole here
            if not item.ok:
                top.setForeground(0, QBrush(FAIL_COLOUR))
            for p in item.problems:
                where = ", ".join(x for x in (p.participant, p.visit_label) if x)
                child = QTreeWidgetItem([where or p.record, p.message])
                child.setToolTip(0, p.record)  # the key the command line names it by
                child.setToolTip(1, p.message)
                child.setData(0, PROBLEM_ROLE, p)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(not item.ok or item.warning)
        self._update_buttons()

    def _update_buttons(self) -> None:
        current = self.status.stage if self.status else None
        self.lock_button.setEnabled(bool(self.status and self.status.ready))
        self.lock_button.setToolTip("" if self.status and self.status.ready else
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
        if self.status is not None and self.status.certificate is not None:
            self.certificate_dialog = CertificateDialog(self.status.certificate, self)
            self.certificate_dialog.open()
