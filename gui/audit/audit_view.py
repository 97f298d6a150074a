"""The audit trail tab: who changed what, when and why, each entry's before and after,
and the chain check and export that a monitor or auditor asks for."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QDate, QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.audit.audit_jobs import VerifyAuditJob, VerifyResult, export_audit, verify_text
from gui.common.jobs import JobRunner
from gui.common.messages import describe
from gui.common.table_model import Column, FilterProxy, RowTableModel
from gui.common.widgets import date_edit, error_label, fit_columns, placeholder, row_table
from services import audit_trail
from services.audit_trail import AuditFilter
from services.context import Actor, App
from services.errors import Refused
from trialcore.roles import allowed
from trialcore.wording import counted

INTERNAL_KEYS = ("digest_delta",)  # the table digest behind verification; noise on screen
NO_DATE = QDate(2000, 1, 1)



def columns(labels: dict[str, str]) -> list[Column]:
    """The list's columns; Changes names visits and values by their `labels`, its
    tooltip by the ids the entry holds."""
    return [
        Column("#", lambda e: str(e["seq"]), lambda e: e["seq"]),
        Column("Time (UTC)", lambda e: e["at"][:19].replace("T", " "), lambda e: e["at"]),
        Column("User", lambda e: e["actor"]),
        Column("Action", lambda e: e["action"]),
        Column("Entity", lambda e: e["entity"]),
        Column("Key", lambda e: e["entity_key"]),
        Column("Participant", lambda e: e["participant"] or "", lambda e: e["participant"]),
        Column("Reason", lambda e: e["reason"] or "", tooltip=lambda e: e["reason"] or ""),
        Column("Changes", lambda e: "; ".join(entry_changes(e, labels)),
               tooltip=lambda e: "\n".join(entry_changes(e))),
    ]


def _any_date_edit() -> QDateEdit:
    """A date filter whose lowest value reads 'any' and means no limit."""
    edit = date_edit()
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText("any")
    edit.setDate(NO_DATE)
    return edit


def _date(edit: QDateEdit) -> dt.date | None:
    return None if edit.date() == NO_DATE else edit.date().toPython()


def _pretty(raw: Any, missing: str) -> str:
    if not raw:
        return missing
    value = json.loads(raw)
    for key in INTERNAL_KEYS:
        value.pop(key, None)
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def entry_detail(e: dict[str, Any]) -> str:
    """One entry as a reader wants it: the change first, then before and after in full."""
    before = json.loads(e["before"]) if e["before"] else {}
    after = json.loads(e["after"]) if e["after"] else {}
    changed = sorted(k for k in before.keys() | after.keys()
                     if k not in INTERNAL_KEYS and before.get(k) != after.get(k))
    lines = [f"Entry {e['seq']} · {e['at']} · {e['actor']} · {e['action']}",
             f"{e['entity']} {e['entity_key']}"
             + (f" · participant {e['participant']}" if e["participant"] else ""),
             f"Reason: {e['reason'] or '—'}"]
    if before and after:
        lines.append(f"Changed: {', '.join(changed) or 'nothing'}")
    lines += ["", "Before:", _pretty(e["before"], "— (a new record)"),
              "", "After:", _pretty(e["after"], "— (deleted)"), "", f"Hash: {e['hash']}"]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else json.dumps(value, ensure_ascii=False) \
        if not isinstance(value, str) else value


def entry_changes(e: dict[str, Any], labels: dict[str, str] | None = None) -> list[str]:
    """The entry's change as 'field: old → new', one line per field (a new record lists
    its values, a deleted one what it held); internal keys left out. With `labels`
    (audit_trail.value_labels), a visit or value name reads as the protocol names it."""
    before = json.loads(e["before"]) if e["before"] else {}
    after = json.loads(e["after"]) if e["after"] else {}
    keys = sorted(k for k in before.keys() | after.keys() if k not in INTERNAL_KEYS)

    def shown(record: dict[str, Any], key: str) -> str:
        value = record.get(key)
        if labels and key in audit_trail.LABELLED_FIELDS and isinstance(value, str) \
                and value in labels:
            return labels[value]
        return _shown(value)

    if not before:
        return [f"{k}: {shown(after, k)}" for k in keys]
    if not after:
        return [f"{k}: {shown(before, k)} → (deleted)" for k in keys]
    return [f"{k}: {shown(before, k)} → {shown(after, k)}" for k in keys
            if before.get(k) != after.get(k)]


def entry_summary(e: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """The entry as a reader wants it: who did what and why, then each field's change."""
    changes = entry_changes(e, labels)
    what = ("New record:" if not e["before"] else "Deleted record:" if not e["after"]
            else "Changes:")
    return "\n".join([
        f"{e['at'][:19].replace('T', ' ')} UTC · {e['actor']} · {e['action']}",
        f"{e['entity']} {e['entity_key']}"
        + (f" · participant {e['participant']}" if e["participant"] else ""),
        f"Reason: {e['reason'] or '—'}", "", what,
        *(f"  {line}" for line in changes or ["nothing"])])


