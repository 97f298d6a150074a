"""Tabs are built when first shown: start-up builds only the first, and imports none of the
heavy libraries; a tab built later shows the data of that moment, follows a participant
chosen before it existed, and is read-only after lock like every other."""

from __future__ import annotations

import datetime as dt
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from gui.common.chooser import ParticipantChooser
from gui.common.events import events
from gui.common.read_only import LOCKED_TIP
from gui.dashboard.dashboard_view import DashboardView
from gui.visits.due_view import DueView
from gui.visits.visits_view import VisitsView
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS, TabPage, shown_to
from services import lock, participants, visits
from services.context import Actor, App
from tests.gui.conftest import settled
from tests.lock_helpers import ACTORS, password, ready_app
from tests.test_visits import enrol
from trialcore.roles import ROLES


def today() -> dt.date:
    return dt.date.today()  # at use: a run may cross midnight

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "statsmodels", "pandas", "pyqtgraph", "openpyxl")


@pytest.fixture
def opened(qtbot: QtBot) -> Iterator[list[MainWindow]]:
    """The windows a test opens, deleted at its end (the plot tabs' pyqtgraph scenes must
    not outlive the test: see test_plots_gui.shown)."""
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.close()
        shiboken6.delete(window)
    gc.collect()


def _open(qtbot: QtBot, opened: list[MainWindow], app: App, actor: Actor) -> MainWindow:
    window = MainWindow(app, actor)
    opened.append(window)
    qtbot.addWidget(window)
    window.show()
    settled(qtbot, window)
    return window


def _built(window: MainWindow) -> list[str]:
    pages = [window.tabs.widget(i) for i in range(window.tabs.count())]
    assert all(isinstance(p, TabPage) for p in pages)
    return [window.tabs.tabText(i) for i, p in enumerate(pages) if p.view is not None]


def test_only_the_tab_shown_first_is_built_and_each_other_when_shown(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], opened: list[MainWindow]) -> None:
    app, a = running
    window = _open(qtbot, opened, app, a["cora"])
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        t for t, _ in shown_to("coordinator", TABS)]
    assert _built(window) == ["Dashboard"]
    assert isinstance(window.tab("Dashboard"), DashboardView)
    assert window.findChild(DueView) is None and window.findChild(VisitsView) is None
    due = window.show_tab("Due")
    assert isinstance(due, DueView) and due.isVisible()
    assert window.tabs.currentWidget().isAncestorOf(due)
    assert _built(window) == ["Dashboard", "Due"]
    window.show_tab("Dashboard")
    assert window.show_tab("Due") is due  # built once


def test_a_tab_built_later_shows_the_data_of_when_it_is_shown(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], opened: list[MainWindow]) -> None:
    app, a = running
    window = _open(qtbot, opened, app, a["cora"])
    participants.add(app, a["cora"], 2, registered_on=today() - dt.timedelta(days=30))
    enrol(app, a, 3, registered=today() - dt.timedelta(days=3), enrolled=today())
    due = window.show_tab("Due")
    assert isinstance(due, DueView)
    assert [(r.participant, r.visit, r.due) for r in due.model.rows] == [
        (r.participant, r.visit, r.due)
        for r in visits.list_visits(app, a["cora"], due_days=14, today=today())]
    assert ("P002", "baseline", "overdue") in {(r.participant, r.visit, r.due)
                                               for r in due.model.rows}
    view = window.show_tab("Visits")
    assert isinstance(view, VisitsView)
    assert [view.participant.itemData(i) for i in range(view.participant.count())] == [
        "P002", "P003"]
    assert view.participant.currentText() == "P002  (registered)"
    assert [r.visit for r in view.model.rows] == [
        r.visit for r in visits.list_visits(app, a["cora"], "P002", today=today())]
    enrol(app, a, 4)
    window.show_tab("Dashboard")
    view = window.show_tab("Visits")  # shown again: refreshed
    assert view.participant.count() == 3 and view.participant.itemText(2) == "P004  (enrolled)"
    view.set_participant("P003")
    assert {r.participant for r in view.model.rows} == {"P003"}


