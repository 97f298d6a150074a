"""The Lock tab and the window's shared check of the audit trail: the checklist shows at
once with the trail's item pending, the item follows the check, a trail that grew is
checked again, Check again re-verifies, a tampered trail fails and keeps the lock off,
and a role that may not read the trail learns only that it failed (SQLite; the services
are tested on both databases in tests/test_lock_trail.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from gui.lock.lock_status import PENDING
from gui.lock.lock_view import LockView
from gui.window.main_window import MainWindow
from services import lock, participants
from services.context import Actor, App
from tests.gui.conftest import JOBS_CEILING
from tests.lock_helpers import ACTORS, password, ready_app
from tests.tamper import rewrite_audit_log


@dataclass
class Gate:
    """Holds every verification of the trail until opened: the test sees the tab while
    the check runs, whatever the machine's speed. Counts the checks started."""

    opened: threading.Event = field(default_factory=threading.Event)
    started: int = 0

    def hold(self) -> None:
        self.opened.clear()

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    verify = lock.verify_trail

    def gated(app: App, actor: Actor, cancelled: object) -> lock.VerifyResult:
        held.started += 1
        held.opened.wait(JOBS_CEILING / 1000)
        return verify(app, actor, cancelled)  # type: ignore[arg-type]

    monkeypatch.setattr(lock, "verify_trail", gated)
    yield held
    held.open()  # no worker left waiting after the test


