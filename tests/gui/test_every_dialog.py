"""Every dialog and wizard of the app opens and closes each way a user closes one: its
Close/Cancel button, Escape, and the title bar's X (close()).

A dialog once hid QDialog.done(int) behind a QLabel attribute: Qt calls done() on every
close, so closing it killed the process. The list below must name every QDialog and
QWizard subclass under gui/: a new one fails test_the_list_names_every_dialog until it is
added here, so it is closed all three ways too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QGraphicsWidget,
    QLabel,
    QPushButton,
    QWizard,
)
from pytestqt.qtbot import QtBot

import gui
from services import adverse_events, participants, visits
from services.context import Actor, App
from services.double_entry import PendingRow
from tests.test_visits import enrol

Make = Callable[[App, dict[str, Actor]], QDialog]

# Bases that are never opened themselves: their subclasses below are.
BASES = {"gui.participants.participant_dialogs.ServiceDialog",
         "gui.visits.visit_dialogs.VisitDialog"}


class _Figure:
    """The smallest thing the plot export dialog offers (gui.plots.export.Figure)."""

    figure_title = "A plot"

    def replica(self) -> QGraphicsWidget:
        return QGraphicsWidget()

    def size(self) -> QSizeF:
        return QSizeF(400, 300)


CERTIFICATE = {"study": "REF", "signer": "ivan", "locked_at": "2026-11-01T10:00:00Z",
               "meaning": "lock", "reason": "all data in", "data_digest": "ab" * 32,
               "audit_head": "cd" * 32, "data_unchanged": True, "current_digest": "ab" * 32}


def _participant(app: App, actors: dict[str, Actor]) -> participants.ParticipantRow:
    return participants.list_participants(app, actors["cora"])[0]


def _visit(app: App, actors: dict[str, Actor]) -> visits.VisitRow:
    return visits.list_visits(app, actors["cora"], _participant(app, actors).label)[0]


def _adverse_event(app: App, actors: dict[str, Actor]) -> adverse_events.AeRow:
    return adverse_events.add(app, actors["cora"], _participant(app, actors).label,
                              term="headache", onset=_visit(app, actors).target,
                              severity="mild", serious="no", related="possible")


def _makers() -> dict[str, Make]:
    from gui.accounts.database_password import DatabasePasswordDialog
    from gui.accounts.forms import AccountForm
    from gui.accounts.login_dialog import LoginDialog
    from gui.accounts.manage_dialog import ManageAccountsDialog
    from gui.exports.export_dialog import ExportDialog as DataExportDialog
    from gui.imports.import_wizard import ImportWizard
    from gui.lock.lock_certificate import CertificateDialog
    from gui.lock.signature_dialog import SignatureDialog
    from gui.monitoring.queries_view import RaiseQueryDialog
    from gui.participants.casebook_dialog import CasebookDialog
    from gui.participants.enrol_dialog import EnrolDialog
    from gui.participants.participant_dialogs import (
        AddParticipantDialog,
        EditParticipantDialog,
        WithdrawDialog,
    )
    from gui.plots.export_dialog import ExportDialog as PlotExportDialog
    from gui.randomization.allocation_report import DispensingDialog
    from gui.randomization.allocation_wizard import AllocationWizard
    from gui.randomization.emergency_dialog import EmergencyDialog
    from gui.safety.adverse_events_view import AddAdverseEventDialog, UpdateAdverseEventDialog
    from gui.visits.data_capture_actions import UndoSdvDialog
    from gui.visits.double_entry_dialogs import DoubleEntriesDialog, ResolveDialog
    from gui.visits.entry_dialog import EnterValuesDialog
    from gui.visits.visit_dialogs import BookVisitDialog, LogVisitDialog
    from gui.window.new_study_dialog import NewStudyDialog
    from gui.window.open_database_dialog import OpenDatabaseDialog
    from gui.window.welcome_dialog import WelcomeDialog

    return {
        "gui.accounts.database_password.DatabasePasswordDialog":
            lambda app, a: DatabasePasswordDialog("postgresql://site@db/trial", "no password"),
        "gui.accounts.forms.AccountForm": lambda app, a: AccountForm(
            "Change the password of cora", ("old", "password"), lambda form: None),
        "gui.accounts.manage_dialog.ManageAccountsDialog":
            lambda app, a: ManageAccountsDialog(app, a["admin"]),
        "gui.monitoring.queries_view.RaiseQueryDialog":
            lambda app, a: RaiseQueryDialog(app, a["mona"], _participant(app, a).label),
        "gui.participants.casebook_dialog.CasebookDialog":
            lambda app, a: CasebookDialog(app, a["cora"], _participant(app, a).label),
        "gui.safety.adverse_events_view.AddAdverseEventDialog":
            lambda app, a: AddAdverseEventDialog(app, a["cora"], _participant(app, a).label),
        "gui.safety.adverse_events_view.UpdateAdverseEventDialog":
            lambda app, a: UpdateAdverseEventDialog(app, a["cora"], _adverse_event(app, a)),
        "gui.visits.data_capture_actions.UndoSdvDialog":
            lambda app, a: UndoSdvDialog(app, a["mona"], _visit(app, a)),
        "gui.visits.double_entry_dialogs.DoubleEntriesDialog":
            lambda app, a: DoubleEntriesDialog(app, a["ivan"]),
        "gui.visits.double_entry_dialogs.ResolveDialog": lambda app, a: ResolveDialog(
            app, a["ivan"], PendingRow(_participant(app, a).label, "baseline", "lik_angry_1",
                                       "mismatch", "cora", "2026-01-05T10:00:00Z", "dora",
                                       "3", "4")),
        "gui.visits.entry_dialog.EnterValuesDialog":
            lambda app, a: EnterValuesDialog(app, a["cora"], _visit(app, a)),
        "gui.accounts.login_dialog.LoginDialog": lambda app, a: LoginDialog(app),
        "gui.exports.export_dialog.ExportDialog": lambda app, a: DataExportDialog(app, a["cora"]),
        "gui.imports.import_wizard.ImportWizard": lambda app, a: ImportWizard(app, a["cora"]),
        "gui.lock.lock_certificate.CertificateDialog":
            lambda app, a: CertificateDialog(CERTIFICATE),
        "gui.lock.signature_dialog.SignatureDialog": lambda app, a: SignatureDialog(
            a["ivan"], lambda *args: None, title="Lock the study", meaning="lock",
            explanation="Sign to lock.", button="Lock"),
        "gui.participants.enrol_dialog.EnrolDialog": lambda app, a: EnrolDialog(app, a["cora"]),
        "gui.participants.participant_dialogs.AddParticipantDialog":
            lambda app, a: AddParticipantDialog(app, a["cora"]),
        "gui.participants.participant_dialogs.EditParticipantDialog":
            lambda app, a: EditParticipantDialog(app, a["cora"], _participant(app, a)),
        "gui.participants.participant_dialogs.WithdrawDialog":
            lambda app, a: WithdrawDialog(app, a["cora"], _participant(app, a)),
        "gui.plots.export_dialog.ExportDialog":
            lambda app, a: PlotExportDialog([_Figure()], folder=Path.home()),
        "gui.randomization.allocation_report.DispensingDialog":
            lambda app, a: DispensingDialog(app, a["phil"]),
        "gui.randomization.allocation_wizard.AllocationWizard":
            lambda app, a: AllocationWizard(app, a["rita"]),
        "gui.randomization.emergency_dialog.EmergencyDialog":
            lambda app, a: EmergencyDialog(app, a["ivan"]),
        "gui.visits.visit_dialogs.BookVisitDialog":
            lambda app, a: BookVisitDialog(app, a["cora"], _visit(app, a)),
        "gui.visits.visit_dialogs.LogVisitDialog":
            lambda app, a: LogVisitDialog(app, a["cora"], _visit(app, a)),
        "gui.window.new_study_dialog.NewStudyDialog": lambda app, a: NewStudyDialog(),
        "gui.window.open_database_dialog.OpenDatabaseDialog":
            lambda app, a: OpenDatabaseDialog(),
        "gui.window.welcome_dialog.WelcomeDialog": lambda app, a: WelcomeDialog("No study."),
    }


def _dialog_classes() -> set[str]:
    """Every QDialog subclass (QWizard included) defined in a module under gui/."""
    found = set()
    for module in pkgutil.walk_packages(gui.__path__, "gui."):
        loaded = importlib.import_module(module.name)
        for name, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, QDialog) and cls.__module__ == module.name:
                found.add(f"{module.name}.{name}")
    return found


def test_the_list_names_every_dialog(qtbot: QtBot) -> None:
    assert _dialog_classes() - BASES == set(_makers())


@pytest.fixture
def study(running: tuple[App, dict[str, Actor]]) -> Iterator[tuple[App, dict[str, Actor]]]:
    app, actors = running
    actors = {**actors, "phil": Actor("phil", "pharmacist"), "rita": Actor("rita", "randomizer"),
              "mona": Actor("mona", "monitor"), "admin": Actor("admin", "admin")}
    enrol(app, actors, 1)
    yield app, actors


def _cancel_button(dialog: QDialog) -> QAbstractButton:
    """The button a user closes this dialog with: Cancel, Close or Quit."""
    if isinstance(dialog, QWizard):
        return dialog.button(QWizard.WizardButton.CancelButton)
    for box in dialog.findChildren(QDialogButtonBox):
        for button in box.buttons():
            if box.buttonRole(button) == QDialogButtonBox.ButtonRole.RejectRole:
                return button
    for button in dialog.findChildren(QPushButton):
        if button.text().replace("&", "") in ("Cancel", "Close", "Quit"):
            return button
    raise AssertionError(f"{type(dialog).__name__} has no Close or Cancel button")


def _close(qtbot: QtBot, dialog: QDialog, way: str) -> None:
    if way == "button":
        qtbot.mouseClick(_cancel_button(dialog), Qt.MouseButton.LeftButton)
    elif way == "escape":
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    else:
        dialog.close()  # what the title bar's X does


@pytest.mark.parametrize("way", ["button", "escape", "title bar"])
@pytest.mark.parametrize("name", sorted(_makers()))
def test_every_dialog_closes(qtbot: QtBot, study: tuple[App, dict[str, Actor]],
                             name: str, way: str) -> None:
    app, actors = study
    dialog = _makers()[name](app, actors)
    qtbot.addWidget(dialog)
    finished: list[Any] = []
    dialog.finished.connect(finished.append)
    dialog.open()
    qtbot.waitExposed(dialog)
    _close(qtbot, dialog, way)
    qtbot.waitUntil(lambda: bool(finished))
    assert finished == [QDialog.DialogCode.Rejected]


SHORTCUT = re.compile(r"(?<!&)&(?!&)")  # a single "&": the next letter is Alt+letter


@pytest.mark.parametrize("name", sorted(_makers()))
def test_no_label_shows_its_shortcut_s_ampersand(qtbot: QtBot, study: tuple[App, dict[str, Actor]],
                                                 name: str) -> None:
    """A label's "&" marks the shortcut to its field only if the label has that field as
    buddy; QFormLayout cannot give one to a row whose field is a layout (a path and its
    Browse…), so the export dialogs read "&To:" and "&Size". None may."""
    app, actors = study
    dialog = _makers()[name](app, actors)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    literal = [label.text() for label in dialog.findChildren(QLabel)
               if label.isVisible() and label.buddy() is None
               and not QtGui.Qt.mightBeRichText(label.text()) and SHORTCUT.search(label.text())]
    assert literal == []
    _close(qtbot, dialog, "escape")
