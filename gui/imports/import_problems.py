"""The validation report as a table a coordinator can sort and filter: kind, row, column, message.

Rows are plain (kind, Problem) pairs from the service's report; the wizard shows
this on its report page and never interprets the problems itself.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.common.table_model import Column, FilterProxy, RowTableModel
from gui.common.widgets import fit_columns, row_table
from gui.imports.wording import shown
from services.imports import Problem


class Shown(NamedTuple):
    kind: str
    problem: Problem


COLUMNS = [
    Column("Kind", lambda r: r.kind),
    Column("Row", lambda r: "" if r.problem.row is None else str(r.problem.row),
           lambda r: r.problem.row if r.problem.row is not None else 0),
    Column("Column", lambda r: r.problem.column or ""),
    Column("Message", lambda r: shown(r.problem), tooltip=lambda r: shown(r.problem)),
]
KINDS = ("errors and warnings", "errors", "warnings")


class ProblemsView(QWidget):
    """Filter by words and by kind; sort by any column (row numbers sort as numbers)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = RowTableModel(COLUMNS, self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = row_table(self.proxy, 1)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        # the selected problem's message in full: a table cell shows one line of it
        self.detail = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag
                             .TextSelectableByMouse)
        self.search = QLineEdit(placeholderText="filter: participant, column, words…")
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.search.textChanged.connect(self._filter)
        self.kind.currentIndexChanged.connect(self._filter)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.kind)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)

    def set_problems(self, errors: list[Problem], warnings: list[Problem]) -> None:
        self.model.set_rows([Shown("error", p) for p in errors]
                            + [Shown("warning", p) for p in warnings])
        self._filter()
        fit_columns(self.table, widest=160, whole=(0, 1))
        self._show_selected()

    def _show_selected(self, *_: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.detail.setText(shown(self.proxy.row(rows[0]).problem) if rows else "")
        self.detail.setVisible(bool(rows))

    def _filter(self) -> None:
        kind = self.kind.currentText()
        words = self.search.text().lower().split()
        if kind == KINDS[0]:
            self.proxy.set_filter(self.search.text())
            return

        def keep(row: Shown) -> bool:
            text = "\t".join(c.display(row) for c in COLUMNS).lower()
            return row.kind == kind.rstrip("s") and all(w in text for w in words)

        self.proxy.set_filter("", keep)

    def visible_rows(self) -> list[Shown]:
        return [self.proxy.row(self.proxy.index(i, 0)) for i in range(self.proxy.rowCount())]
