"""The "Randomization" tab: each role sees the allocation tasks it may do, nothing more.

Statistician: generate the list, its balance report, the dispensing list.
Pharmacist: the dispensing list. Coordinator: enrol and check kit codes.
Investigator: check kit codes and open an emergency envelope. The services
enforce the roles; the tab only leaves out what a role cannot use.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from gui.common.events import events
from gui.common.read_only import mark_write
from gui.common.widgets import placeholder
from gui.participants.enrol_dialog import EnrolDialog
from gui.randomization.allocation_report import AllocationReportView, DispensingDialog
from gui.randomization.allocation_wizard import AllocationWizard
from gui.randomization.emergency_dialog import EmergencyDialog
from gui.visits.code_check import CodeCheckWidget
from services.context import Actor, App
from trialcore.roles import allowed


class AllocationTab(QWidget):
    """Dialogs open with open() and stay referenced here, so tests can drive them."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.dialog: QDialog | None = None
        self.wizard: AllocationWizard | None = None
        self.report: AllocationReportView | None = None
        self.code_check: CodeCheckWidget | None = None
        can = {p: allowed(actor.role, p) for p in (
            "allocation.generate", "allocation.report", "allocation.dispensing", "enrol",
            "codes.check", "emergency.unblind")}
        bar = QHBoxLayout()
        for permission, text, slot in (
                ("allocation.generate", "&Generate allocation list…", self.open_wizard),
                ("allocation.dispensing", "&Dispensing list…", self.open_dispensing),
                ("enrol", "&Enrol participant…", self.open_enrol),
                ("emergency.unblind", "E&mergency envelope…", self.open_emergency)):
            if can[permission]:
                button = QPushButton(text, clicked=slot)
                if permission != "allocation.dispensing":  # printing the list changes no data
                    mark_write(button)
                bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        if can["codes.check"]:
            self.code_check = CodeCheckWidget(app, actor)
            box = QGroupBox("Check a kit code")
            QVBoxLayout(box).addWidget(self.code_check)
            layout.addWidget(box)
        if can["allocation.report"]:
            self.report = AllocationReportView(app, actor)
            layout.addWidget(self.report, 1)
        if not any(can.values()):
            layout.addWidget(placeholder(f"The {actor.role} role has no randomization "
                                         "tasks."))
        layout.addStretch(0 if self.report else 1)

    def refresh(self) -> None:
        """Shown again or a dialog closed: new enrolments, and the report forgotten."""
        if self.code_check is not None:
            self.code_check.reload()
        if self.report is not None:
            self.report.refresh()

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(self._dialog_finished)
        dialog.open()

    def _dialog_finished(self, _result: int) -> None:
        # A bound method, not a lambda: PySide6 6.12 crashed on a lambda connected to a
        # dialog that deletes itself on close. Enrolled, opened or printed: the study (and
        # its audit trail) may have changed, so the status bar and other tabs re-read.
        events().data_changed.emit()
        self.refresh()

    def open_wizard(self) -> None:
        self.wizard = AllocationWizard(self.app, self.actor, self)
        self._open(self.wizard)

    def open_dispensing(self) -> None:
        self._open(DispensingDialog(self.app, self.actor, self))

    def open_enrol(self) -> None:
        self._open(EnrolDialog(self.app, self.actor, self))

    def open_emergency(self) -> None:
        self._open(EmergencyDialog(self.app, self.actor, self))
