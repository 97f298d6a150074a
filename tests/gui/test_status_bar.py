"""The status bar follows the study: the stage as soon as the allocation wizard says the
study is running, and the audit trail's length as it grows after the last verification."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWizard
from pytestqt.qtbot import QtBot

from gui.randomization.allocation_tab import AllocationTab
from gui.window.main_window import MainWindow
from services.context import App
from tests.allocation_helpers import EMERGENCY, PASSPHRASE
from tests.conftest import make_study

TIMEOUT = 20000  # key derivations are slow on purpose


def test_the_bar_follows_the_allocation_wizard(qtbot: QtBot, sqlite_app: App) -> None:
    """The randomizer runs the wizard; their bar and a coordinator's open window both
    follow (the randomizer may not read the trail, so only the coordinator's counts)."""
    actors = make_study(sqlite_app, ("rita", "cora"))
    coordinator = MainWindow(sqlite_app, actors["cora"])
    qtbot.addWidget(coordinator)
    coordinator.show()
    qtbot.waitUntil(lambda: not coordinator.runner.runs, timeout=TIMEOUT)
    verified = coordinator.audit_label.text()
    assert verified.startswith("Audit trail verified (") and "since" not in verified
    window = MainWindow(sqlite_app, actors["rita"])
    qtbot.addWidget(window)
    window.show()
    assert window.stage_label.text() == "Stage: setup"
    assert window.audit_label.text() == "Audit trail: not shown to the randomizer role"

    tab = window.show_tab("Randomization")
    assert isinstance(tab, AllocationTab)
    generate = next(b for b in tab.findChildren(QPushButton)
                    if b.text() == "&Generate allocation list…")
    qtbot.mouseClick(generate, Qt.MouseButton.LeftButton)
    wizard = tab.wizard
    assert wizard is not None
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.mouseClick(wizard.design.confirm, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    page = wizard.passphrases
    for edit, text in ((page.sealing, PASSPHRASE), (page.sealing_again, PASSPHRASE),
                       (page.emergency, EMERGENCY), (page.emergency_again, EMERGENCY)):
        qtbot.keyClicks(edit, text)
    with qtbot.waitSignal(wizard.runner.done, timeout=TIMEOUT):
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.done_page and wizard.isVisible()
    assert window.stage_label.text() == "Stage: running"
    assert coordinator.stage_label.text() == "Stage: running"
    assert coordinator.audit_label.text().startswith(verified.removesuffix(" entries)"))
    assert "written since)" in coordinator.audit_label.text()
