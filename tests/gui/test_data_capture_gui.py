"""Hand entry from the Visits tab, the SDV tick, the Queries tab and the Adverse events tab,
driven through their real buttons and fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from gui.common.events import events
from gui.monitoring.queries_view import QueriesView
from gui.participants.participant_dialogs import ServiceDialog
from gui.safety.adverse_events_view import AdverseEventsView
from gui.visits.visits_view import VisitsView
from gui.window import main_window
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS
from services import accounts, adverse_events, queries, sdv
from services.context import Actor, App
from tests.conftest import PASSWORDS
from tests.gui.conftest import windows_as
from tests.importers.helpers import baseline_study, stored


@pytest.fixture
def study(sqlite_app: App) -> dict[str, Actor]:
    """P001 with a done baseline; cora, ivan, stella and mona."""
    actors = baseline_study(sqlite_app, [1, 2], done=[1])
    accounts.add_user(sqlite_app, actors["admin"], "mona", "monitor", PASSWORDS["mona"])
    return {**actors, "mona": Actor("mona", "monitor")}


@pytest.fixture
def window(qtbot: QtBot, sqlite_app: App, study: dict[str, Actor],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], MainWindow]]:
    monkeypatch.setattr(main_window, "TABS", [t for t in TABS if t[0] in (
        "Visits", "Queries", "Safety")])
    yield from windows_as(qtbot, sqlite_app, study)


def _click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _ok(qtbot: QtBot, dialog: ServiceDialog) -> None:
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


def _visits(win: MainWindow) -> VisitsView:
    view = win.show_tab("Visits")
    assert isinstance(view, VisitsView)
    view.set_participant("P001")
    view.table.selectRow([r.visit for r in view.model.rows].index("baseline"))
    return view


def test_enter_values_on_a_done_visit_and_correct_one_with_a_reason(
        qtbot: QtBot, sqlite_app: App, window: Callable[[str], MainWindow]) -> None:
    view = _visits(window("cora"))
    assert view.capture.enter_button.isEnabled() and not view.capture.verified.isEnabled()
    _click(qtbot, view.capture.enter_button)
    dialog = view.capture.dialog
    assert dialog is not None
    assert dialog.heading.text() == "<b>P001</b> – Baseline fMRI"  # not "(baseline)"
    assert dialog.heading.toolTip() == "P001, visit baseline"
    qtbot.keyClicks(dialog.fields["tsnr"], "50")
    for item, answer in (("anx_1", "2"), ("anx_2", "3"), ("anx_3", "1"), ("anx_4", "4")):
        qtbot.keyClicks(dialog.fields[item], answer)
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    values = stored(sqlite_app)
    assert values[("P001", "baseline", "tsnr")] == 50.0
    assert values[("P001", "baseline", "subjective_anxiety")] == 14.0

    _click(qtbot, view.capture.enter_button)
    dialog = view.capture.dialog
    assert dialog.fields["tsnr"].text() == "50"
    dialog.fields["tsnr"].clear()
    qtbot.keyClicks(dialog.fields["tsnr"], "60")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and "needs a reason" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "transcription error")
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    assert stored(sqlite_app)[("P001", "baseline", "tsnr")] == 60.0


def test_the_values_form_fits_a_laptop_s_screen_and_scrolls_to_its_last_field(
        qtbot: QtBot, sqlite_app: App, window: Callable[[str], MainWindow]) -> None:
    """Issue 15: a field per scan measure and questionnaire item made Enter values 712 px
    tall, its Save button below a 1024×700 screen. The form scrolls; the buttons stay."""
    win = window("cora")
    win.resize(1024, 700)
    view = _visits(win)
    _click(qtbot, view.capture.enter_button)
    dialog = view.capture.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.height() < 700 and dialog.sizeHint().height() < 700
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert save.isVisible() and dialog.rect().contains(save.geometry())
    area = dialog.findChild(QScrollArea)
    assert area is not None and area.verticalScrollBar().maximum() > 0
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    fields = list(dialog.fields.values())
    fields[-1].setFocus()
    qtbot.keyClick(fields[-1], Qt.Key.Key_Tab)  # tabbing to the last field scrolls to it
    qtbot.waitUntil(dialog.reason.hasFocus)
    assert area.verticalScrollBar().value() > 0
    qtbot.keyClicks(dialog.reason, "typed where it can be seen")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_monitor_ticks_sdv_on_the_visit(qtbot: QtBot, sqlite_app: App,
                                            study: dict[str, Actor],
                                            window: Callable[[str], MainWindow]) -> None:
    view = _visits(window("mona"))
    assert not view.capture.enter_button.isVisible()
    assert view.capture.verified.isEnabled() and not view.capture.verified.isChecked()
    _click(qtbot, view.capture.verified)
    assert view.capture.verified.isChecked()
    assert [r.verified for r in sdv.list_marks(sqlite_app, study["mona"])] == [True]
    _click(qtbot, view.capture.verified)  # unticking asks why
    undo = view.capture.dialog
    assert undo is not None and view.capture.verified.isChecked()
    _ok(qtbot, undo)
    assert undo.isVisible() and "needs a reason" in undo.error.text()
    qtbot.keyClicks(undo.reason, "ticked the wrong visit")
    with qtbot.waitSignal(undo.saved):
        _ok(qtbot, undo)
    assert not view.capture.verified.isChecked()
    assert [r.verified for r in sdv.list_marks(sqlite_app, study["mona"])] == [False]


def test_raise_answer_and_close_a_query(qtbot: QtBot, sqlite_app: App,
                                       study: dict[str, Actor],
                                       window: Callable[[str], MainWindow]) -> None:
    monitor_window = window("mona")
    raised = monitor_window.show_tab("Queries")
    assert isinstance(raised, QueriesView)
    _click(qtbot, raised.raise_button)
    dialog = raised.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.participant, "P001")
    dialog.name.setCurrentText("Temporal SNR")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and "needs a text" in dialog.error.text()
    qtbot.keyClicks(dialog.text, "missing?")
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    assert [r.name for r in raised.model.rows] == ["tsnr"]
    q = raised.model.rows[0]
    coordinator = window("cora")
    view = coordinator.show_tab("Queries")
    assert isinstance(view, QueriesView) and len(view.model.rows) == 1
    view.table.selectRow(0)
    assert "Temporal SNR: no value stored" in view.context.text()
    assert "missing?" in view.talk.toPlainText()
    with qtbot.waitSignal(events().visit_requested) as requested:
        _click(qtbot, view.goto_button)
    assert requested.args == ["P001", "baseline"]
    visits_view = coordinator.tab("Visits")
    assert isinstance(visits_view, VisitsView)
    assert coordinator.tabs.tabText(coordinator.tabs.currentIndex()) == "Visits"
    assert visits_view.capture.selected().visit == "baseline"
    view = coordinator.show_tab("Queries")
    assert isinstance(view, QueriesView)
    view.table.selectRow(0)
    assert not view.close_button.isVisible()
    qtbot.keyClicks(view.reply, "scan was not done: see the deviation log")
    _click(qtbot, view.answer_button)
    assert view.model.rows[0].status == "answered"

    view = monitor_window.show_tab("Queries")
    assert isinstance(view, QueriesView)
    view.table.selectRow(0)
    assert not view.answer_button.isVisible() and view.close_button.isEnabled()
    qtbot.keyClicks(view.reply, "agreed")
    _click(qtbot, view.close_button)
    assert view.model.rows == []  # the default filter lists queries not closed
    closed = queries.list_queries(sqlite_app, study["mona"], status="closed")
    assert [r.id for r in closed] == [q.id]
    assert [m["kind"] for m in closed[0].messages] == ["open", "answer", "close"]


def test_report_an_adverse_event_through_the_dialog(
        qtbot: QtBot, sqlite_app: App, study: dict[str, Actor],
        window: Callable[[str], MainWindow]) -> None:
    view = window("cora").show_tab("Safety")
    assert isinstance(view, AdverseEventsView)
    chooser = view.participant
    assert [chooser.itemText(i) for i in range(chooser.count())] == [
        "All participants", "P001", "P002"]
    assert chooser.currentData() is None
    _click(qtbot, view.add_button)
    dialog = view.dialog
    assert dialog is not None
    dialog.participant.clear()
    qtbot.keyClicks(dialog.participant, "P001")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and "the term is empty" in dialog.error.text()
    assert "--" not in dialog.error.text()  # the form's field, not the command's flag
    qtbot.keyClicks(dialog.term, "rash")
    dialog.visit.setCurrentIndex(dialog.visit.findText("Dosing 1"))  # the visit's label
    assert dialog.visit.currentData() == "dose1"
    qtbot.keyClick(dialog.serious, Qt.Key.Key_Space)
    assert dialog.serious.isChecked()
    with qtbot.waitSignal(dialog.saved):
        _ok(qtbot, dialog)
    assert [r.term for r in view.model.rows] == ["rash"]
    visit = [view.model.headerData(c, Qt.Orientation.Horizontal)
             for c in range(view.model.columnCount())].index("Visit")
    assert view.model.index(0, visit).data() == "Dosing 1"  # not its internal id
    assert view.message is not None and "emergency envelope" in view.message.text()
    assert "Randomization tab → Emergency envelope…" in view.message.text()  # it exists
    events = adverse_events.list_events(sqlite_app, study["mona"])
    assert events[0].serious and events[0].participant == "P001" and events[0].visit == "dose1"
    view.table.selectRow(0)
    _click(qtbot, view.update_button)
    update = view.dialog
    assert update is not None and update is not dialog
    qtbot.keyClick(update.resolved, Qt.Key.Key_Space)
    qtbot.keyClicks(update.outcome, "recovered")
    _ok(qtbot, update)
    assert update.isVisible() and "needs a reason" in update.error.text()
    assert "--" not in update.error.text()  # the Reason field is beside it, not a flag
    qtbot.keyClicks(update.reason, "follow-up call")
    with qtbot.waitSignal(update.saved):
        _ok(qtbot, update)
    assert view.model.rows[0].outcome == "recovered" and view.model.rows[0].resolved
    qtbot.keyClick(chooser, Qt.Key.Key_Down)  # P001's events: the one reported
    assert chooser.currentData() == "P001" and len(view.model.rows) == 1
    qtbot.keyClick(chooser, Qt.Key.Key_Down)
    assert chooser.currentData() == "P002" and view.model.rows == []


def test_the_casebook_shows_the_values_and_saves_as_pdf(
        qtbot: QtBot, sqlite_app: App, study: dict[str, Actor],
        window: Callable[[str], MainWindow], tmp_path: Path) -> None:
    from services import data_entry

    data_entry.set_values(sqlite_app, study["cora"], 1, "baseline", {"tsnr": "50"})
    view = _visits(window("mona"))
    _click(qtbot, view.capture.casebook_button)
    casebook = view.capture.casebook
    assert casebook is not None
    text = casebook.document.toPlainText()
    assert "Casebook P001" in text and "Temporal SNR" in text and "hand entry" in text
    assert "tsnr" not in text.split()
    _click(qtbot, casebook.pdf_button)
    files = casebook.file_dialog
    assert files is not None
    target = tmp_path / "casebook.pdf"
    files.setDirectory(str(tmp_path))
    name = files.findChild(QLineEdit, "fileNameEdit")
    name.clear()
    qtbot.keyClicks(name, target.name)
    _click(qtbot, files.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save))
    qtbot.waitUntil(target.exists)
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
