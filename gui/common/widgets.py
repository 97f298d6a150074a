"""Small widget helpers every view uses, so dates, errors and empty states look alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QDate, QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QWidget,
)

from gui.common.table_model import ROW_ROLE

DATE_FORMAT = "yyyy-MM-dd"  # ISO dates everywhere: no day/month confusion between sites


def date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def date_edit(value: dt.date | None = None, parent: QWidget | None = None) -> QDateEdit:
    edit = QDateEdit(QDate(value or dt.date.today()), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    return edit


class ElidedLabel(QLabel):
    """One line of plain text that gives up its width: cut short with "…" when the row is
    narrow, whole in its tooltip. A long status beside a row of buttons then never holds
    the window wider than a laptop's screen."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.whole = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # as any label's, so callers need not know
        self.whole = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self.whole, Qt.TextElideMode.ElideRight,
                                                      self.width()))


def error_label(parent: QWidget | None = None) -> QLabel:
    """Red, wrapped, hidden until there is something to say."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def placeholder(text: str, parent: QWidget | None = None) -> QLabel:
    """The grey, centred text a view shows instead of an empty table."""
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid); font-size: 11pt; padding: 24px;")
    return label


class PathField(QWidget):
    """A file name to type or to pick with Browse… (a non-blocking file dialog)."""

    def __init__(self, caption: str, name_filter: str, *, save: bool = False,
                 suffix: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.caption, self.name_filter, self.save, self.suffix = caption, name_filter, save, suffix
        self.edit = QLineEdit()
        self.edit.setMinimumWidth(320)
        self.browse = QPushButton("Browse…", clicked=self.open_browser)
        self.file_dialog: QFileDialog | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def open_browser(self) -> None:
        dialog = self.file_dialog = QFileDialog(self, self.caption, self.text(), self.name_filter)
        if self.save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix(self.suffix)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.edit.setText)
        dialog.open()


def row_table(model: QAbstractItemModel, sort_column: int,
              order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> QTableView:
    """A compact, sortable, single-row-selection table: how every list in the app looks."""
    table = QTableView()
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, order)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setTextElideMode(Qt.TextElideMode.ElideRight)  # a narrowed column: "Emergency u…"
    # resizeColumnsToContents measures this many rows, not Qt's default 1,000: lists of
    # thousands (deviations, visits) open at once and look the same.
    header.setResizeContentsPrecision(200)
    return table



LAST_COLUMN_ROOM = 70  # pixels the last (stretching) column keeps at the least


class _FittedColumns(QObject):
    """Keeps a table's columns fitting its width as the window is resized (fit_columns)."""

    def __init__(self, table: QTableView, widest: int, whole: Collection[int]):
        super().__init__(table)
        self.table, self.widest, self.whole = table, widest, set(whole)
        self.wanted: list[int] = []
        table.viewport().installEventFilter(self)

    def measure(self) -> None:
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)  # sized here: Qt's stretch keeps a 100 px least
        self.table.resizeColumnsToContents()
        last = header.count() - 1
        self.wanted = [header.sectionSize(c) if c in self.whole
                       else min(header.sectionSize(c), self.widest) for c in range(last)]
        self.apply()

    def apply(self) -> None:
        """Shrink the columns that may shrink, all alike, until the last one has room;
        the last one takes what is left."""
        header = self.table.horizontalHeader()
        width = self.table.viewport().width()
        fixed = sum(w for c, w in enumerate(self.wanted) if c in self.whole)
        shrinkable = sum(self.wanted) - fixed
        room = width - LAST_COLUMN_ROOM - fixed
        scale = min(1.0, max(room, 0) / shrinkable) if shrinkable else 1.0
        for c, wanted in enumerate(self.wanted):
            header.resizeSection(c, wanted if c in self.whole
                                 else max(int(wanted * scale), header.minimumSectionSize()))
        used = sum(header.sectionSize(c) for c in range(len(self.wanted)))
        header.resizeSection(len(self.wanted), max(width - used, LAST_COLUMN_ROOM))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.wanted:
            self.apply()
        return False


def fit_columns(table: QTableView, widest: int = 150, whole: Collection[int] = ()) -> None:
    """Columns as wide as their contents but none wider than `widest` pixels (except the
    `whole` ones), narrower still when the table is: longer text is elided, and the
    column's tooltip or the entry's detail holds it whole. The last column takes what is
    left. A list then reads without scrolling sideways, even on a laptop's screen."""
    fitted = table.findChild(_FittedColumns) or _FittedColumns(table, widest, whole)
    fitted.measure()


def selected_row(table: QTableView) -> Any:
    """The row object behind a single-selection table's selected row, or None."""
    rows = table.selectionModel().selectedRows()
    return rows[0].data(ROW_ROLE) if rows else None
