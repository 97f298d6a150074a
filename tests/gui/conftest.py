"""GUI fixtures: an SQLite study per test (the widgets are the same on PostgreSQL; the
service tests cover both databases) and a main window whose first audit check is done."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from gui.window import main_window
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS
from services.context import Actor, App
from tests.conftest import make_study

# A ceiling, not a clock the test races: jobs (the start-up audit check runs in a child
# process) take what a loaded machine gives them, and pytest-timeout ends a real hang.
JOBS_CEILING = 120_000  # ms


@pytest.fixture(autouse=True)
def collected_here() -> Iterator[None]:
    """After each GUI test (and pytest-qt's closing of its widgets), collect its cyclic
    garbage on the GUI thread. Left for later, a collection started by an allocation on
    a job's worker thread in the next test would delete those widgets' Qt objects there,
    which crashes the process (seen as a lost xdist worker)."""
    yield
    gc.collect()


def settled(qtbot: QtBot, window: QWidget) -> None:
    """Wait until the window's background jobs are done (their done signals handled)."""
    qtbot.waitUntil(lambda: not window.runner.runs, timeout=JOBS_CEILING)


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 's.sqlite'}"


@pytest.fixture
def sqlite_app(sqlite_url: str) -> Iterator[App]:
    app = App(sqlite_url)
    yield app
    app.close()


@pytest.fixture
def actors(sqlite_app: App) -> dict[str, Actor]:
    return make_study(sqlite_app, ("cora", "ivan", "phil"))


@pytest.fixture
def foundation_tabs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the tabs these tests are about: each later feature tests its own tab, and
    its failures (or slowness) should not hide or fake the foundation's."""
    tabs = [t for t in TABS if t[0] in ("Participants", "Audit")]
    monkeypatch.setattr(main_window, "TABS", tabs)


def windows_as(qtbot: QtBot, app: App,
               accounts: dict[str, Actor]) -> Iterator[Callable[[str], MainWindow]]:
    """For a fixture to yield from: open_as('cora') -> a shown main window, its start-up
    verification finished; every window is closed when the test ends.

    The generator holds the windows: qtbot keeps only weak references, and a window
    that Python collects mid-test (perhaps on a worker thread) takes its tabs along.
    """
    windows: list[MainWindow] = []

    def open_as(name: str) -> MainWindow:
        window = MainWindow(app, accounts[name])
        windows.append(window)
        qtbot.addWidget(window)
        window.show()
        settled(qtbot, window)
        return window

    yield open_as
    for window in windows:
        window.close()


@pytest.fixture
def open_window(qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
                foundation_tabs: None) -> Iterator[Callable[[str], MainWindow]]:
    """open_window('cora') -> a shown main window, its start-up verification finished."""
    yield from windows_as(qtbot, sqlite_app, actors)


def press(qtbot: QtBot, dialog: QWidget, *which: QDialogButtonBox.StandardButton) -> None:
    """Click the first of `which` (Ok, Save, Open, Cancel, Close…) that the dialog's own
    button box has, as a user would: tests never call accept() or reject() directly."""
    for box in dialog.findChildren(QDialogButtonBox):
        for kind in which:
            button = box.button(kind)
            if button is not None and button.isVisible():
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
                return
    raise AssertionError(f"{type(dialog).__name__} shows none of {which}")


def tab(window: MainWindow, title: str) -> QWidget:
    """The widget of the tab called `title`, made current (later features add tabs)."""
    return window.show_tab(title)


@pytest.fixture
def running(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[App, dict[str, Actor]]]:
    """A running study with enrolled participants (tests.test_visits.running_study)."""
    from tests.test_visits import running_study

    app, actors = running_study(sqlite_url, tmp_path_factory)
    yield app, actors
    app.close()


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the demo study at its running stage (open queries, a double-entry
    mismatch, adverse events), built once for a module's tests."""
    from services import demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    app = App(url)
    demo.build(app, "running")
    app.close()
    return url


def double_click(qtbot: QtBot, view: QAbstractItemView, pos: QPoint) -> None:
    """A double click as the mouse makes it: press and release, then the double click.
    Item views act on a double click only at the index the press was on."""
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
