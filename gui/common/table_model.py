"""A table model over plain Python rows (service results), fast enough for 10,000 of them.

No per-cell items: text is computed when a cell is painted. Sorting uses real
Python values (dates, numbers; empty values last), not their text, and the
search text of a row is computed once, not on every keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
SERVED_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, ROW_ROLE,
                          SORT_ROLE})

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    header: str
    display: Callable[[Any], str]
    sort: Callable[[Any], Any] | None = None
    tooltip: Callable[[Any], str] | None = None


def labelled(header: str, label: Callable[[Any], str], key: Callable[[Any], str]) -> Column:
    """A column showing what the protocol calls a thing ("Dosing 1"); its tooltip has the
    label whole (a narrow column elides it) and the id beside it ("Dosing 1 — dose1"),
    for a data manager matching files or commands."""
    return Column(header, label,
                  tooltip=lambda r: f"{label(r)} — {key(r)}" if key(r) else label(r))


class RowTableModel(QAbstractTableModel):
    """Rows are any objects; each Column says how to show and sort them."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._text: dict[int, str] = {}
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Sorted inside the reset: sorting after it would make the proxy filter every
        row a second time."""
        self.beginResetModel()
        self.rows = list(rows)
        self._text.clear()
        if 0 <= self._sort[0] < len(self.columns):
            self.rows = [self.rows[i] for i in self._order(*self._sort)]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in SERVED_ROLES or not index.isValid():  # views ask for many roles
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(row)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self.sort_key(index.row(), index.column())
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) \
                and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header  # as tooltip: whole when the header is cut
        return None

    def sort_key(self, row: int, column: int) -> Any:
        col = self.columns[column]
        return col.sort(self.rows[row]) if col.sort else col.display(self.rows[row]).lower()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the Python list by the SORT_ROLE keys, empty values last either way.

        One list sort takes milliseconds at 10,000 rows, where a C++ sort that
        calls back into Python for every comparison takes seconds.
        """
        self._sort = (column, order)
        if not 0 <= column < len(self.columns) or not self.rows:
            return
        self.layoutAboutToBeChanged.emit()
        order_ = self._order(column, order)
        new_position = {old: new for new, old in enumerate(order_)}
        self.rows = [self.rows[i] for i in order_]
        moved = self.persistentIndexList()
        self.changePersistentIndexList(
            moved, [self.index(new_position[i.row()], i.column()) for i in moved])
        self.layoutChanged.emit()

    def _order(self, column: int, order: Qt.SortOrder) -> list[int]:
        """Row positions in sorted order, rows with an empty (None) key last."""
        keys = [self.sort_key(i, column) for i in range(len(self.rows))]
        present = sorted((i for i, k in enumerate(keys) if k is not None), key=keys.__getitem__,
                         reverse=order == Qt.SortOrder.DescendingOrder)
        return present + [i for i, k in enumerate(keys) if k is None]

    def search_text(self, row: int) -> str:
        """All of the row's cells, lower case, for the filter; computed once per row."""
        item = self.rows[row]
        text = self._text.get(id(item))
        if text is None:
            text = self._text[id(item)] = "\t".join(c.display(item) for c in self.columns).lower()
        return text


class FilterProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE (through the source model). Keeps the rows that hold every
    typed word in some column, or that pass a predicate the view sets instead."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._words: list[str] = []
        self._predicate: Callable[[Any], bool] | None = None

    def set_filter(self, text: str, predicate: Callable[[Any], bool] | None = None) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self._predicate = predicate
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model: RowTableModel = self.sourceModel()  # type: ignore[assignment]
        if self._predicate is not None:
            return self._predicate(model.rows[source_row])
        if not self._words:
            return True
        text = model.search_text(source_row)
        return all(w in text for w in self._words)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Delegated to the source model (see RowTableModel.sort); rows stay filtered."""
        self.sourceModel().sort(column, order)

    def row(self, index: Index) -> Any:
        """The row object behind a proxy index."""
        return index.data(ROW_ROLE)
