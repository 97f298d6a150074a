"""Booking and logging one visit. Each dialog shows the visit's window, warns as soon as a
date falls outside it, and saves through one service call; the service decides.

Like the participant dialogs, a refusal is shown inline and the dialog keeps what was
typed; after a conflict (someone else saved the visit first) it shows both versions and
keeps what was typed, and the list behind it reloads.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from gui.common.hints import worded
from gui.common.widgets import date_edit
from gui.participants.participant_dialogs import ServiceDialog
from services import codes, visits
from services.context import Actor, App
from services.errors import Refused
from services.visits import Saved, VisitRow

WARN = "color: #8a5300;"
BAD = "color: #b3261e; font-weight: bold;"
GOOD = "color: #1b5e20; font-weight: bold;"


def _note() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.hide()
    return label


def _say(label: QLabel, text: str | None, style: str = WARN) -> None:
    label.setText(text or "")
    label.setStyleSheet(style)
    label.setVisible(bool(text))
    if label.window() is not label:
        label.window().adjustSize()  # grow or shrink with the note, never clip it


def _visit_words(status: str, on: object, code: str | None, reason: str | None) -> str:
    words = f"{status}" + (f" on {on}" if on else "")
    if code:
        words += f", kit code {code}"
    return words + (f", reason “{reason}”" if reason else "")


def visit_heading(row: VisitRow) -> QLabel:
    """'P014 – Dosing 1' on top of a visit's dialog: the visit as the protocol names it
    (the service's label), its id in the tooltip for matching files and commands."""
    heading = QLabel(f"<b>{row.participant}</b> – {row.label}")
    heading.setToolTip(f"{row.participant}, visit {row.visit}")
    return heading


class VisitDialog(ServiceDialog):
    """The participant, the visit and its window on top; saved emits a services Saved."""

    def __init__(self, app: App, actor: Actor, row: VisitRow, title: str, ok_text: str,
                 parent: QWidget | None = None):
        super().__init__(app, actor, f"{title} {row.participant} – {row.label}", ok_text, parent)
        self.row = row
        self.setMinimumWidth(560)
        self.heading = visit_heading(row)
        self.form.addRow(self.heading)
        self.form.addRow("Window:", QLabel(f"{row.window_start} … {row.window_end} "
                                           f"(target {row.target})"))
        self.window_note = _note()

    def stored(self) -> tuple[VisitRow, str] | None:
        row = next(r for r in visits.list_visits(self.app, self.actor, self.row.participant)
                   if r.visit == self.row.visit)
        return row, _visit_words(row.status, row.actual or row.booked, row.code, row.reason)


class BookVisitDialog(VisitDialog):
    def __init__(self, app: App, actor: Actor, row: VisitRow, parent: QWidget | None = None):
        super().__init__(app, actor, row, "Book", "Book", parent)
        self.date = date_edit(row.booked or row.target)
        self.date.dateChanged.connect(self._date_changed)
        self.form.addRow("&Date:", self.date)
        self.form.addRow(self.window_note)
        self._date_changed()

    def _date_changed(self) -> None:
        problem = self.row.outside_window(self.date.date().toPython())
        _say(self.window_note, problem and f"Outside the window: {problem}. You may book "
             "it, but logging it on that date will be a protocol deviation.")

    def typed(self) -> str:
        return f"booked for {self.date.date().toPython()}"

    def submit(self) -> Saved:  # type: ignore[override]
        return visits.book(self.app, self.actor, self.row.participant, self.row.visit,
                           self.date.date().toPython(), expected_version=self.row.version)


class LogVisitDialog(VisitDialog):
    """Done (with the kit code at a dosing visit, checked as it is typed) or missed."""

    def __init__(self, app: App, actor: Actor, row: VisitRow, parent: QWidget | None = None):
        super().__init__(app, actor, row, "Log", "Save", parent)
        today = dt.date.today()
        usual = row.booked if row.booked and row.booked <= today else today
        self.date = date_edit(row.actual or usual)
        self.done_button = QRadioButton("&Done")
        self.missed_button = QRadioButton("&Missed")
        status_box = QWidget()  # one parent: the two buttons are exclusive
        box = QHBoxLayout(status_box)
        box.setContentsMargins(0, 0, 0, 0)
        for button in (self.done_button, self.missed_button):
            box.addWidget(button)
        box.addStretch(1)
        (self.missed_button if row.status == "missed" else self.done_button).setChecked(True)
        self.code = QLineEdit(row.code if row.actual and row.status == "done" else "")
        self.code.setPlaceholderText("XXXX-XXXX, as printed on the kit label")
        self.code_note = _note()
        self.reason = QLineEdit((row.reason or "") if row.status == "missed" else "")
        self.deviation_reason = QLineEdit(row.deviation_reason or "")
        self.deviation_reason.setPlaceholderText("required when outside the window")
        if row.status in ("done", "missed"):
            self.form.addRow(QLabel(f"Already logged as {row.status} on {row.actual}: a change "
                                    "needs a reason and is kept in the audit trail."))
        self.form.addRow("&Date:", self.date)
        self.form.addRow("Status:", status_box)
        if row.dosing:
            self.form.addRow("&Kit code:", self.code)
            self.form.addRow(self.code_note)
        self.reason_label = QLabel("&Reason:", buddy=self.reason)
        self.form.addRow(self.reason_label, self.reason)
        self.form.addRow(self.window_note)
        self.form.addRow("De&viation reason:", self.deviation_reason)
        self.date.dateChanged.connect(self._date_changed)
        self.done_button.toggled.connect(self._date_changed)
        self.code.textChanged.connect(self._check_code)
        self._date_changed()
        self._check_code(self.code.text())

    def _date_changed(self) -> None:
        done = self.done_button.isChecked()
        problem = self.row.outside_window(self.date.date().toPython()) if done else None
        _say(self.window_note, problem and f"Outside the window: {problem}. That is a "
             "protocol deviation: give its reason.")
        self.deviation_reason.setEnabled(problem is not None)
        self.code.setEnabled(done)
        required = not done or self.row.status in ("done", "missed")
        what = "why it was missed" if not done else "why it is changed"
        self.reason.setPlaceholderText(f"required: {what}" if required else "optional")
        self.reason_label.setText("&Reason:" + (" *" if required else ""))

    def _check_code(self, text: str) -> None:
        """Tell ok, mistyped or wrong kit as the code is typed, before anything is saved."""
        if not text.strip():
            _say(self.code_note, None)
            return
        try:
            result = codes.check(self.app, self.actor, self.row.participant, self.row.visit, text)
        except Refused as exc:
            _say(self.code_note, worded(exc))
            return
        _say(self.code_note, ("✓ " if result["result"] == "ok" else "✗ ") + result["message"],
             GOOD if result["result"] == "ok" else BAD)

    def typed(self) -> str:
        done = self.done_button.isChecked()
        return _visit_words("done" if done else "missed", self.date.date().toPython(),
                            self.code.text() if done and self.row.dosing else None,
                            self.reason.text())

    def submit(self) -> Saved:  # type: ignore[override]
        done = self.done_button.isChecked()
        return visits.log(
            self.app, self.actor, self.row.participant, self.row.visit,
            date=self.date.date().toPython(), status="done" if done else "missed",
            code=self.code.text() if done and self.row.dosing else None,
            reason=self.reason.text(),
            deviation_reason=self.deviation_reason.text()
            if self.deviation_reason.isEnabled() else None,
            expected_version=self.row.version)