@pytest.fixture
def app(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    application = ready_app(sqlite_url, tmp_path_factory)
    yield application
    application.close()


@pytest.fixture
def windows(qtbot: QtBot, app: App) -> Iterator[list[MainWindow]]:
    opened: list[MainWindow] = []
    yield opened
    for window in opened:
        window.close()


def _window(qtbot: QtBot, app: App, windows: list[MainWindow], name: str) -> MainWindow:
    window = MainWindow(app, ACTORS[name])
    windows.append(window)
    qtbot.addWidget(window)
    window.show()
    return window


def _click_tab(qtbot: QtBot, window: MainWindow, title: str) -> None:
    bar = window.tabs.tabBar()
    index = [window.tabs.tabText(i) for i in range(window.tabs.count())].index(title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentIndex() == index


def _lock_tab(qtbot: QtBot, window: MainWindow) -> LockView:
    """Click the Lock tab; the view once its quick checklist is on screen."""
    _click_tab(qtbot, window, "Lock")
    view = window.tabs.currentWidget().view  # type: ignore[attr-defined]
    assert isinstance(view, LockView)
    qtbot.waitUntil(lambda: view.status is not None and not view.runner.runs,
                    timeout=JOBS_CEILING)
    return view


def _audit_row(view: LockView) -> QTreeWidgetItem:
    rows = [view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())]
    return next(r for r in rows if r.text(0).endswith(lock.AUDIT_TITLE))


def _settles(qtbot: QtBot, view: LockView, mark: str) -> QTreeWidgetItem:
    qtbot.waitUntil(lambda: _audit_row(view).text(0).startswith(mark)
                    and not view.trail.running, timeout=JOBS_CEILING)
    return _audit_row(view)


def _entries(row: QTreeWidgetItem) -> int:
    return int(row.text(1).split()[0])


def _pending(view: LockView) -> bool:
    row = _audit_row(view)
    return row.text(0) == f"…  {lock.AUDIT_TITLE}" and row.text(1) == PENDING


def test_the_checklist_shows_at_once_and_the_trail_when_its_check_ends(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate) -> None:
    window = _window(qtbot, app, windows, "ivan")
    view = _lock_tab(qtbot, window)  # the window's check, held, has not ended
    qtbot.waitUntil(lambda: gate.started == 1, timeout=JOBS_CEILING)
    assert _pending(view) and view.trail.running
    visits = view.tree.topLevelItem(0)
    assert visits.text(0) == "✔  Every visit resolved"  # the other items are all there
    assert not view.lock_button.isEnabled()
    assert view.lock_button.toolTip() == "Locking waits for the audit trail's check."
    assert window.audit_label.text() == "Verifying the audit trail…"
    gate.open()
    row = _settles(qtbot, view, "✔")
    assert _entries(row) > 10 and row.childCount() == 0
    assert view.lock_button.isEnabled()
    assert window.audit_label.text() == f"Audit trail verified ({_entries(row)} entries)"
    assert gate.started == 1  # one check, shared by the status bar and the tab


def test_a_trail_that_grew_is_checked_again_when_the_tab_is_shown(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate) -> None:
    gate.open()
    window = _window(qtbot, app, windows, "ivan")
    view = _lock_tab(qtbot, window)
    before = _entries(_settles(qtbot, view, "✔"))
    _click_tab(qtbot, window, "Participants")
    _click_tab(qtbot, window, "Lock")
    assert not view.trail.running and gate.started == 1  # nothing new: the check stands
    participants.edit(app, ACTORS["cora"], 1, {"notes": "phoned"}, "a colleague's change")
    gate.hold()
    _click_tab(qtbot, window, "Participants")
    _click_tab(qtbot, window, "Lock")
    qtbot.waitUntil(lambda: gate.started == 2, timeout=JOBS_CEILING)
    assert view.trail.running and _pending(view) and not view.lock_button.isEnabled()
    gate.open()
    assert _entries(_settles(qtbot, view, "✔")) == before + 1
    assert view.lock_button.isEnabled()


def test_check_again_verifies_the_trail_again(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate) -> None:
    gate.open()
    view = _lock_tab(qtbot, _window(qtbot, app, windows, "ivan"))
    _settles(qtbot, view, "✔")
    gate.hold()
    qtbot.mouseClick(view.recheck_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: gate.started == 2, timeout=JOBS_CEILING)
    assert _pending(view) and not view.lock_button.isEnabled()
    gate.open()
    _settles(qtbot, view, "✔")
    assert view.lock_button.isEnabled()


def test_a_tampered_trail_fails_and_the_lock_stays_off(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate) -> None:
    gate.open()
    view = _lock_tab(qtbot, _window(qtbot, app, windows, "ivan"))
    _settles(qtbot, view, "✔")
    rewrite_audit_log(app, "UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
    qtbot.mouseClick(view.recheck_button, Qt.MouseButton.LeftButton)
    row = _settles(qtbot, view, "✘")
    assert row.isExpanded() and "audit entry 2" in row.child(0).text(1)
    assert not view.lock_button.isEnabled()
    assert "checks all pass" in view.lock_button.toolTip()
    assert view.window().audit_label.text().startswith("Audit trail FAILED: audit entry 2")


@pytest.mark.parametrize("name", ["phil", "admin"])
def test_a_role_that_may_not_read_the_trail_sees_only_that_it_failed(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate, name: str) -> None:
    rewrite_audit_log(app, "UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
    gate.open()
    window = _window(qtbot, app, windows, name)
    assert gate.started == 0  # the window itself does not check the trail for this role
    view = _lock_tab(qtbot, window)
    row = _settles(qtbot, view, "✘")
    assert gate.started == 1  # the Lock tab asked for it
    assert [row.child(i).text(1) for i in range(row.childCount())] == [lock.UNDISCLOSED]
    shown = [view.tree.topLevelItem(i).text(c) for i in range(view.tree.topLevelItemCount())
             for c in (0, 1)] + [view.summary.text()]
    assert not [t for t in shown if "audit entry" in t or "edited" in t]
    role = ACTORS[name].role
    assert window.audit_label.text() == f"Audit trail: not shown to the {role} role"


def test_a_locked_study_reads_its_certificate_once_per_signature(
        qtbot: QtBot, app: App, windows: list[MainWindow], gate: Gate,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The certificate digests all the data: read when the tab first shows a lock and on
    Check again, not each time the tab is shown (locked data cannot change)."""
    gate.open()
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    reads: list[int] = []
    certificate = lock.certificate
    monkeypatch.setattr(lock, "certificate", lambda a, actor: reads.append(1) or
                        certificate(a, actor))
    window = _window(qtbot, app, windows, "ivan")
    view = _lock_tab(qtbot, window)
    assert len(reads) == 1 and "data unchanged since" in view.summary.text()
    assert view.certificate_button.isEnabled() and view.unlock_button.isEnabled()
    _click_tab(qtbot, window, "Participants")
    _click_tab(qtbot, window, "Lock")
    qtbot.waitUntil(lambda: not view.runner.runs, timeout=JOBS_CEILING)
    assert len(reads) == 1 and view.certificate_button.isEnabled()
    qtbot.mouseClick(view.recheck_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(reads) == 2 and not view.runner.runs, timeout=JOBS_CEILING)
    assert "Locked by ivan" in view.summary.text() and "unchanged since" in view.summary.text()
