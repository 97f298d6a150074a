"""The "Randomization" tab: each role sees the allocation tasks it may do, nothing more.

Randomizer: generate the list and its balance report.
Pharmacist: the dispensing list. Coordinator: enrol and check kit codes.
Investigator: check kit codes and open an emergency envelope. The services
enforce the roles; the tab only leaves out what a role cannot use, says the stage and
each role's part in plain words (gui/randomization/guide.py), and disables, with the
reason as tooltip, a task that cannot work yet (no list) or any more (list in use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from gui.common.read_only import LOCKED_TIP, WRITE_PROPERTY, mark_write, study_open
from gui.common.widgets import placeholder
from gui.randomization.guide import STAGE_WORDS, list_in_use, no_list_yet, role_steps
from gui.visits.code_check import CodeCheckWidget
from services import allocation
from services.context import Actor, App
from services.study import stage
from trialcore.roles import allowed
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
        self.buttons: dict[str, QPushButton] = {}
        tasks = QGridLayout()
        for permission, text, slot in (
                ("allocation.generate", "&Generate allocation list…", self.open_wizard),
                ("allocation.dispensing", "&Dispensing list…", self.open_dispensing),
                ("enrol", "&Enrol participant…", self.open_enrol),
                ("emergency.unblind", "E&mergency envelope…", self.open_emergency)):
            if can[permission]:
                button = QPushButton(text, clicked=slot)
                self.buttons[permission] = button
                if permission != "allocation.dispensing":  # printing the list changes no data
                    mark_write(button)
                row = tasks.rowCount()
                tasks.addWidget(button, row, 0)
                tasks.addWidget(QLabel(TASKS[permission], wordWrap=True), row, 1)
        tasks.setColumnStretch(1, 1)
        self.list_state = QLabel(wordWrap=True)
        state_box = QGroupBox("The allocation list")
        QVBoxLayout(state_box).addWidget(self.list_state)
        self.stage_words = QLabel(wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stage_words)
        layout.addLayout(tasks)
        layout.addWidget(state_box)
        self.code_box: QGroupBox | None = None
        if can["codes.check"]:
            self.code_check = CodeCheckWidget(app, actor)
            self.code_box = QGroupBox("Check a kit code")
            QVBoxLayout(self.code_box).addWidget(self.code_check)
            layout.addWidget(self.code_box)
        self.steps = QLabel(role_steps(actor.role), wordWrap=True)
        if self.steps.text():
            steps_box = QGroupBox("Your part in the allocation")
            QVBoxLayout(steps_box).addWidget(self.steps)
            layout.addWidget(steps_box)
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
        current = stage(self.app)
        self.stage_words.setText(STAGE_WORDS.get(current, f"The study is {current}."))
        self._enable_tasks(state, current)
        if not state["exists"]:
            self.list_state.setText("Not made yet: " + no_list_yet().split(": ", 1)[1]
                                    + " Enrolment starts once it exists.")
            return
        per = state["kits_per_participant"]
        lines = [f"{s['stratum']}: {counted(s['used'], 'slot')} used, {s['free']} free "
                 f"({counted(s['kits_free'], 'kit')} still to give, {per} per participant)"
                 for s in state["strata"]]
        self.list_state.setText("\n".join(["Sealed (what each kit holds is not shown here).",
                                            *lines]))

    def _enable_tasks(self, state: dict[str, Any], current: str) -> None:
        """A task that cannot work now is disabled, its tooltip saying why; after the lock
        the window's read-only gate disables the marked ones, and this says so too."""
        enrolled = sum(s["used"] for s in state["strata"])
        why = {p: "" for p in self.buttons}
        if not state["exists"]:
            for permission in ("allocation.dispensing", "enrol", "emergency.unblind"):
                why[permission] = no_list_yet()
        elif enrolled:
            why["allocation.generate"] = list_in_use(enrolled)
        if not study_open(current):
            why.update({p: LOCKED_TIP for p, b in self.buttons.items()
                        if b.property(WRITE_PROPERTY)})
        for permission, button in self.buttons.items():
            button.setEnabled(not why[permission])
            button.setToolTip(why[permission])
        if self.code_box is not None:
            self.code_box.setEnabled(state["exists"])
            self.code_box.setToolTip("" if state["exists"] else
                                     no_list_yet() + " Kit codes come with it.")

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
