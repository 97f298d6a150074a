"""The register tab, driven like a coordinator would: add, find, edit, withdraw, and the
refusals and conflicts the service raises."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from gui.participants.participant_dialogs import ServiceDialog
from gui.participants.participants_view import ParticipantsView
from gui.window.main_window import MainWindow
from services import participants
from services.context import Actor, App
from tests.gui.conftest import tab


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _ok(qtbot: QtBot, dialog: ServiceDialog) -> None:
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


def _shown_ids(view: ParticipantsView) -> list[str]:
    return [view.proxy.index(i, 0).data() for i in range(view.proxy.rowCount())]


def _view(window: MainWindow) -> ParticipantsView:
    view = tab(window, "Participants")
    assert isinstance(view, ParticipantsView)
    return view


def _add(qtbot: QtBot, view: ParticipantsView, text: str, stratum: str | None = None) -> None:
    _click(qtbot, view.add_button)
    dialog = view.add_dialog
    qtbot.keyClicks(dialog.id_edit, text)
    if stratum:
        dialog.stratum.setCurrentIndex(dialog.stratum.findData(stratum))
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)


def _select(qtbot: QtBot, view: ParticipantsView, label: str) -> None:
    row = _shown_ids(view).index(label)
    rect = view.table.visualRect(view.proxy.index(row, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.selected().label == label


def test_an_empty_register_says_how_to_start(open_window: Callable[[str], MainWindow]) -> None:
    view = _view(open_window("cora"))
    assert view.table_stack.currentWidget() is view.empty
    assert not view.edit_button.isEnabled() and view.add_button.isEnabled()


def test_added_participant_appears_with_stratum_and_details(
        qtbot: QtBot, open_window: Callable[[str], MainWindow]) -> None:
    view = _view(open_window("cora"))
    _click(qtbot, view.add_button)
    dialog = view.add_dialog
    assert [dialog.stratum.itemText(i) for i in range(dialog.stratum.count())] == [
        "(from baseline scan)", "NTNA+", "NTNA-"]
    qtbot.keyClicks(dialog.id_edit, "sub-7")
    dialog.stratum.setCurrentIndex(1)
    dialog.registered.setDate(QDate(2026, 2, 3))
    qtbot.keyClicks(dialog.notes, "prefers mornings")
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    assert _shown_ids(view) == ["P007"]
    assert view.table_stack.currentWidget() is view.table
    assert view.selected().label == "P007"
    assert view.detail.values["Stratum"].text() == "NTNA+"
    assert view.detail.values["Registered"].text() == "2026-02-03"
    assert view.detail.values["Notes"].text() == "prefers mornings"


def test_a_refused_add_keeps_the_dialog_open_with_the_input(
        qtbot: QtBot, open_window: Callable[[str], MainWindow]) -> None:
    view = _view(open_window("cora"))
    _add(qtbot, view, "7")
    _click(qtbot, view.add_button)
    dialog = view.add_dialog
    qtbot.keyClicks(dialog.id_edit, "P007")
    _ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "P007 already exists" in dialog.error.text()
    assert dialog.id_edit.text() == "P007"
    dialog.id_edit.clear()
    qtbot.keyClicks(dialog.id_edit, "seven")
    _ok(qtbot, dialog)
    assert "'seven' is not a participant ID" in dialog.error.text()


def test_filter_finds_p007_by_any_spelling_and_free_text_otherwise(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    for n in (7, 17, 70):
        participants.add(sqlite_app, actors["cora"], n, notes=f"note {n}",
                         registered_on=dt.date(2026, 1, n % 28 + 1))
    view = _view(open_window("cora"))
    for typed in ("7", "P7", "P007", "sub-007", "p-007"):
        view.filter.clear()
        qtbot.keyClicks(view.filter, typed)
        assert _shown_ids(view) == ["P007"], typed
    assert view.count.text() == "1 of 3 shown"
    view.filter.clear()
    qtbot.keyClicks(view.filter, "NOTE 17")
    assert _shown_ids(view) == ["P017"]
    view.filter.clear()
    qtbot.keyClicks(view.filter, "99")  # an ID nobody has: plain text, no match
    assert _shown_ids(view) == []
    view.filter.clear()
    assert view.count.text() == "3 participants"


def test_edit_needs_a_reason_then_saves_and_is_audited(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    view = _view(open_window("cora"))
    _select(qtbot, view, "P007")
    _click(qtbot, view.edit_button)
    dialog = view.edit_dialog
    qtbot.keyClicks(dialog.notes, "moved to the evening slot")
    _ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "needs a reason" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "participant asked")
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    row = participants.get(sqlite_app, actors["cora"], 7)
    assert row.notes == "moved to the evening slot" and row.version == 2
    assert view.detail.values["Notes"].text() == "moved to the evening slot"


def test_a_concurrent_edit_keeps_what_was_typed_and_shows_both_versions(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    view = _view(open_window("cora"))
    _select(qtbot, view, "P007")
    _click(qtbot, view.edit_button)
    dialog = view.edit_dialog
    participants.edit(sqlite_app, actors["ivan"], 7, {"notes": "ivan's note"}, "phone call")
    qtbot.keyClicks(dialog.notes, "cora's note")
    qtbot.keyClicks(dialog.reason, "typo")
    with qtbot.waitSignal(dialog.conflict):
        _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.notes.toPlainText() == "cora's note"
    text = dialog.error.text()
    assert "P007 was changed by ivan" in text and "nothing was saved" in text
    assert "Stored now: notes “ivan's note”" in text and "Yours: notes “cora's note”" in text
    assert participants.get(sqlite_app, actors["cora"], 7).notes == "ivan's note"
    assert view.detail.values["Notes"].text() == "ivan's note"
    _ok(qtbot, dialog)  # saved over ivan's, knowingly
    assert not dialog.isVisible()
    assert participants.get(sqlite_app, actors["cora"], 7).notes == "cora's note"


def test_withdraw_needs_a_reason_and_then_disables_itself(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 3)
    view = _view(open_window("cora"))
    _select(qtbot, view, "P003")
    _click(qtbot, view.withdraw_button)
    dialog = view.withdraw_dialog
    _ok(qtbot, dialog)
    assert dialog.isVisible() and "needs a reason" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "moved abroad")
    dialog.withdrawn.setDate(QDate(2026, 3, 1))
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    assert view.detail.values["Status"].text() == "Withdrawn"
    assert view.detail.values["Withdrawal reason"].text() == "moved abroad"
    assert view.detail.values["Withdrawn"].text() == "2026-03-01"
    assert not view.withdraw_button.isEnabled()


def test_roles_without_write_access_see_disabled_buttons(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 1)
    view = _view(open_window("phil"))
    _select(qtbot, view, "P001")
    for button in (view.add_button, view.edit_button, view.withdraw_button):
        assert not button.isEnabled()
        assert "you are pharmacist" in button.toolTip()


def test_the_service_enforces_the_role_even_if_a_dialog_is_opened(
        qtbot: QtBot, open_window: Callable[[str], MainWindow]) -> None:
    view = _view(open_window("phil"))
    view.open_add()
    qtbot.keyClicks(view.add_dialog.id_edit, "5")
    _ok(qtbot, view.add_dialog)
    assert "phil (pharmacist) may not do this" in view.add_dialog.error.text()


def test_showing_the_tab_again_reads_the_register_only_after_a_change(
        open_window: Callable[[str], MainWindow], sqlite_app: App,
        monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window("cora")
    view = _view(window)
    reads: list[int] = []
    real = participants.list_participants
    monkeypatch.setattr(participants, "list_participants",
                        lambda app, actor: reads.append(1) or real(app, actor))
    window.show_tab("Audit")
    window.show_tab("Participants")
    assert reads == []  # nothing changed: the rows shown are current
    participants.add(sqlite_app, Actor("cora", "coordinator"), 12)  # e.g. another user
    window.show_tab("Audit")
    window.show_tab("Participants")
    assert reads == [1] and _shown_ids(view) == ["P012"]


def test_the_register_reads_on_a_laptop_without_scrolling_sideways(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    """Issue 15: at 1024×700, beside the detail panel, the register scrolled sideways and hid
    its Notes. Now every column shows, the dates whole, and a long note is cut short with
    the whole text in its tooltip."""
    long_note = "prefers morning scans; travels from out of town, call a day ahead " * 2
    participants.add(sqlite_app, actors["cora"], 7, notes=long_note)
    window = open_window("cora")
    window.resize(1024, 700)
    view = _view(window)
    qtbot.waitUntil(lambda: view.table.viewport().width() > 500
                    and window.width() == 1024)
    header = view.table.horizontalHeader()
    qtbot.waitUntil(lambda: header.length() <= view.table.viewport().width())
    assert not view.table.horizontalScrollBar().isVisible()
    metrics = view.table.fontMetrics()
    for column in (3, 4):  # Registered, Enrolled
        assert header.sectionSize(column) >= metrics.horizontalAdvance("2026-12-05")
    notes = header.count() - 1
    assert header.sectionSize(notes) >= 60
    assert view.proxy.index(0, notes).data(Qt.ItemDataRole.ToolTipRole) == long_note
    # a header narrowed below its title ends in "…" and shows the whole title on hover
    assert header.textElideMode() == Qt.TextElideMode.ElideRight
    unblinded = [view.proxy.headerData(c, Qt.Orientation.Horizontal)
                 for c in range(header.count())].index("Emergency unblinded")
    assert view.proxy.headerData(unblinded, Qt.Orientation.Horizontal,
                                 Qt.ItemDataRole.ToolTipRole) == "Emergency unblinded"
