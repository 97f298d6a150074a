"""Double data entry through the window: two coordinators type the same baseline form in
the real Enter values… dialog (the second sees it blank), their entries differ, and the
investigator resolves the mismatch in the real Double entry… and Resolve dialogs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from gui.visits.visits_view import VisitsView
from gui.window import main_window
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS
from services import accounts, double_entry
from services.context import Actor, App
from tests.conftest import PASSWORDS
from tests.gui.conftest import windows_as
from tests.importers.helpers import answers, baseline_study

LIKING = ("lik_angry_1", "lik_angry_2", "lik_angry_3", "lik_angry_4")


@pytest.fixture
def study(sqlite_app: App) -> dict[str, Actor]:
    """P001 with a done baseline; cora and dora (coordinators), ivan, stella, phil."""
    actors = baseline_study(sqlite_app, [1], done=[1])
    accounts.add_user(sqlite_app, actors["admin"], "dora", "coordinator", "dora-pass-1")
    accounts.add_user(sqlite_app, actors["admin"], "phil", "pharmacist", PASSWORDS["phil"])
    return {**actors, "dora": Actor("dora", "coordinator"), "phil": Actor("phil", "pharmacist")}


@pytest.fixture
def window(qtbot: QtBot, sqlite_app: App, study: dict[str, Actor],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], MainWindow]]:
    monkeypatch.setattr(main_window, "TABS", [t for t in TABS if t[0] == "Visits"])
    yield from windows_as(qtbot, sqlite_app, study)


def _click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _baseline(win: MainWindow) -> VisitsView:
    view = win.show_tab("Visits")
    assert isinstance(view, VisitsView)
    view.set_participant("P001")
    view.table.selectRow([r.visit for r in view.model.rows].index("baseline"))
    return view


def _type_form(qtbot: QtBot, view: VisitsView, typed: tuple[str, ...]) -> None:
    _click(qtbot, view.capture.enter_button)
    dialog = view.capture.dialog
    assert dialog is not None
    assert all(dialog.fields[item].text() == "" for item in LIKING), "the first entry shows"
    for item, value in zip(LIKING, typed, strict=True):
        qtbot.keyClicks(dialog.fields[item], value)
    with qtbot.waitSignal(dialog.saved):
        _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: view.capture.message is not None)
    view.capture.message.close()


def test_two_enter_blind_and_a_third_resolves_the_mismatch(
        qtbot: QtBot, sqlite_app: App, study: dict[str, Actor],
        window: Callable[[str], MainWindow]) -> None:
    cora = _baseline(window("cora"))
    _type_form(qtbot, cora, ("4", "5", "3", "6"))
    assert "kept as a first entry" in cora.capture.message.text()
    assert not answers(sqlite_app)
    dora = _baseline(window("dora"))
    _type_form(qtbot, dora, ("4", "5", "3", "2"))
    assert "Likability of angry faces, item 4: differs from the first entry" in \
        dora.capture.message.text()
    assert answers(sqlite_app) == {("P001", "baseline", item): value for item, value in
                                   (("lik_angry_1", 4.0), ("lik_angry_2", 5.0),
                                    ("lik_angry_3", 3.0))}

    ivan = _baseline(window("ivan"))
    assert ivan.capture.double_button.isVisible()
    _click(qtbot, ivan.capture.double_button)
    listed = ivan.capture.double_entries
    assert listed is not None and [r.name for r in listed.model.rows] == ["lik_angry_4"]
    assert not listed.resolve_button.isEnabled()
    listed.table.selectRow(0)
    _click(qtbot, listed.resolve_button)
    resolve = listed.dialog
    assert resolve is not None and resolve.isVisible()
    shown = " ".join(label.text() for label in resolve.findChildren(type(resolve.error)))
    assert "cora: 6" in shown and "dora: 2" in shown
    qtbot.keyClicks(resolve.value, "6")
    _click(qtbot, resolve.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert resolve.isVisible() and "needs a reason" in resolve.error.text()
    qtbot.keyClicks(resolve.reason, "the paper form says 6")
    with qtbot.waitSignal(resolve.saved):
        _click(qtbot, resolve.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert answers(sqlite_app)[("P001", "baseline", "lik_angry_4")] == 6.0
    assert listed.model.rows == [] and listed.empty.isVisible()
    assert double_entry.pending(sqlite_app, study["ivan"]) == []
    _click(qtbot, listed.buttons.button(QDialogButtonBox.StandardButton.Close))
    assert not listed.isVisible()


def test_a_role_that_may_not_read_values_has_no_casebook_or_double_entry_button(
        window: Callable[[str], MainWindow]) -> None:
    view = _baseline(window("phil"))
    assert not view.capture.casebook_button.isVisible()
    assert not view.capture.double_button.isVisible()
