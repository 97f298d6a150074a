"""Lock, unlock, unblind, analyse and export through the window (SQLite; the services are
tested on both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.analysis.analysis_view import AnalysisView
from gui.common.events import events
from gui.lock.lock_view import LockView
from gui.lock.signature_dialog import SignatureDialog
from gui.participants.participants_view import ParticipantsView
from gui.visits.visits_view import VisitsView
from gui.window.main_window import MainWindow
from services import lock, participants, visits
from services.context import App
from tests.gui.conftest import double_click, tab
from tests.lock_helpers import ACTORS, PASSPHRASE, REG, password, ready_app, state

TIMEOUT = 20_000  # password hashing and key derivation are slow on purpose


@pytest.fixture
def app(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    application = ready_app(sqlite_url, tmp_path_factory)
    yield application
    application.close()


def _window(qtbot: QtBot, app: App, name: str) -> MainWindow:
    window = MainWindow(app, ACTORS[name])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.runner.runs, timeout=TIMEOUT)
    return window


def _lock_view(qtbot: QtBot, window: MainWindow) -> LockView:
    view = tab(window, "Lock")
    assert isinstance(view, LockView)
    qtbot.waitUntil(lambda: view.status is not None and not view.runner.runs, timeout=TIMEOUT)
    return view


def _sign(qtbot: QtBot, view: LockView, button: str, user: str, secret: str,
          reason: str = "final", passphrase: str | None = None) -> SignatureDialog:
    """Fill the signature dialog and press its button; returns it once the job is done."""
    dialog = view.dialog
    assert dialog is not None
    dialog.user.setText(user)
    dialog.password.setText(secret)
    if passphrase is not None:
        assert dialog.passphrase is not None
        dialog.passphrase.setText(passphrase)
    dialog.reason.setPlainText(reason)
    assert dialog.ok.text() == button
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    return dialog


def _stage_becomes(qtbot: QtBot, view: LockView, stage: str) -> None:
    qtbot.waitUntil(lambda: view.status is not None and view.status.stage == stage
                    and not view.runner.runs, timeout=TIMEOUT)


def test_sign_and_lock_then_unlock_through_the_window(qtbot: QtBot, app: App,
                                                      tmp_path: Path) -> None:
    window = _window(qtbot, app, "ivan")
    register = tab(window, "Participants")
    assert isinstance(register, ParticipantsView) and register.add_button.isEnabled()
    view = _lock_view(qtbot, window)
    assert view.status is not None and view.status.ready and view.lock_button.isEnabled()
    assert not view.unblind_button.isVisible()  # investigators do not unblind
    qtbot.mouseClick(view.lock_button, Qt.MouseButton.LeftButton)
    assert view.dialog is not None and lock.MEANING in view.dialog.meaning.text()
    before = state(app)
    dialog = view.dialog
    dialog.user.setText("cora")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "signed in as ivan" in dialog.error.text()
    _sign(qtbot, view, "Sign && lock", "ivan", "not-the-password")
    assert "wrong user name or password" in dialog.error.text() and dialog.isVisible()
    assert state(app) == before
    _sign(qtbot, view, "Sign && lock", "ivan", password(ACTORS["ivan"]))
    _stage_becomes(qtbot, view, "locked")
    assert window.stage_label.text() == "Stage: locked"
    assert "Locked by ivan" in view.summary.text()
    tab(window, "Participants")
    register.table.selectRow(0)
    assert not register.add_button.isEnabled() and not register.edit_button.isEnabled()

    view = _lock_view(qtbot, window)
    qtbot.mouseClick(view.certificate_button, Qt.MouseButton.LeftButton)
    certificate = view.certificate_dialog
    assert certificate is not None
    text = certificate.document.toPlainText()
    cert = lock.certificate(app, ACTORS["ivan"])
    assert cert is not None and cert["data_digest"] in text and cert["audit_head"] in text
    assert "I approve the lock of this study" in text and "ivan" in text
    certificate.save_pdf(tmp_path / "certificate.pdf")
    assert (tmp_path / "certificate.pdf").read_bytes().startswith(b"%PDF")
    pdf_text = "".join(p.extract_text() for p in PdfReader(tmp_path / "certificate.pdf").pages)
    assert cert["data_digest"] in pdf_text and cert["audit_head"] in pdf_text  # unwrapped
    certificate.close()

    qtbot.mouseClick(view.unlock_button, Qt.MouseButton.LeftButton)
    assert view.dialog is not None and lock.UNLOCK_MEANING in view.dialog.meaning.text()
    _sign(qtbot, view, "Sign && unlock", "ivan", password(ACTORS["ivan"]), "monitor query")
    _stage_becomes(qtbot, view, "running")
    assert window.stage_label.text() == "Stage: running"
    tab(window, "Participants")
    assert register.add_button.isEnabled()


def test_failing_checks_list_their_records_and_lead_to_them(qtbot: QtBot, app: App) -> None:
    participants.add(app, ACTORS["cora"], 4, stratum="NTNA-", registered_on=REG)
    view = _lock_view(qtbot, _window(qtbot, app, "ivan"))
    visits_item = view.tree.topLevelItem(0)
    assert visits_item.text(0).startswith("✘") and visits_item.isExpanded()
    records = [visits_item.child(i).text(0) for i in range(visits_item.childCount())]
    assert records == ["P004, Baseline fMRI", "P004, Dosing 1", "P004, Dosing 2",
                       "P004, Dosing 3"]  # as people name them; the key in the tooltip
    assert visits_item.child(1).toolTip(0) == "P004/dose1"
    assert view.tree.topLevelItem(3).text(0) == "✔  Every data query closed"
    assert view.tree.topLevelItem(4).text(0) == "✔  Every double data entry complete"
    assert view.tree.topLevelItem(5).text(0) == "✔  Audit chain verified"
    assert not view.lock_button.isEnabled()
    window = view.window()
    assert isinstance(window, MainWindow)
    record = view.tree.visualItemRect(visits_item.child(1)).center()
    double_click(qtbot, view.tree, record)
    visits_view = window.tabs.currentWidget().view  # type: ignore[attr-defined]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Visits"
    assert isinstance(visits_view, VisitsView)
    assert visits_view.participant.currentData() == "P004" == events().participant
    selected = visits_view.actions.selected()
    assert selected is not None and (selected.participant, selected.visit) == ("P004", "dose1")


def test_unblind_then_analyse_and_export_the_tables(qtbot: QtBot, app: App,
                                                    tmp_path: Path) -> None:
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    window = _window(qtbot, app, "stella")
    analysis_view = tab(window, "Analysis")
    assert isinstance(analysis_view, AnalysisView)
    assert "The study is locked" in analysis_view.waiting.text()
    view = _lock_view(qtbot, window)
    assert view.unblind_button.isEnabled() and not view.lock_button.isVisible()
    qtbot.mouseClick(view.unblind_button, Qt.MouseButton.LeftButton)
    dialog = _sign(qtbot, view, "Sign && unblind", "stella", password(ACTORS["stella"]),
                   "analysis plan signed", passphrase="not the passphrase")
    assert "wrong sealing passphrase" in dialog.error.text()
    _sign(qtbot, view, "Sign && unblind", "stella", password(ACTORS["stella"]),
          "analysis plan signed", passphrase=PASSPHRASE)
    _stage_becomes(qtbot, view, "unblinded")
    assert not view.unblind_button.isEnabled() and window.stage_label.text() == \
        "Stage: unblinded"

    tab(window, "Analysis")
    qtbot.waitUntil(lambda: analysis_view.result is not None, timeout=TIMEOUT)
    assert analysis_view.measure.currentData() == "amygdala_threat"
    assert analysis_view.models["cells"].rowCount() == 6
    assert analysis_view.models["contrasts"].rowCount() == 4
    assert analysis_view.stack.currentWidget() is analysis_view.content
    with qtbot.waitSignal(analysis_view.runner.done, timeout=TIMEOUT):
        analysis_view.export_tables(str(tmp_path / "tables.xlsx"))
    assert (tmp_path / "tables.xlsx").exists()
    assert "Tables written to" in analysis_view.saved.text()


def test_export_data_from_the_file_menu(qtbot: QtBot, app: App, tmp_path: Path) -> None:
    window = _window(qtbot, app, "cora")
    window.export_data()
    dialog = window.data_export
    assert dialog is not None and "dose codes only" in dialog.blinding.text()
    dialog.kind.setCurrentIndex(dialog.kind.findData("wide"))
    dialog.path.setText(str(tmp_path / "wide.xlsx"))
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result is not None and dialog.result.rows == 3
    assert "Exported 3 rows (blinded)" in dialog.outcome.text()
    assert (tmp_path / "wide.xlsx").exists()
    dialog.path.setText(str(tmp_path / "missing" / "long.csv"))
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert f"cannot write to {tmp_path / 'missing'}" in dialog.error.text()
    assert not (tmp_path / "missing").exists()


def test_values_on_a_visit_not_done_are_a_warning_that_does_not_block(qtbot: QtBot,
                                                                      app: App) -> None:
    done = next(r for r in visits.list_visits(app, ACTORS["cora"], 2) if r.visit == "dose3")
    visits.log(app, ACTORS["cora"], 2, "dose3", date=done.actual, status="missed",
               reason="logged done by mistake")
    view = _lock_view(qtbot, _window(qtbot, app, "ivan"))
    warning = view.tree.topLevelItem(7)
    assert warning.text(0) == "⚠  No values on visits not done" and warning.isExpanded()
    assert [warning.child(i).text(0) for i in range(warning.childCount())] == [
        "P002, Dosing 3"]
    assert view.lock_button.isEnabled()
    # the note and the message are long: one elided line each, whole in their tooltips
    assert warning.toolTip(1) == warning.text(1) and "never analysed" in warning.toolTip(1)
    assert warning.child(0).toolTip(1) == warning.child(0).text(1) != ""
