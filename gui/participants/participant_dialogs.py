"""Add, edit and withdraw: each dialog collects input and calls one service function.

A refusal is shown inline and the dialog stays open with what the user typed.
A conflict (someone else saved the participant first) closes the dialog, since
its values are stale; the view then says so and reloads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.messages import describe
from gui.common.widgets import date_edit, error_label
from services import participants
from services.context import Actor, App
from services.errors import Conflict, Refused
from services.participants import ParticipantRow


def _scrolling(form: QFormLayout) -> QScrollArea:
    """The form in a frameless area that scrolls when it is taller than the dialog can be:
    a form generated from the protocol (Enter values, a field per questionnaire item) was
    taller than a 1024×700 laptop's screen, its buttons beyond the bottom edge."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    inner = QWidget()
    inner.setLayout(form)
    form.setContentsMargins(0, 0, 0, 0)
    area.setWidget(inner)
    return area


class ServiceDialog(QDialog):
    """A form whose OK runs submit(); subclasses add fields to self.form."""

    saved = Signal(object)  # the ParticipantRow the service returned
    conflict = Signal(str)  # the Conflict message

    def __init__(self, app: App, actor: Actor, title: str, ok_text: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form = QFormLayout()
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(_scrolling(self.form))
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> ParticipantRow:
        raise NotImplementedError

    def stored(self) -> tuple[Any, str] | None:
        """After a conflict: the record as stored now (its version is the one a new save
        passes) and its values in words; None for a dialog that edits no stored record."""
        return None

    def typed(self) -> str:
        """The values the user typed, in the same words as stored()."""
        return ""

    def accept(self) -> None:
        try:
            row = self.submit()
        except Conflict as exc:
            events().data_changed.emit()  # someone else's change: the window re-reads
            self.conflict.emit(exc.message)
            self._show_conflict(exc)
            return
        except Refused as exc:
            self.error.setText(describe(exc))
            self.error.show()
            return
        events().data_changed.emit()
        self.saved.emit(row)
        super().accept()

    def _show_conflict(self, exc: Conflict) -> None:
        """Keep what was typed and show both versions: the user saves theirs over the one
        stored now (the dialog takes its version), or cancels."""
        now = self.stored()
        if now is None:
            self.reject()
            return
        self.row, stored = now
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok).text().replace("&", "")
        self.error.setText(f"{exc.message}\n\nStored now: {stored}\nYours: {self.typed()}"
                           f"\n\nYour entries are kept: press {ok} to save them over the "
                           "stored version, or Cancel to keep it.")
        self.error.show()


def _participant_words(notes: str, registered_on: object) -> str:
    return f"notes “{notes}”, registered on {registered_on}"


def _notes_edit(text: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(72)
    return edit


class AddParticipantDialog(ServiceDialog):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(app, actor, "Add participant", "Add", parent)
        protocol = app.protocol
        example = f"{protocol.id_prefix}{7:0{protocol.id_digits}d}"
        self.id_edit = QLineEdit()
        self.id_edit.setPlaceholderText(f"e.g. 7 or {example}")
        self.stratum = QComboBox()
        self.stratum.addItem("(from baseline scan)" if protocol.stratum_rule else "(not yet known)",
                             None)
        for stratum in protocol.strata:
            self.stratum.addItem(stratum, stratum)
        self.registered = date_edit()
        self.notes = _notes_edit()
        self.form.addRow("Participant &ID:", self.id_edit)
        self.form.addRow("&Stratum:", self.stratum)
        self.form.addRow("&Registered on:", self.registered)
        self.form.addRow("&Notes:", self.notes)

    def submit(self) -> ParticipantRow:
        return participants.add(
            self.app, self.actor, self.id_edit.text().strip(),
            stratum=self.stratum.currentData(), registered_on=self.registered.date().toPython(),
            notes=self.notes.toPlainText().strip())


class EditParticipantDialog(ServiceDialog):
    """Passes the version it was opened on, so a concurrent save is a conflict."""

    def __init__(self, app: App, actor: Actor, row: ParticipantRow,
                 parent: QWidget | None = None):
        super().__init__(app, actor, f"Edit {row.label}", "Save", parent)
        self.row = row
        self.notes = _notes_edit(row.notes)
        self.registered = date_edit(row.registered_on)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("required; kept in the audit trail")
        self.form.addRow(QLabel(f"<b>{row.label}</b> ({row.status})"))
        self.form.addRow("&Notes:", self.notes)
        self.form.addRow("&Registered on:", self.registered)
        self.form.addRow("Reason for the &change:", self.reason)

    def stored(self) -> tuple[ParticipantRow, str] | None:
        row = participants.get(self.app, self.actor, self.row.label)
        return row, _participant_words(row.notes, row.registered_on)

    def typed(self) -> str:
        return _participant_words(self.notes.toPlainText().strip(),
                                  self.registered.date().toPython())

    def submit(self) -> ParticipantRow:
        values = {"notes": self.notes.toPlainText().strip(),
                  "registered_on": self.registered.date().toPython()}
        changes = {k: v for k, v in values.items() if v != getattr(self.row, k)}
        if not changes:
            raise Refused("nothing was changed")
        return participants.edit(self.app, self.actor, self.row.label, changes,
                                 self.reason.text(), expected_version=self.row.version)


class WithdrawDialog(ServiceDialog):
    def __init__(self, app: App, actor: Actor, row: ParticipantRow,
                 parent: QWidget | None = None):
        super().__init__(app, actor, f"Withdraw {row.label}", "Withdraw", parent)
        self.row = row
        self.reason = _notes_edit()
        self.reason.setPlaceholderText("required; kept in the audit trail")
        self.withdrawn = date_edit()
        self.form.addRow(QLabel(f"<b>{row.label}</b> leaves the study. Visits already "
                                "recorded stay; open visits are cancelled."))
        self.form.addRow("&Reason:", self.reason)
        self.form.addRow("&Withdrawn on:", self.withdrawn)

    def stored(self) -> tuple[ParticipantRow, str] | None:
        row = participants.get(self.app, self.actor, self.row.label)
        return row, f"{row.status}, notes “{row.notes}”"

    def typed(self) -> str:
        return f"withdrawn on {self.withdrawn.date().toPython()}"

    def submit(self) -> ParticipantRow:
        return participants.withdraw(
            self.app, self.actor, self.row.label, self.reason.toPlainText(),
            on=self.withdrawn.date().toPython(), expected_version=self.row.version)
