"""The generic row model: roles, real sorting with empty values last, filtering, speed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.common.table_model import ROW_ROLE, SORT_ROLE, Column, FilterProxy, RowTableModel
from gui.common.widgets import row_table


@dataclass(frozen=True)
class Row:
    name: str
    day: dt.date | None
    size: int


COLUMNS = [
    Column("Name", lambda r: r.name),
    Column("Day", lambda r: r.day.isoformat() if r.day else "", lambda r: r.day),
    Column("Size", lambda r: str(r.size), lambda r: r.size, tooltip=lambda r: f"{r.size} units"),
]


def _proxy(rows: list[Row]) -> tuple[RowTableModel, FilterProxy]:
    model = RowTableModel(COLUMNS)
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    model.set_rows(rows)
    return model, proxy


def _column(proxy: FilterProxy, column: int) -> list[str]:
    return [proxy.index(i, column).data() for i in range(proxy.rowCount())]


def test_roles_give_the_row_the_python_sort_key_and_the_tooltip() -> None:
    row = Row("alpha", dt.date(2026, 3, 1), 9)
    model, _ = _proxy([row])
    index = model.index(0, 2)
    assert index.data() == "9"
    assert index.data(ROW_ROLE) is row
    assert index.data(SORT_ROLE) == 9
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "9 units"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Day"


def test_sorts_by_value_not_text_and_keeps_empty_dates_last() -> None:
    rows = [Row("a", dt.date(2026, 1, 10), 10), Row("b", None, 9),
            Row("c", dt.date(2025, 12, 1), 100)]
    _, proxy = _proxy(rows)
    assert proxy.sortRole() == SORT_ROLE
    proxy.sort(2, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 0) == ["b", "a", "c"]  # 9 < 10 < 100, unlike "10" < "100" < "9"
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 0) == ["c", "a", "b"]
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, 0) == ["a", "c", "b"]


def test_filter_matches_every_word_in_any_column_case_insensitively() -> None:
    rows = [Row("Alpha", dt.date(2026, 1, 10), 1), Row("beta", dt.date(2026, 2, 1), 2)]
    _, proxy = _proxy(rows)
    proxy.set_filter("ALPHA 2026-01")
    assert _column(proxy, 0) == ["Alpha"]
    proxy.set_filter("alpha 2026-02")
    assert proxy.rowCount() == 0
    proxy.set_filter("", lambda r: r.size == 2)
    assert _column(proxy, 0) == ["beta"]
    proxy.set_filter("")
    assert proxy.rowCount() == 2


def test_ten_thousand_rows_load_sort_and_filter(qtbot: QtBot) -> None:
    rows = [Row(f"P{i:05d}", dt.date(2026, 1, 1) + dt.timedelta(days=i % 365), (i * 7919) % 10007)
            for i in range(10_000)]
    model = RowTableModel(COLUMNS)
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    table = row_table(proxy, 0)
    qtbot.addWidget(table)
    table.show()
    model.set_rows(rows)
    table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    proxy.set_filter("p0012")
    proxy.set_filter("")
    assert proxy.rowCount() == 10_000
    assert proxy.index(0, 2).data(SORT_ROLE) == max(r.size for r in rows)


def test_selection_follows_its_row_through_a_sort(qtbot: QtBot) -> None:
    rows = [Row(name, None, size) for name, size in (("a", 3), ("b", 1), ("c", 2))]
    _, proxy = _proxy(rows)
    table = row_table(proxy, 0)
    qtbot.addWidget(table)
    table.selectRow(0)
    table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    selected = table.selectionModel().selectedRows()
    assert [proxy.row(i).name for i in selected] == ["a"]
    assert selected[0].row() == 2