def test_the_participant_chooser_is_as_wide_as_its_longest_item(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], opened: list[MainWindow]) -> None:
    """Sized from its longest texts only, it asks for the size a plain combo box holding
    every item would."""
    app, a = running
    for n in (1, 2, 3):
        participants.add(app, a["cora"], n)
    participants.withdraw(app, a["cora"], 2, "moved", today())
    view = _open(qtbot, opened, app, a["cora"]).show_tab("Visits")
    assert isinstance(view, VisitsView)
    chooser = view.participant
    texts = [chooser.itemText(i) for i in range(chooser.count())]
    assert texts == ["P001  (registered)", "P002  (withdrawn)", "P003  (registered)"]
    assert chooser.sizeHint() == _plain(texts).sizeHint()
    assert chooser.minimumSizeHint() == _plain(texts).minimumSizeHint()
    texts = ["P001  (enrolled)", "P0000000001  (registered, and a long note)"]
    chooser.set_items([(t, "P001") for t in texts])
    assert chooser.sizeHint() == _plain(texts).sizeHint()
    assert chooser.sizeHint().width() > _plain(texts[:1]).sizeHint().width()


def test_an_editable_chooser_is_as_wide_as_an_editable_combo_box_of_every_item(
        qtbot: QtBot) -> None:
    """The kit check's chooser, typed into, asks the size its plain predecessor did."""
    chooser = ParticipantChooser(editable=True)
    qtbot.addWidget(chooser)
    texts = ["P001", "P002", "P0000000001"]
    chooser.set_items([(t, t) for t in texts])
    plain = _plain(texts)
    plain.setEditable(True)
    assert chooser.isEditable()
    assert chooser.sizeHint() == plain.sizeHint()
    assert chooser.minimumSizeHint() == plain.minimumSizeHint()


def _plain(texts: list[str]) -> QComboBox:
    """A QComboBox as the Visits tab had, sized by Qt from every item."""
    combo = QComboBox()
    combo.addItems(texts)
    return combo


def test_a_participant_chosen_before_the_plots_tab_existed_is_shown_there(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], opened: list[MainWindow]) -> None:
    """The lock view's 'open it in the other tabs' announces a participant; a tab built
    afterwards follows it as if it had been there."""
    app, a = running
    for n in (1, 2, 3):
        participants.add(app, a["cora"], n)
    window = _open(qtbot, opened, app, a["cora"])
    events().select_participant("P002")
    plots = window.show_tab("Participant plots")
    rows = plots.table.selectionModel().selectedRows()
    assert [plots.proxy.row(r).label for r in rows] == ["P002"]
    assert plots.panel.label == "P002"


def test_a_tab_built_after_lock_is_read_only_even_unseen(
        qtbot: QtBot, sqlite_url: str, tmp_path_factory: pytest.TempPathFactory,
        opened: list[MainWindow]) -> None:
    app = ready_app(sqlite_url, tmp_path_factory)
    try:
        lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
        window = _open(qtbot, opened, app, ACTORS["cora"])
        view = window.tab("Visits")  # built, not shown
        assert isinstance(view, VisitsView) and window.tabs.currentIndex() == 0
        view.table.selectRow(0)  # would enable Book… and Log… in a running study
        assert view.actions.selected() is not None
        for button in (view.actions.book_button, view.actions.log_button):
            assert not button.isEnabled() and button.toolTip() == LOCKED_TIP
    finally:
        app.close()


