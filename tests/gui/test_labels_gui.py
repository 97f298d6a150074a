"""The screens name visits and values as the protocol does ("Dosing 1", "Amygdala threat
reactivity (non-conscious faces)", "Likability of angry faces, item 1"), not by their ids
(`dose1`, `amygdala_threat`, `lik_angry_1`), which stay in the tooltips for a data
manager. Each screen is opened in the window, as the role that uses it, on the demo."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel
from pytestqt.qtbot import QtBot

from gui.audit.audit_view import AuditView
from gui.imports.import_tab import ImportsTab
from gui.lock.lock_view import LockView
from gui.monitoring.queries_view import QueriesView
from gui.safety.adverse_events_view import AdverseEventsView
from gui.visits.double_entry_dialogs import DoubleEntriesDialog, ResolveDialog
from gui.visits.visits_view import VisitsView
from gui.window.main_window import MainWindow
from services import demo
from services.context import Actor, App
from services.data_entry import known_names
from tests.gui.conftest import JOBS_CEILING, windows_as


@pytest.fixture
def demo_app(running_demo: str) -> Iterator[App]:
    app = App(running_demo)
    yield app
    app.close()


@pytest.fixture
def window(qtbot: QtBot, demo_app: App) -> Iterator[Callable[[str], MainWindow]]:
    accounts = {name: Actor(name, role) for name, role, _ in demo.ACCOUNTS}
    yield from windows_as(qtbot, demo_app, accounts)


def ids(app: App) -> set[str]:
    """Every visit id and value name of the protocol: what a cell must not read as."""
    return {v.id for v in app.protocol.visits} | set(known_names(app.protocol))


def cells(model: QAbstractItemModel, header: str,
          role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> list[str]:
    """The texts of one column, as the table shows them (or its tooltips)."""
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    column = headers.index(header)
    return [model.data(model.index(r, column), role) for r in range(model.rowCount())]


def no_ids_shown(app: App, model: QAbstractItemModel) -> None:
    shown = {model.data(model.index(r, c)) for r in range(model.rowCount())
             for c in range(model.columnCount())}
    assert not shown & ids(app), f"ids shown as text: {shown & ids(app)}"


def click_row(qtbot: QtBot, table: QAbstractItemView, row: int) -> None:
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(table.model().index(row, 0)).center())


def test_the_queries_list_and_its_context_name_visits_and_values(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    shown = window("mona")
    shown.resize(1024, 700)  # a laptop: the long labels do not push the question aside
    view = shown.show_tab("Queries")
    assert isinstance(view, QueriesView)
    qtbot.waitUntil(lambda: view.table.viewport().width() < 600)
    assert view.table.horizontalHeader().length() <= view.table.viewport().width()
    visit = view.table.horizontalHeader().sectionSize(2)  # the visit stays whole
    assert visit >= view.table.fontMetrics().horizontalAdvance("Dosing 1")
    model = view.model
    assert cells(model, "Visit") == ["Dosing 1"]  # the open one; the closed one is filtered
    assert cells(model, "Value") == ["Amygdala threat reactivity (non-conscious faces)"]
    assert cells(model, "Visit", Qt.ItemDataRole.ToolTipRole) == ["Dosing 1 — dose1"]
    assert cells(model, "Value", Qt.ItemDataRole.ToolTipRole) == [
        "Amygdala threat reactivity (non-conscious faces) — amygdala_threat"]
    no_ids_shown(demo_app, model)
    click_row(qtbot, view.table, 0)
    context = view.context.text()
    assert context.startswith("P002, Dosing 1:")
    assert "<b>Amygdala threat reactivity (non-conscious faces) = " in context
    assert not any(f"{name} =" in context or f" {name}:" in context for name in ids(demo_app))

    qtbot.mouseClick(view.raise_button, Qt.MouseButton.LeftButton)
    dialog = view.dialog
    assert dialog is not None and dialog.isVisible()
    names = [dialog.name.itemText(i) for i in range(dialog.name.count())]
    visits = [dialog.visit.itemText(i) for i in range(dialog.visit.count())]
    assert "Likability of angry faces, item 1" in names and "Dosing 1" in visits
    assert not (set(names) | set(visits)) & ids(demo_app)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_imports_value_table_names_visits_and_values(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("cora").show_tab("Imports")
    assert isinstance(view, ImportsTab)
    sources = view.sources
    qtbot.keyClicks(sources.participant, "P001")
    qtbot.keyClick(sources.participant, Qt.Key.Key_Return)
    model = sources.model
    assert model.rowCount() > 10
    visits, names = cells(model, "Visit"), cells(model, "Name")
    assert "Baseline fMRI" in visits and "Dosing 1" in visits
    assert "Amygdala threat reactivity (non-conscious faces)" in names
    assert "Likability of angry faces, item 1" in names
    tips = cells(model, "Name", Qt.ItemDataRole.ToolTipRole)
    assert tips[names.index("Likability of angry faces, item 1")] == \
        "Likability of angry faces, item 1 — lik_angry_1"
    no_ids_shown(demo_app, model)


def test_the_double_entry_list_and_resolve_dialog_name_visits_and_items(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("ivan").show_tab("Visits")
    assert isinstance(view, VisitsView)
    qtbot.mouseClick(view.capture.double_button, Qt.MouseButton.LeftButton)
    listed = view.capture.double_entries
    assert isinstance(listed, DoubleEntriesDialog) and listed.isVisible()
    model = listed.model
    assert cells(model, "Visit") == ["Baseline fMRI"]
    assert cells(model, "Value") == ["Likability of angry faces, item 1"]
    assert cells(model, "Value", Qt.ItemDataRole.ToolTipRole) == [
        "Likability of angry faces, item 1 — lik_angry_1"]
    no_ids_shown(demo_app, model)
    click_row(qtbot, listed.table, 0)
    qtbot.mouseClick(listed.resolve_button, Qt.MouseButton.LeftButton)
    resolve = listed.dialog
    assert isinstance(resolve, ResolveDialog) and resolve.isVisible()
    assert "Baseline fMRI" in resolve.windowTitle()
    texts = [label.text() for label in resolve.findChildren(QLabel)] + [resolve.windowTitle()]
    assert any("Likability of angry faces, item 1" in t for t in texts)
    assert not any(name in t for t in texts for name in ("lik_angry_1", "baseline"))
    qtbot.keyClick(resolve, Qt.Key.Key_Escape)
    qtbot.keyClick(listed, Qt.Key.Key_Escape)
    assert not QApplication.activeModalWidget()


def test_the_safety_list_names_the_visit_of_each_event(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("cora").show_tab("Safety")
    assert isinstance(view, AdverseEventsView)
    assert cells(view.model, "Visit") == ["Dosing 1", "Dosing 2", "Dosing 1"]
    assert cells(view.model, "Visit", Qt.ItemDataRole.ToolTipRole) == [
        "Dosing 1 — dose1", "Dosing 2 — dose2", "Dosing 1 — dose1"]
    no_ids_shown(demo_app, view.model)


def test_the_hand_entry_form_names_items_by_their_scale(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("cora").show_tab("Visits")
    assert isinstance(view, VisitsView)
    view.set_participant("P001")
    click_row(qtbot, view.table, [r.visit for r in view.model.rows].index("baseline"))
    qtbot.mouseClick(view.capture.enter_button, Qt.MouseButton.LeftButton)
    dialog = view.capture.dialog
    assert dialog is not None and dialog.isVisible()
    captions = [label.text() for label in dialog.findChildren(QLabel)]
    assert "Likability of angry faces, item 1:" in captions
    assert "Likability of angry faces: score:" in captions
    assert not {f"{name}:" for name in ids(demo_app)} & set(captions)
    assert dialog.fields["lik_angry_1"].toolTip() == "lik_angry_1"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_lock_checklist_names_the_records_to_fix(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("mona").show_tab("Lock")
    assert isinstance(view, LockView)
    qtbot.waitUntil(lambda: view.status is not None and not view.runner.runs,
                    timeout=JOBS_CEILING)
    tops = {view.tree.topLevelItem(i).text(0)[3:]: view.tree.topLevelItem(i)
            for i in range(view.tree.topLevelItemCount())}
    query = tops["Every data query closed"].child(0)
    assert (query.text(0), query.toolTip(0)) == ("P002, Dosing 1", "query 1")
    assert "on Amygdala threat reactivity (non-conscious faces) is open" in query.text(1)
    double = tops["Every double data entry complete"].child(0)
    assert double.text(0) == "P002, Baseline fMRI"
    assert double.text(1).startswith("Likability of angry faces, item 1: entries by")
    shown = [item.child(i).text(c) for item in tops.values()
             for i in range(item.childCount()) for c in (0, 1)]
    assert not [t for t in shown for name in ids(demo_app) if name in t.split()
                or f"/{name}" in t or t.startswith(f"{name}:")]


def test_the_audit_list_names_visits_and_values_and_keeps_the_ids_in_the_tooltip(
        qtbot: QtBot, demo_app: App, window: Callable[[str], MainWindow]) -> None:
    view = window("mona").show_tab("Audit")
    assert isinstance(view, AuditView)
    rows = [(view.proxy.index(i, 3).data(), view.proxy.index(i, 5).data())
            for i in range(view.proxy.rowCount())]
    row = rows.index(("query.open", "query 2"))  # the fd_mean query at P004's baseline
    changes = view.proxy.index(row, 8)
    assert "name: Mean framewise displacement;" in changes.data()
    assert "visit: Baseline fMRI" in changes.data()
    tip = changes.data(Qt.ItemDataRole.ToolTipRole).splitlines()
    assert "name: fd_mean" in tip and "visit: baseline" in tip
    click_row(qtbot, view.table, row)
    assert "  visit: Baseline fMRI" in view.detail.toPlainText()
    shown = [view.proxy.index(i, 8).data() for i in range(view.proxy.rowCount())]
    assert not [t for t in shown for name in ids(demo_app)
                if f"visit: {name}" in t or f"name: {name}" in t or f"measure: {name}" in t]
