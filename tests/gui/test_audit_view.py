"""The audit tab: entries and their before/after, filters, the chain check in the status
bar (also after someone edits the database behind TrialDesk's back), and export."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from gui.audit.audit_view import AuditView
from gui.window.main_window import MainWindow
from services import participants
from services.context import Actor, App
from tests.gui.conftest import press, tab


def _audit(window: MainWindow) -> AuditView:
    view = tab(window, "Audit")
    assert isinstance(view, AuditView)
    return view


def _column(view: AuditView, column: int) -> list[str]:
    return [view.proxy.index(i, column).data() for i in range(view.proxy.rowCount())]


def _verify(qtbot: QtBot, window: MainWindow, view: AuditView) -> str:
    with qtbot.waitSignal(view.runner.done, timeout=10_000):
        qtbot.mouseClick(view.verify_button, Qt.MouseButton.LeftButton)
    return window.audit_label.text()


def test_the_trail_lists_every_change_newest_first_with_its_before_and_after(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    participants.edit(sqlite_app, actors["ivan"], 7, {"notes": "late"}, "phoned in")
    window = open_window("cora")
    assert window.audit_label.text().startswith("Audit trail verified (")
    view = _audit(window)
    seqs = [int(s) for s in _column(view, 0)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) > 3
    assert view.count.text() == f"{len(seqs)} entries"
    assert _column(view, 3)[0] == "participant.edit" and _column(view, 7)[0] == "phoned in"
    assert _column(view, 8)[0] == "notes: — → late"  # the change, in the list itself
    view.table.selectRow(0)
    detail = view.detail.toPlainText()
    assert "Changes:\n  notes: — → late" in detail
    assert "Reason: phoned in" in detail and "Hash:" not in detail
    qtbot.mouseClick(view.raw_button, Qt.MouseButton.LeftButton)  # the entry as stored
    raw = view.detail.toPlainText()
    assert "Changed: notes" in raw and "Hash:" in raw
    assert '"notes": "late"' in raw and '"notes": ""' in raw
    assert "digest_delta" not in raw
    qtbot.mouseClick(view.raw_button, Qt.MouseButton.LeftButton)
    assert view.detail.toPlainText() == detail


def test_filters_by_participant_spelling_user_action_and_date(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    participants.add(sqlite_app, actors["ivan"], 8)
    view = _audit(open_window("cora"))
    qtbot.keyClicks(view.participant, "sub-007")
    qtbot.waitUntil(lambda: set(_column(view, 6)) == {"P007"})
    view.participant.clear()
    qtbot.keyClicks(view.user, "ivan")
    qtbot.waitUntil(lambda: set(_column(view, 6)) == {"P008"})
    qtbot.keyClicks(view.action, "withdraw")
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 0)
    assert view.count.text() == "No entries match these filters."
    view.user.clear()
    view.action.clear()
    view.since.setDate(QDate(dt.date.today() + dt.timedelta(days=1)))
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 0)
    view.since.setDate(QDate(dt.date.today()))
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0)
    qtbot.keyClicks(view.participant, "nobody")
    qtbot.waitUntil(view.error.isVisible)
    assert "'nobody' is not a participant ID" in view.error.text()


def test_verify_shows_ok_then_failed_after_tampering_with_the_file(
        qtbot: QtBot, sqlite_app: App, sqlite_url: str, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    window = open_window("cora")
    view = _audit(window)
    assert _verify(qtbot, window, view).startswith("Audit trail verified (")
    assert window.audit_label.styleSheet() == ""
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        raw.execute("UPDATE participants SET notes = 'edited behind its back' "
                    "WHERE label = 'P007'")
    text = _verify(qtbot, window, view)
    assert text.startswith("Audit trail FAILED: table participants")
    assert "b3261e" in window.audit_label.styleSheet()
    assert view.status.text() == text


def test_export_writes_the_whole_trail_as_csv(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor], tmp_path: Path,
        open_window: Callable[[str], MainWindow]) -> None:
    participants.add(sqlite_app, actors["cora"], 7)
    view = _audit(open_window("cora"))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    target = tmp_path / "trail.csv"
    dialog = view.export_dialog
    dialog.selectFile(str(target))
    with qtbot.waitSignal(view.runner.done, timeout=10_000):
        press(qtbot, dialog, QDialogButtonBox.StandardButton.Save,
              QDialogButtonBox.StandardButton.Open)
    with target.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == view.model.rowCount()
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert view.status.text() == f"Wrote {len(rows)} audit entries to {target}"


def test_a_role_that_may_not_read_the_trail_gets_a_note_not_an_error(
        open_window: Callable[[str], MainWindow]) -> None:
    window = open_window("phil")
    assert window.findChildren(AuditView) == []
    assert window.audit_label.text() == "Audit trail: not shown to the pharmacist role"
    assert "pharmacist" in tab(window, "Audit").text()


def test_the_tab_shows_password_hashes_as_digests(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    """The hostile test cracked passwords from the trail: the tab shows no hash to crack."""
    window = open_window("cora")
    view = _audit(window)
    qtbot.keyClicks(view.action, "user")
    qtbot.waitUntil(lambda: set(_column(view, 4)) == {"users"}, timeout=5000)
    view.table.selectRow(0)
    detail = view.detail.toPlainText()
    assert "password_hash: sha256:" in detail and "scrypt$" not in detail


def test_changes_read_on_a_laptop_without_scrolling_sideways(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor],
        open_window: Callable[[str], MainWindow]) -> None:
    """At 1024×700 the list fits its width: long cells are cut short with the whole text
    in their tooltip, the time stays whole, the Changes column keeps room; the entry's
    changes and its raw form are one click each."""
    participants.add(sqlite_app, actors["cora"], 7)
    long_note = "phoned in to say the scanner appointment clashes with a family wedding " * 2
    participants.edit(sqlite_app, actors["ivan"], 7, {"notes": long_note}, "phoned in")
    window = open_window("cora")
    window.resize(1024, 700)
    view = _audit(window)
    qtbot.waitUntil(lambda: view.table.viewport().width() > 900)
    header = view.table.horizontalHeader()
    assert header.length() <= view.table.viewport().width()
    assert not view.table.horizontalScrollBar().isVisible()
    changes = header.count() - 1
    assert header.sectionSize(changes) >= 200
    metrics = view.table.fontMetrics()
    assert header.sectionSize(1) >= metrics.horizontalAdvance("2026-12-05 05:13:31")
    first = view.proxy.index(0, changes)
    assert first.data(Qt.ItemDataRole.ToolTipRole) == f"notes: — → {long_note}"
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.table.visualRect(first).center())
    assert f"notes: — → {long_note}" in view.detail.toPlainText()
    qtbot.mouseClick(view.raw_button, Qt.MouseButton.LeftButton)
    assert "Hash:" in view.detail.toPlainText()
    window.resize(1400, 900)  # a wider window: the Changes column takes the room
    qtbot.waitUntil(lambda: view.table.viewport().width() > 1300)
    assert header.length() <= view.table.viewport().width()
    assert header.sectionSize(changes) >= 500
