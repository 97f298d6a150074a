"""Issue 3 in the window, driven like its users would: the statistician's wizard and report,
the coordinator's enrolment and kit check, the investigator's emergency envelope."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from gui.participants.enrol_dialog import EnrolDialog
from gui.randomization.allocation_report import AllocationReportView
from gui.randomization.allocation_tab import AllocationTab
from gui.randomization.allocation_wizard import AllocationWizard
from gui.randomization.emergency_dialog import EmergencyDialog
from gui.visits.code_check import CodeCheckWidget
from services import participants
from services.context import Actor, App
from tests.allocation_helpers import (
    EMERGENCY,
    PASSPHRASE,
    allocated_study,
    enrol_by_hand,
    register,
)
from tests.conftest import PASSWORDS, make_study
from trialcore import codes

TIMEOUT = 20000  # key derivations are slow on purpose


def _click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _tab(qtbot: QtBot, app: App, actor: Actor) -> AllocationTab:
    tab = AllocationTab(app, actor)
    qtbot.addWidget(tab)
    tab.show()
    return tab


def _button(tab: QWidget, text: str) -> QPushButton:
    return next(b for b in tab.findChildren(QPushButton) if b.text().replace("&", "") == text)


def test_the_tab_offers_each_role_its_own_tasks(qtbot: QtBot, sqlite_app: App) -> None:
    actors = make_study(sqlite_app, ("cora", "ivan", "phil", "stella"))
    texts = {}
    for name in ("cora", "ivan", "phil", "stella"):
        tab = _tab(qtbot, sqlite_app, actors[name])
        texts[name] = sorted(b.text().replace("&", "") for b in tab.findChildren(QPushButton)
                             if b.parent() is tab)
    assert texts == {"cora": ["Enrol participant…"], "ivan": ["Emergency envelope…"],
                     "phil": ["Dispensing list…"],
                     "stella": ["Dispensing list…", "Generate allocation list…"]}


def test_the_wizard_warns_then_generates(qtbot: QtBot, sqlite_app: App) -> None:
    actors = make_study(sqlite_app, ("stella",))
    tab = _tab(qtbot, sqlite_app, actors["stella"])
    _click(qtbot, _button(tab, "Generate allocation list…"))
    wizard = tab.wizard
    assert isinstance(wizard, AllocationWizard) and wizard.isVisible()
    design = wizard.design
    assert "nearest balanced sizes: 6 or 12" in design.warning.text()
    assert "Williams sequences" in design.design.text() and not design.isComplete()
    design.confirm.setChecked(True)
    assert design.isComplete()
    wizard.next()
    page = wizard.passphrases
    qtbot.keyClicks(page.sealing, PASSPHRASE)
    qtbot.keyClicks(page.sealing_again, PASSPHRASE + "x")
    assert "Sealing entries differ" in page.mismatch.text() and not page.isComplete()
    page.sealing_again.setText(PASSPHRASE)
    for edit in (page.emergency, page.emergency_again):
        edit.setText(PASSPHRASE)  # the service refuses the same passphrase twice
    with qtbot.waitSignal(wizard.runner.done, timeout=TIMEOUT):
        wizard.next()
    assert "must differ from the sealing passphrase" in page.error.text()
    assert wizard.currentPage() is page and wizard.made is None
    for edit in (page.emergency, page.emergency_again):
        edit.setText(EMERGENCY)
    with qtbot.waitSignal(wizard.runner.done, timeout=TIMEOUT):
        wizard.next()
    assert wizard.currentPage() is wizard.done_page
    assert wizard.made is not None and wizard.made["dose_codes"] == 72
    assert "now <b>running</b>" in wizard.done_page.summary.text()
    assert all(not e.text() for e in page.edits())


def test_enrol_then_check_kit_codes(qtbot: QtBot, sqlite_app: App) -> None:
    actors = allocated_study(sqlite_app)
    cora = actors["cora"]
    register(sqlite_app, cora, 1, stratum="NTNA-")
    register(sqlite_app, cora, 2)
    tab = _tab(qtbot, sqlite_app, cora)
    _click(qtbot, _button(tab, "Enrol participant…"))
    dialog = tab.dialog
    assert isinstance(dialog, EnrolDialog)
    assert "Proposed: NTNA-" in dialog.proposed.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(dialog.enrolled):
        _click(qtbot, ok)
    given = dialog.result.codes
    assert all(code in dialog.codes.text() for code in given.values())
    assert "slot 1" in dialog.codes.text() and ok.text() == "&Close"
    _click(qtbot, ok)

    _click(qtbot, _button(tab, "Enrol participant…"))
    dialog = tab.dialog
    assert dialog.participant.currentData() == "P002" and "by hand" in dialog.proposed.text()
    dialog.stratum.setCurrentIndex(dialog.stratum.findData("NTNA+"))
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert "needs a reason" in dialog.error.text() and dialog.result is None
    qtbot.keyClicks(dialog.reason, "baseline scan report")
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert dialog.result is not None and dialog.result.stratum == "NTNA+"
    _click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))  # now Close
    assert not dialog.isVisible()

    check = tab.code_check
    assert isinstance(check, CodeCheckWidget)
    check.set_target("P001", "dose2")
    plain = codes.normalize(given["dose2"])
    mistyped = ("4" if plain[0] == "3" else "3") + plain[1:]
    for typed, result in ((given["dose2"], "ok"), (given["dose1"], "wrong kit"),
                          (mistyped, "mistyped")):
        check.code.setText(typed)
        qtbot.keyClick(check.code, Qt.Key.Key_Return)
        assert check.result == result
        assert check.answer.text().startswith(result)
    check.code.setText("ABC")
    _click(qtbot, check.check_button)
    assert check.result is None and "8 characters" in check.answer.text()


def test_emergency_envelope_shows_one_participant(qtbot: QtBot, sqlite_app: App) -> None:
    actors = allocated_study(sqlite_app)
    given = enrol_by_hand(sqlite_app, actors["cora"], 1).codes
    enrol_by_hand(sqlite_app, actors["cora"], 2)
    tab = _tab(qtbot, sqlite_app, actors["ivan"])
    _click(qtbot, _button(tab, "Emergency envelope…"))
    dialog = tab.dialog
    assert isinstance(dialog, EmergencyDialog)
    dialog.passphrase.setText(EMERGENCY)
    dialog.password.setText(PASSWORDS["ivan"])
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        _click(qtbot, dialog.open_button)
    assert "needs a reason" in dialog.error.text() and not dialog.table.isVisible()
    dialog.reason.setPlainText("severe hypertension in the ER")
    dialog.passphrase.setText(EMERGENCY)
    dialog.password.setText(PASSWORDS["ivan"])
    with qtbot.waitSignal(dialog.opened, timeout=TIMEOUT):
        _click(qtbot, dialog.open_button)
    shown = [[dialog.table.item(r, c).text() for c in range(4)] for r in range(3)]
    assert [row[:2] for row in shown] == [list(pair) for pair in given.items()]
    assert {row[2] for row in shown} == {"Placebo", "MDMA 80 mg", "MDMA 120 mg"}
    assert not dialog.passphrase.text() and not dialog.open_button.isEnabled()
    flags = {r.label: r.emergency_unblinded
             for r in participants.list_participants(sqlite_app, actors["ivan"])}
    assert flags == {"P001": True, "P002": False}


def test_report_and_dispensing(qtbot: QtBot, sqlite_app: App, tmp_path: Path) -> None:
    actors = allocated_study(sqlite_app, ("cora", "stella"))
    enrol_by_hand(sqlite_app, actors["cora"], 1)
    tab = _tab(qtbot, sqlite_app, actors["stella"])
    view = tab.report
    assert isinstance(view, AllocationReportView)
    view.passphrase.setText("not the passphrase")
    with qtbot.waitSignal(view.runner.done, timeout=TIMEOUT):
        _click(qtbot, view.show_button)
    assert "wrong sealing passphrase" in view.error.text() and view.report is None
    view.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(view.runner.done, timeout=TIMEOUT):
        qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
    assert [(s["stratum"], s["used"]) for s in view.report["strata"]] == [("NTNA+", 1),
                                                                          ("NTNA-", 0)]
    assert "regenerates from its seed: yes" in view.summary.text()
    tab.refresh()
    assert view.report is None

    _click(qtbot, _button(tab, "Dispensing list…"))
    dialog = tab.dialog
    target = tmp_path / "kits.csv"
    dialog.path.edit.setText(str(target))
    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        dialog.save()
    assert dialog.result is not None and dialog.result["kits"] == 72
    assert target.read_text(encoding="utf-8").startswith("code,stratum,slot,visit")
