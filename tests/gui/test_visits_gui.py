"""The Visits, Due and Dashboard tabs, driven like a coordinator would: book and log through
the dialogs (kit code feedback as it is typed), and see every list follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QTableView, QWidget
from pytestqt.qtbot import QtBot

from gui.dashboard.dashboard_view import DashboardView
from gui.participants.participant_dialogs import ServiceDialog
from gui.visits.due_view import DueView
from gui.visits.visits_view import FLAG_COLOURS, VisitsView
from gui.window.main_window import MainWindow
from services import participants, visits
from services.context import Actor, App
from tests.gui.conftest import settled
from tests.gui.test_plots_gui import contrast
from tests.test_visits import enrol


def today() -> dt.date:
    return dt.date.today()  # at use: a run may cross midnight

W = TypeVar("W", bound=QWidget)


@pytest.fixture
def window(qtbot: QtBot, running: tuple[App, dict[str, Actor]]
           ) -> Iterator[Callable[[str], MainWindow]]:
    """open_as('cora') -> a shown main window. The fixture holds the windows: qtbot keeps
    only weak references, and Python may collect a window mid-test, tabs and all."""
    app, actors = running
    windows: list[MainWindow] = []

    def open_as(name: str) -> MainWindow:
        win = MainWindow(app, actors[name])
        windows.append(win)
        qtbot.addWidget(win)
        win.show()
        settled(qtbot, win)
        return win

    yield open_as
    for win in windows:
        win.close()


TITLES = {VisitsView: "Visits", DueView: "Due", DashboardView: "Dashboard"}


def _tab(win: MainWindow, kind: type[W]) -> W:
    """Switch to the tab showing `kind` (as a user would: built, or its refresh() runs)."""
    view = win.show_tab(TITLES[kind])
    assert isinstance(view, kind)
    return view


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _ok(qtbot: QtBot, dialog: ServiceDialog) -> None:
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


def _cell(view: VisitsView, visit: str, header: str) -> str:
    column = [c.header for c in view.model.columns].index(header)
    row = [r.visit for r in view.model.rows].index(visit)
    return view.model.index(row, column).data()


def _select(view: VisitsView, visit: str) -> None:
    view.table.selectRow([r.visit for r in view.model.rows].index(visit))


def test_book_and_log_through_the_dialogs(qtbot: QtBot, running: tuple[App, dict[str, Actor]],
                                          window: Callable[[str], MainWindow]) -> None:
    app, a = running
    codes = enrol(app, a, 1, registered=today() - dt.timedelta(days=10),
                  enrolled=today() - dt.timedelta(days=7))  # dose1 window: today -2 … +3
    win = window("cora")
    view = _tab(win, VisitsView)
    view.set_participant("P001")
    assert _cell(view, "dose1", "Kit code") == codes["dose1"]

    _select(view, "dose1")
    _click(qtbot, view.actions.book_button)
    book = view.actions.book_dialog
    assert book is not None and not book.window_note.isVisible()
    # the visit as the protocol names it, its id one hover away
    assert book.heading.text() == "<b>P001</b> – Dosing 1" and "dose1" not in book.windowTitle()
    assert book.heading.toolTip() == "P001, visit dose1"
    book.date.setDate(QDate(today() + dt.timedelta(days=10)))
    assert book.window_note.isVisible() and "Outside the window" in book.window_note.text()
    book.date.setDate(QDate(today() + dt.timedelta(days=1)))
    assert not book.window_note.isVisible()
    with qtbot.waitSignal(book.saved):
        _ok(qtbot, book)
    assert _cell(view, "dose1", "Status") == "Booked"
    assert _cell(view, "dose1", "Booked") == (today() + dt.timedelta(days=1)).isoformat()

    _select(view, "dose1")
    _click(qtbot, view.actions.log_button)
    log = view.actions.log_dialog
    assert log is not None and log.date.date().toPython() == today()
    assert log.heading.text() == "<b>P001</b> – Dosing 1" and "dose1" not in log.windowTitle()
    _ok(qtbot, log)  # no code yet
    assert log.isVisible() and "give the kit code" in log.error.text()
    qtbot.keyClicks(log.code, codes["dose2"])
    assert "wrong kit" in log.code_note.text()
    log.code.clear()
    qtbot.keyClicks(log.code, codes["dose1"][:-1] + ("2" if codes["dose1"][-1] != "2" else "3"))
    assert "mistyped" in log.code_note.text()
    log.code.clear()
    qtbot.keyClicks(log.code, codes["dose1"].lower())
    assert log.code_note.text().startswith("✓ ok")
    with qtbot.waitSignal(log.saved):
        _ok(qtbot, log)
    assert _cell(view, "dose1", "Status") == "Done"
    assert _cell(view, "dose1", "Actual") == today().isoformat()
    assert _cell(view, "dose2", "Target") == (today() + dt.timedelta(days=7)).isoformat()

    due = _tab(win, DueView)
    assert ("P001", "dose1") not in {(r.participant, r.visit) for r in due.model.rows}
    assert ("P001", "dose2") in {(r.participant, r.visit) for r in due.model.rows}


def test_a_deviation_and_a_missed_visit_need_their_reasons(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]],
        window: Callable[[str], MainWindow]) -> None:
    app, a = running
    enrol(app, a, 1, registered=today() - dt.timedelta(days=20),
          enrolled=today() - dt.timedelta(days=12))  # baseline window ended 6 days ago
    view = _tab(window("cora"), VisitsView)
    view.set_participant("P001")
    assert _cell(view, "baseline", "Status") == "Overdue"
    _select(view, "baseline")
    _click(qtbot, view.actions.log_button)
    log = view.actions.log_dialog
    assert log is not None and log.deviation_reason.isEnabled()
    assert "6 days after its window" in log.window_note.text()
    _ok(qtbot, log)
    assert "give a deviation reason" in log.error.text()
    qtbot.mouseClick(log.missed_button, Qt.MouseButton.LeftButton)
    assert not log.deviation_reason.isEnabled() and not log.code.isEnabled()
    _ok(qtbot, log)
    assert "needs a reason" in log.error.text()
    qtbot.keyClicks(log.reason, "could not get time off work")
    with qtbot.waitSignal(log.saved):
        _ok(qtbot, log)
    assert _cell(view, "baseline", "Status") == "Missed"
    assert _cell(view, "baseline", "Reason") == "could not get time off work"


def test_the_due_screen_lists_an_overdue_visit_and_exports_a_calendar(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], tmp_path: Path,
        window: Callable[[str], MainWindow]) -> None:
    app, a = running
    participants.add(app, a["cora"], 2, registered_on=today() - dt.timedelta(days=30))
    enrol(app, a, 3, registered=today() - dt.timedelta(days=3), enrolled=today())
    due = _tab(window("cora"), DueView)
    overdue = [r for r in due.model.rows if r.due == "overdue"]
    assert [(r.participant, r.visit) for r in overdue] == [("P002", "baseline")]
    assert overdue[0].next_action == "log Baseline fMRI: late (deviation) or missed"
    assert "1 overdue" in due.counts.text()
    due.days.setValue(0)
    assert {r.participant for r in due.model.rows} == {"P002", "P003"}  # P003's baseline open
    due.days.setValue(14)
    assert ("P003", "dose1") in {(r.participant, r.visit) for r in due.model.rows}
    due.export_calendar(str(tmp_path / "visits.ics"))
    assert due.message is not None and "Wrote 3 visits" in due.message.text()
    assert (tmp_path / "visits.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


def test_someone_else_booking_first_is_a_conflict(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]],
        window: Callable[[str], MainWindow]) -> None:
    app, a = running
    enrol(app, a, 1, registered=today() - dt.timedelta(days=10), enrolled=today())
    view = _tab(window("cora"), VisitsView)
    view.set_participant("P001")
    _select(view, "dose1")
    _click(qtbot, view.actions.book_button)
    book = view.actions.book_dialog
    assert book is not None
    visits.book(app, a["cora"], 1, "dose1", today() + dt.timedelta(days=8))
    with qtbot.waitSignal(book.conflict):
        _ok(qtbot, book)
    theirs = (today() + dt.timedelta(days=8)).isoformat()
    assert book.isVisible() and "was changed by cora" in book.error.text()
    assert f"Stored now: booked on {theirs}" in book.error.text()
    assert f"Yours: booked for {book.date.date().toPython()}" in book.error.text()
    assert _cell(view, "dose1", "Booked") == theirs
    mine = book.date.date().toPython().isoformat()
    _ok(qtbot, book)
    assert not book.isVisible() and _cell(view, "dose1", "Booked") == mine


def test_read_only_roles_and_the_dashboard(qtbot: QtBot,
                                           running: tuple[App, dict[str, Actor]],
                                           window: Callable[[str], MainWindow]) -> None:
    app, a = running
    enrol(app, a, 1)
    enrol(app, a, 2, stratum="NTNA-")
    win = window("ivan")
    view = _tab(win, VisitsView)
    _select(view, "baseline")
    assert not view.actions.log_button.isEnabled()
    assert "you are investigator" in view.actions.book_button.toolTip()
    board = _tab(win, DashboardView)
    assert board.data["strata"][0] == {"stratum": "NTNA+", "target": 8, "enrolled": 1,
                                       "withdrawn": 0, "over_target": False}
    assert "2 participants" in board.people.text().replace("<b>", "").replace("</b>", "")


def test_missed_and_cancelled_tints_stand_out_from_the_list_s_rows(qtbot: QtBot) -> None:
    """The status tints of missed and cancelled visits are seen against the list's white
    and alternate rows, and are not mistaken for each other or for another status."""
    table = QTableView()
    qtbot.addWidget(table)
    backgrounds = [table.palette().color(QPalette.ColorRole.Base),
                   table.palette().color(QPalette.ColorRole.AlternateBase)]
    for flag in ("missed", "cancelled"):
        tint = QColor(FLAG_COLOURS[flag])
        for background in backgrounds:
            assert ratio(tint, background) >= 1.35, (flag, background.name())
        for other, colour in FLAG_COLOURS.items():
            if other != flag:
                assert QColor(colour).rgb() != tint.rgb()
    assert ratio(QColor(FLAG_COLOURS["missed"]), QColor(FLAG_COLOURS["cancelled"])) >= 1.1


def ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours."""
    light, dark = sorted((1.05 / contrast(a), 1.05 / contrast(b)), reverse=True)
    return light / dark


def test_a_long_next_step_never_widens_the_window_past_a_laptop_s_screen(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]],
        window: Callable[[str], MainWindow]) -> None:
    """Issue 15: the summary beside the participant ("1 of 4 done · next: …") held the
    window at 1103 pixels, wider than a 1024×700 laptop. It is cut short instead, whole in
    its tooltip."""
    app, actors = running
    enrol(app, actors, 1)
    win = window("cora")
    view = _tab(win, VisitsView)
    win.resize(1024, 700)
    qtbot.waitUntil(lambda: win.width() == 1024)
    assert win.minimumSizeHint().width() <= 1024
    whole = view.summary.toolTip()
    assert "next: " in whole
    assert view.summary.text() != whole and view.summary.text().endswith("…")
    assert not view.summary.text().rstrip("…") or whole.startswith(view.summary.text()[:-1])
    win.resize(1400, 900)
    qtbot.waitUntil(lambda: view.summary.text() == whole)
