"""Where one participant's stored values came from: each scan value, score and item answer
with the import (file) that wrote it. Shown under the import list; a monitor checks a value
against its source file here."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.common.events import events
from gui.common.table_model import Column, RowTableModel, labelled
from gui.common.widgets import row_table
from services import import_records
from services.context import Actor, App
from services.errors import NotFound, Refused
from trialcore.wording import counted

KINDS = {"observations": "measure", "item_responses": "item answer"}
COLUMNS = [
    labelled("Visit", lambda r: r["visit_label"], lambda r: r["visit"]),
    labelled("Name", lambda r: r["label"], lambda r: r["name"]),
    Column("Kind", lambda r: KINDS[r["table"]]),
    Column("Value", lambda r: "" if r["value"] is None else f"{r['value']:g}",
           lambda r: r["value"]),
    Column("Import", lambda r: "" if r["import_id"] is None else str(r["import_id"]),
           lambda r: r["import_id"]),
    Column("File", lambda r: r["file"] or "entered in TrialDesk"),
]


class ValueSources(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.model = RowTableModel(COLUMNS, self)
        self.table = row_table(self.model, 0)
        self.participant = QLineEdit(placeholderText="Participant, e.g. P007 or 7",
                                     clearButtonEnabled=True)
        self.participant.returnPressed.connect(self.show_participant)
        self.status = QLabel("Enter a participant to see where each stored value came from.")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Values of participant:"))
        bar.addWidget(self.participant)
        bar.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        events().participant_selected.connect(self.follow)

    def follow(self, label: str) -> None:
        """The participant chosen on another tab: their values, without typing the ID."""
        self.participant.setText(label)
        self.show_participant()

    def rows(self) -> list[dict[str, Any]]:
        return list(self.model.rows)

    def show_participant(self) -> None:
        text = self.participant.text().strip()
        if not text:
            return
        try:
            rows = import_records.provenance(self.app, self.actor, text)
        except (Refused, NotFound) as exc:
            self.model.set_rows([])
            self.status.setText(str(exc))
            return
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        who = rows[0]["participant"] if rows else text
        self.status.setText(f"{who}: {counted(len(rows), 'stored value')}" if rows
                            else f"{who}: no values stored yet")
