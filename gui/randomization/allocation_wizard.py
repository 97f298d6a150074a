"""The randomizer's set-up wizard: what will be made, the two passphrases, then the list.

The wizard holds no rule: the first page shows services.allocation.preview (design,
strata, slots and any balance warning with the nearest balanced sizes) and the
service refuses what is not allowed. Generating takes two deliberate key
derivations, so it runs as a job; a refusal comes back onto the passphrase page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from gui.common.events import events
from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import error_label
from services import allocation
from services.context import Actor, App
from services.errors import Refused
from trialcore.wording import counted


def _wrapped(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def secret_edit(placeholder: str) -> QLineEdit:
    """A passphrase field: never echoed, never copied out."""
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


class DesignPage(QWizardPage):
    """What the protocol asks for, the balance warning, and whether a list exists already."""

    def __init__(self, preview: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.preview = preview
        self.setTitle("Generate the allocation list")
        # A wizard's subtitle does not wrap on every style: one short line, the rest below.
        self.setSubTitle("Made once, before the first enrolment.")
        self.sealing = _wrapped("The list and the meaning of every dose code are sealed "
                                "under your passphrase; each participant's emergency "
                                "envelope under the investigator's.")
        strata = "".join(
            f"<li>{s['stratum']}: {s['slots']} slots"
            + (f" (target {counted(s['target'], 'participant')})" if s["target"] else "") + "</li>"
            for s in preview["strata"])
        what = ("Williams sequences (balanced for first-order carry-over)"
                if preview["design"] == "crossover" else "allocation ratio units")
        self.design = _wrapped(
            f"<b>Design:</b> {preview['design']}, {preview['conditions']} conditions, "
            f"{preview['unit']} {what}; dosing visits "
            f"{', '.join(preview['dosing_visit_labels'])}."
            f"<br><b>Blocks:</b> {', '.join(str(m) for m in preview['block_multiples'])} × "
            f"{preview['unit']}, chosen at random.<ul>{strata}</ul>")
        self.design.setToolTip("Dosing visits, with their ids in the protocol file: "
                               + ", ".join(f"{label} ({visit})" for label, visit in zip(
                preview["dosing_visit_labels"], preview["dosing_visits"], strict=True)))
        self.warning = _wrapped("<br>".join(preview["warnings"]))
        self.warning.setStyleSheet("color: #8a5300;")
        self.warning.setVisible(bool(preview["warnings"]))
        self.confirm = QCheckBox("I have read the warning and want this list anyway")
        self.confirm.setVisible(bool(preview["warnings"]))
        self.replace = QCheckBox("Replace the existing list (nobody is enrolled yet)")
        self.reason = QLineEdit(placeholderText="why it is replaced (kept in the audit trail)")
        self.blocked = error_label()
        if preview["exists"] and preview["enrolled"]:
            in_use = counted(preview["enrolled"], "participant")
            self.blocked.setText(f"The list is in use ({in_use} "
                                 "enrolled): it can never be replaced or extended.")
            self.blocked.show()
        for widget in (self.replace, self.reason):
            widget.setVisible(preview["exists"] and not preview["enrolled"])
        layout = QVBoxLayout(self)
        for widget in (self.sealing, self.design, self.warning, self.confirm, self.replace,
                       self.reason, self.blocked):
            layout.addWidget(widget)
        layout.addStretch(1)
        for box in (self.confirm, self.replace):
            box.toggled.connect(self.completeChanged)
        self.reason.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        p = self.preview
        if p["exists"] and (p["enrolled"] or not self.replace.isChecked()
                            or not self.reason.text().strip()):
            return False
        return not p["warnings"] or self.confirm.isChecked()


class PassphrasePage(QWizardPage):
    """Each passphrase typed twice; the service checks their strength and that they differ.

    The pharmacist types their own dispensing passphrase here, or later, when the
    randomizer hands the copy over (`allocation handover`)."""

    def __init__(self, wizard: AllocationWizard):
        super().__init__(wizard)
        self.owner = wizard
        self.setTitle("Choose the passphrases")
        self.setSubTitle("None is stored anywhere: if the sealing passphrase is lost, the list "
                         "can never be opened. Each must be hard to guess (a few uncommon "
                         "words) and differ from the others.")
        self.sealing = secret_edit("randomizer's sealing passphrase")
        self.sealing_again = secret_edit("the same again")
        self.emergency = secret_edit("investigator's emergency passphrase")
        self.emergency_again = secret_edit("the same again")
        self.dispensing = secret_edit("pharmacist's own (optional: may be handed over later)")
        self.dispensing_again = secret_edit("the same again")
        self.mismatch = QLabel()
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("&Sealing passphrase:", self.sealing)
        form.addRow("Sealing, &again:", self.sealing_again)
        form.addRow("&Emergency passphrase:", self.emergency)
        form.addRow("Emergency, a&gain:", self.emergency_again)
        form.addRow("&Dispensing (pharmacist):", self.dispensing)
        form.addRow("Dispensing, agai&n:", self.dispensing_again)
        form.addRow(self.mismatch)
        form.addRow(self.error)
        for edit in self.edits():
            edit.textChanged.connect(self._changed)

    def edits(self) -> tuple[QLineEdit, ...]:
        return (self.sealing, self.sealing_again, self.emergency, self.emergency_again,
                self.dispensing, self.dispensing_again)

    def _changed(self) -> None:
        problems = [what for what, a, b in (("sealing", self.sealing, self.sealing_again),
                                            ("emergency", self.emergency, self.emergency_again),
                                            ("dispensing", self.dispensing,
                                             self.dispensing_again))
                    if b.text() and a.text() != b.text()]
        self.mismatch.setText(" and ".join(problems).capitalize() + " entries differ."
                              if problems else "")
        self.error.hide()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        a, b, c, d, e, f = (edit.text() for edit in self.edits())
        return bool(a and c) and a == b and c == d and e == f

    def validatePage(self) -> bool:
        """Next starts the job; the wizard moves on by itself once the list is made."""
        if self.owner.made is not None:
            return True
        self.owner.start_generation()
        return False

    def show_refusal(self, exc: Refused) -> None:
        self.error.setText(describe(exc))
        self.error.show()


class DonePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("The allocation list is sealed")
        self.summary = _wrapped()
        QVBoxLayout(self).addWidget(self.summary)

    def show_result(self, made: dict[str, Any]) -> None:
        strata = ", ".join(f"{s['stratum']}: {s['slots']} slots" for s in made["strata"])
        self.summary.setText(
            f"{made['dose_codes']} dose codes and {made['envelopes']} emergency envelopes "
            f"were made ({strata}). The study is now <b>{made['stage']}</b>.<br><br>"
            "Give the emergency passphrase to the investigator in person. The pharmacist "
            "prints the dispensing list with their own passphrase"
            + ("." if made.get("dispensing_copy") else
               ": hand the copy over first (allocation handover)."))


class GenerateJob(Job):
    title = "Generating the allocation list"

    def __init__(self, wizard: AllocationWizard, passphrase: str, emergency: str,
                 dispensing: str | None):
        self.wizard, self.passphrase, self.emergency = wizard, passphrase, emergency
        self.dispensing = dispensing
        self.options = wizard.options()

    def prepare(self) -> None:
        allocation.preflight(self.wizard.app, self.wizard.actor, **self.options)

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any]:
        progress(0, 0, "Deriving the keys and sealing the list (a few seconds, on purpose)…")
        return allocation.generate(self.wizard.app, self.wizard.actor, self.passphrase,
                                   self.emergency, dispensing_passphrase=self.dispensing,
                                   **self.options)

    def process_result(self, result: object) -> None:
        self.wizard.generated(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.wizard.passphrases.show_refusal(exc)
        return True


class AllocationWizard(QWizard):
    """Open with open(); `made` holds the service's summary once the list exists."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.made: dict[str, Any] | None = None
        self.runner = JobRunner(self)
        self.setWindowTitle("Allocation list")
        self.setMinimumWidth(560)
        self.design = DesignPage(allocation.preview(app, actor))
        self.passphrases = PassphrasePage(self)
        self.done_page = DonePage()
        for page in (self.design, self.passphrases, self.done_page):
            self.addPage(page)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)

    def options(self) -> dict[str, Any]:
        replace = self.design.replace.isChecked()
        return {"confirm_unbalanced": self.design.confirm.isChecked(), "replace": replace,
                "reason": self.design.reason.text().strip() if replace else None}

    def start_generation(self) -> None:
        page = self.passphrases
        self.runner.start(GenerateJob(self, page.sealing.text(), page.emergency.text(),
                                      page.dispensing.text() or None))

    def generated(self, made: dict[str, Any]) -> None:
        self.made = made
        for edit in self.passphrases.edits():
            edit.clear()
        self.done_page.show_result(made)
        events().data_changed.emit()  # the study is running now: the status bar says so
        self.next()