def _heavy_after(url: str, tmp_path: Path, role: str, tabs: list[str], *,
                 warm: bool = False) -> list[str]:
    """The heavy libraries imported by a fresh interpreter that shows the main window
    on `url` for `role`, waits for its audit check, then shows `tabs` one by one. With
    `warm`, it waits for the plot tabs' warm-up too (gui/window/warm_up.py); without,
    the warm-up never starts, so what is listed is what start-up and the tabs import."""
    script = tmp_path / "start.py"
    script.write_text(
        "import sys, time\n"
        "from PySide6.QtWidgets import QApplication\n"
        "qapp = QApplication([])\n"
        "from gui.window import warm_up\n"
        "from gui.window.main_window import MainWindow\n"
        "from services.context import Actor, App\n"
        f"warm = {warm!r}\n"
        "if not warm:\n"
        "    warm_up.IDLE_MS = 10**8\n"
        f"window = MainWindow(App(sys.argv[1]), Actor('cora', {role!r}))\n"
        "window.show()\n"
        "def waiting():\n"
        "    return window.runner.runs or (warm and window.warm_up is not None\n"
        "                                  and not window.warm_up.finished.is_set())\n"
        "while waiting():\n"
        "    qapp.processEvents()\n"
        "    time.sleep(0.01)\n"
        f"for title in {tabs!r}:\n"
        "    window.show_tab(title)\n"
        "    qapp.processEvents()\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), url], cwd=REPO,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_start_up_imports_none_of_the_heavy_libraries(tmp_path: Path,
                                                      sqlite_app: App,
                                                      actors: dict[str, Actor]) -> None:
    """The main window shown on a study, its audit check done, in a fresh interpreter:
    scipy, statsmodels, pandas, pyqtgraph and openpyxl wait for the tabs that use them."""
    participants.add(sqlite_app, actors["cora"], 1)
    assert _heavy_after(sqlite_app.url, tmp_path, "coordinator", []) == ["none"]


@pytest.mark.parametrize(("role", "warmed"), [("coordinator", ["pyqtgraph"]),
                                             ("statistician", ["pyqtgraph"]),
                                             ("pharmacist", ["none"])])
def test_once_idle_the_window_imports_what_the_plot_tabs_need_for_roles_that_see_them(
        tmp_path: Path, sqlite_app: App, actors: dict[str, Actor], role: str,
        warmed: list[str]) -> None:
    """The plot tabs' first show would spend most of its time importing pyqtgraph: the
    window imports it on a thread once idle, and nothing heavier, for a role with
    those tabs; a pharmacist, who has none, is spared it."""
    participants.add(sqlite_app, actors["cora"], 1)
    assert _heavy_after(sqlite_app.url, tmp_path, role, [], warm=True) == warmed


@pytest.mark.parametrize(("role", "tabs"), [
    ("coordinator", ["Participants", "Visits", "Due", "Randomization", "Imports", "Queries",
                     "Safety", "Lock", "Audit"]),
    ("statistician", ["Analysis"])])
def test_tabs_that_list_import_none_of_the_heavy_libraries(
        tmp_path: Path, sqlite_app: App, actors: dict[str, Actor], role: str,
        tabs: list[str]) -> None:
    """Their first show stays quick: the import path's pandas waits for the import
    wizard, Enter values…, a query's context or the casebook, and the analysis's
    libraries for a study that can be analysed (this one is running: the Analysis tab
    only says so)."""
    participants.add(sqlite_app, actors["cora"], 1)
    assert _heavy_after(sqlite_app.url, tmp_path, role, tabs) == ["none"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_every_tab_of_a_role_is_readable_on_a_laptop_screen(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]], opened: list[MainWindow],
        role: str) -> None:
    """At 1024×700 the tab bar holds each of the role's tabs whole: none behind scroll
    arrows, none elided; tabs the role cannot use are not there to crowd it."""
    app, _ = running
    window = _open(qtbot, opened, app, Actor(f"a {role}", role))
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    bar = window.tabs.tabBar()
    titles = [bar.tabText(i) for i in range(bar.count())]
    assert titles == [t for t, _ in shown_to(role, TABS)]
    assert bar.tabRect(bar.count() - 1).right() < bar.width()
    for i, title in enumerate(titles):
        assert bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(title)
    # clicking the last tab shows it, as clicking any other would
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(bar.count() - 1).center())
    assert window.tabs.currentIndex() == bar.count() - 1
    assert ("Analysis" in titles) == (role in ("investigator", "statistician"))
    assert bar.tabToolTip(titles.index("Audit")).startswith("Audit trail")
    assert ("Participant plots" in titles) == (role not in ("pharmacist", "randomizer"))
