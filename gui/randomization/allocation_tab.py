"""The "Randomization" tab: each role sees the allocation tasks it may do, nothing more.

Randomizer: generate the list and its balance report.
Pharmacist: the dispensing list. Coordinator: enrol and check kit codes.
Investigator: check kit codes and open an emergency envelope. The services
enforce the roles; the tab only leaves out what a role cannot use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.read_only import mark_write
from gui.common.widgets import placeholder
from gui.visits.code_check import CodeCheckWidget
from services import allocation
from services.context import Actor, App
from trialcore.roles import allowed, roles_with
from trialcore.wording import counted

if TYPE_CHECKING:
    from gui.randomization.allocation_report import AllocationReportView
    from gui.randomization.allocation_wizard import AllocationWizard

# The dialogs (and the balance report, the randomizer's only) are imported when opened:
# the tab's first show then loads only what the role sees on it.

# What each task is for, said beside its button: the tab explains itself to every role.
TASKS = {
    "allocation.generate": "Make the sealed allocation list once, before the first "
                           "enrolment; its balance report opens below with the passphrase.",
    "allocation.dispensing": "Print the list of kit codes and the condition each stands "
                             "for, to prepare the kits; the printing is recorded.",
    "enrol": "Give a registered participant the next slot of their stratum and their kit "
             "codes.",
    "emergency.unblind": "In a medical emergency, open one participant's envelope: their "
                         "conditions, for you only, recorded with your reason.",
}


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
        tasks = QGridLayout()
        for permission, text, slot in (
                ("allocation.generate", "&Generate allocation list…", self.open_wizard),
                ("allocation.dispensing", "&Dispensing list…", self.open_dispensing),
                ("enrol", "&Enrol participant…", self.open_enrol),
                ("emergency.unblind", "E&mergency envelope…", self.open_emergency)):
            if can[permission]:
                button = QPushButton(text, clicked=slot)
                if permission != "allocation.dispensing":  # printing the list changes no data
                    mark_write(button)
                row = tasks.rowCount()
                tasks.addWidget(button, row, 0)
                tasks.addWidget(QLabel(TASKS[permission], wordWrap=True), row, 1)
        tasks.setColumnStretch(1, 1)
        self.list_state = QLabel(wordWrap=True)
        state_box = QGroupBox("The allocation list")
        QVBoxLayout(state_box).addWidget(self.list_state)
        layout = QVBoxLayout(self)
        layout.addLayout(tasks)
        layout.addWidget(state_box)
        if can["codes.check"]:
            self.code_check = CodeCheckWidget(app, actor)
            box = QGroupBox("Check a kit code")
            QVBoxLayout(box).addWidget(self.code_check)
            layout.addWidget(box)
        if can["allocation.report"]:
            from gui.randomization.allocation_report import AllocationReportView

            self.report = AllocationReportView(app, actor)
            layout.addWidget(self.report, 1)
        if not any(can.values()):
            layout.addWidget(placeholder(f"The {actor.role} role has no randomization "
                                         "tasks."))
        layout.addStretch(0 if self.report else 1)
        self._show_list_state()

    def refresh(self) -> None:
        """Shown again or a dialog closed: new enrolments, and the report forgotten."""
        self._show_list_state()
        if self.code_check is not None:
            self.code_check.reload()
        if self.report is not None:
            self.report.refresh()

    def _show_list_state(self) -> None:
        """Slots and kits per stratum, from the service (never a condition)."""
        state = allocation.overview(self.app, self.actor)
        if not state["exists"]:
            who = " or ".join(roles_with("allocation.generate"))
            self.list_state.setText(f"Not made yet: the {who} generates it (Generate "
                                    "allocation list…); enrolment starts once it exists.")
            return
        per = state["kits_per_participant"]
        lines = [f"{s['stratum']}: {counted(s['used'], 'slot')} used, {s['free']} free "
                 f"({counted(s['kits_free'], 'kit')} still to give, {per} per participant)"
                 for s in state["strata"]]
        self.list_state.setText("\n".join(["Sealed (what each kit holds is not shown here).",
                                            *lines]))

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
        from gui.randomization.allocation_wizard import AllocationWizard

        self.wizard = AllocationWizard(self.app, self.actor, self)
        self._open(self.wizard)

    def open_dispensing(self) -> None:
        from gui.randomization.allocation_report import DispensingDialog

        self._open(DispensingDialog(self.app, self.actor, self))

    def open_enrol(self) -> None:
        from gui.participants.enrol_dialog import EnrolDialog

        self._open(EnrolDialog(self.app, self.actor, self))

    def open_emergency(self) -> None:
        from gui.randomization.emergency_dialog import EmergencyDialog

        self._open(EmergencyDialog(self.app, self.actor, self))
