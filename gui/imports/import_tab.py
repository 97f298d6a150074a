"""The "Imports" tab: every import record (file, checksum, who, when, counts) and the wizard.

The list is what a monitor asks for: which file each value came from, and below it
one participant's values with their imports. Only roles that may import see the
button; the service checks the role again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.audit.receipt import ReceiptButton
from gui.common.events import events
from gui.common.read_only import mark_write
from gui.common.table_model import Column, FilterProxy, RowTableModel
from gui.common.widgets import row_table
from gui.imports.value_sources import ValueSources
from services import import_records
from services.context import Actor, App
from trialcore.roles import allowed

if TYPE_CHECKING:
    from gui.imports.import_wizard import ImportWizard

COLUMNS = [
    Column("#", lambda r: str(r["id"]), lambda r: r["id"]),
    Column("Time (UTC)", lambda r: r["at"][:19].replace("T", " "), lambda r: r["at"]),
    Column("User", lambda r: r["by"]),
    Column("Kind", lambda r: r["kind"]),
    Column("File", lambda r: r["file"], tooltip=lambda r: f"SHA-256 {r['sha256']}, "
           f"{r['size']:,} bytes"),
    Column("Format", lambda r: r["format"]),
    Column("Rows", lambda r: str(r["rows"]), lambda r: r["rows"]),
    Column("New", lambda r: str(r["inserted"]), lambda r: r["inserted"]),
    Column("Updated", lambda r: str(r["updated"]), lambda r: r["updated"]),
    Column("Unchanged", lambda r: str(r["unchanged"]), lambda r: r["unchanged"]),
    Column("SHA-256", lambda r: r["sha256"][:16] + "…", tooltip=lambda r: r["sha256"]),
]


class ImportsTab(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.wizard: ImportWizard | None = None
        self.model = RowTableModel(COLUMNS, self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = row_table(self.proxy, 0)
        self.filter = QLineEdit(placeholderText="Find: file, user, kind…",
                                clearButtonEnabled=True)
        self.filter.textChanged.connect(self.proxy.set_filter)
        bar = QHBoxLayout()
        if allowed(actor.role, "imports.write"):
            import_button = QPushButton("&Import a file…", clicked=self.open_wizard)
            mark_write(import_button)
            bar.addWidget(import_button)
        bar.addWidget(self.filter, 1)
        self.receipt_button = ReceiptButton(app, actor, self)  # after an import: keep its head
        bar.addWidget(self.receipt_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        if allowed(actor.role, "data.read"):  # the values themselves: as for an export
            self.sources = ValueSources(app, actor, self)
            split.addWidget(self.sources)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.refresh()

    def rows(self) -> list[dict[str, Any]]:
        return list(self.model.rows)

    def refresh(self) -> None:
        self.model.set_rows(import_records.list_imports(self.app, self.actor, options=False))
        self.table.resizeColumnsToContents()

    def open_wizard(self) -> None:
        from gui.imports.import_wizard import ImportWizard  # the readers (pandas): when used

        self.wizard = ImportWizard(self.app, self.actor, self)
        self.wizard.finished.connect(self._wizard_finished)
        self.wizard.open()

    def _wizard_finished(self, _result: int) -> None:
        if self.wizard is not None and self.wizard.result is not None:
            events().data_changed.emit()  # imported: plots, lists and the status bar re-read
        self.refresh()