class AuditView(QWidget):
    """Filters apply as the user types (after a short pause), through the service."""

    verified = Signal(object)  # the VerifyResult, for the window's status bar

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.export_dialog: QFileDialog | None = None
        self.user = QLineEdit(placeholderText="any", clearButtonEnabled=True)
        self.participant = QLineEdit(placeholderText="any (7, P007, sub-007)",
                                     clearButtonEnabled=True)
        self.action = QLineEdit(placeholderText="any (e.g. participant.edit)",
                                clearButtonEnabled=True)
        self.since, self.until = _any_date_edit(), _any_date_edit()
        self.pause = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        for edit in (self.user, self.participant, self.action):
            edit.textChanged.connect(self.pause.start)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self.pause.start)
        self.error = error_label()
        self.count = QLabel()
        self.status = QLabel()
        self.verify_button = QPushButton("&Verify", clicked=self.verify)
        self.verify_button.setToolTip("Check the hash chain and every audited table")
        self.export_button = QPushButton("E&xport…", clicked=self.export)
        self.labels = audit_trail.value_labels(app)
        self.model = RowTableModel(columns(self.labels), self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = row_table(self.proxy, 0, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._show_entry)
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText("Select an entry to see what it changed.")
        self.raw_button = QPushButton("Show &raw entry", checkable=True)
        self.raw_button.setToolTip("The entry as stored: before and after in full, and its "
                                   "hash")
        self.raw_button.toggled.connect(self._show_entry)
        self._lay_out()
        self.reload()

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        for text, widget in (("&User", self.user), ("&Participant", self.participant),
                             ("&Action", self.action), ("&From", self.since), ("&to", self.until)):
            label = QLabel(text)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
        bar.addSpacing(12)
        bar.addWidget(self.verify_button)
        bar.addWidget(self.export_button)
        info = QHBoxLayout()
        info.addWidget(self.count)
        info.addStretch(1)
        info.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        below = QWidget()
        column = QVBoxLayout(below)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.detail, 1)
        column.addWidget(self.raw_button, 0, Qt.AlignmentFlag.AlignLeft)
        splitter.addWidget(below)
        splitter.setSizes([420, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addLayout(info)
        layout.addWidget(splitter, 1)

    def refresh(self) -> None:
        """Called when the tab is shown: changes made on other tabs appear."""
        self.reload()

    def current_filter(self) -> AuditFilter:
        return AuditFilter(user=self.user.text().strip() or None,
                           participant=self.participant.text().strip() or None,
                           action=self.action.text().strip() or None,
                           since=_date(self.since), until=_date(self.until))

    def reload(self) -> None:
        self.pause.stop()
        try:
            rows = audit_trail.entries(self.app, self.actor, self.current_filter())
        except Refused as exc:
            self.error.setText(describe(exc))
            self.error.show()
            return
        self.error.hide()
        self.model.set_rows(rows)
        fit_columns(self.table, widest=110, whole=(0, 1))  # the number and time whole
        self.count.setText(counted(len(rows), "entry", "entries") if rows
                           else "No entries match these filters.")
        self._show_entry()

    def _show_entry(self, *_: QItemSelection | bool) -> None:
        """The selected entry's changes, or the entry as stored while 'raw' is pressed."""
        rows = self.table.selectionModel().selectedRows()
        self.raw_button.setText("Show &changes" if self.raw_button.isChecked()
                                else "Show &raw entry")
        if not rows:
            self.detail.setPlainText("")
            return
        entry = self.proxy.row(rows[0])
        self.detail.setPlainText(entry_detail(entry) if self.raw_button.isChecked()
                                 else entry_summary(entry, self.labels))

    def verify(self) -> None:
        self.runner.start(VerifyAuditJob(self.app, self.actor, self._verified))

    def _verified(self, result: VerifyResult) -> None:
        self.status.setText(verify_text(result))
        self.status.setToolTip("\n".join(result.problems))
        self.status.setStyleSheet("" if result.ok else "color: #b3261e; font-weight: bold;")
        self.verified.emit(result)

    def export(self) -> None:
        self.export_dialog = export_audit(self.runner, self.app, self.actor, self,
                                          self.status.setText)


def audit_tab(app: App, actor: Actor, parent: QWidget | None = None) -> QWidget:
    """The audit view, or a note for a role that may not read the trail."""
    if allowed(actor.role, "audit.read"):
        return AuditView(app, actor, parent)
    return placeholder(f"The audit trail is not shown to the {actor.role} role.", parent)
