"""Issue 3 in the window, driven like its users would: the randomizer's wizard and report,
the pharmacist's dispensing list,
the coordinator's enrolment and kit check, the investigator's emergency envelope."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.dashboard.dashboard_view import DashboardView
from gui.lock.lock_view import LockView
from gui.participants.enrol_dialog import EnrolDialog
from gui.randomization.allocation_report import AllocationReportView
from gui.randomization.allocation_tab import AllocationTab
from gui.randomization.allocation_wizard import AllocationWizard
from gui.randomization.emergency_dialog import EmergencyDialog
from gui.visits.code_check import CodeCheckWidget
from services import accounts, allocation, audit_trail, enrolment, participants, unblinding
from services.context import Actor, App
from tests.allocation_helpers import (
    DISPENSING,
    EMERGENCY,
    PASSPHRASE,
    REGISTERED,
    allocated_study,
    enrol_by_hand,
    register,
)
from tests.conftest import PASSWORDS, ROLES, make_study
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
    actors = make_study(sqlite_app, ("cora", "ivan", "phil", "stella", "rita", "mona"))
    texts = {}
    for name in ("cora", "ivan", "phil", "stella", "rita", "mona"):
        tab = _tab(qtbot, sqlite_app, actors[name])
        texts[name] = sorted(b.text().replace("&", "") for b in tab.findChildren(QPushButton)
                             if b.parent() is tab)
    assert texts == {"cora": ["Enrol participant…"], "ivan": ["Emergency envelope…"],
                     "phil": ["Dispensing list…"], "rita": ["Generate allocation list…"],
                     "stella": [], "mona": []}  # the blinded statistician and monitor: none

    tab = _tab(qtbot, sqlite_app, actors["phil"])  # what each task is for, beside it
    said = [label.text() for label in tab.findChildren(QLabel)]
    assert any(t.startswith("Print the list of kit codes") for t in said)
    assert tab.list_state.text().startswith("Not made yet: the randomizer generates it")


def test_the_pharmacist_sees_the_list_s_slots_and_kits(qtbot: QtBot, sqlite_app: App) -> None:
    actors = allocated_study(sqlite_app, ("cora", "phil"))
    enrol_by_hand(sqlite_app, actors["cora"], 1)
    tab = _tab(qtbot, sqlite_app, actors["phil"])
    slots = sqlite_app.protocol.slots_per_stratum
    assert tab.list_state.text().splitlines()[1:] == [
        f"NTNA+: 1 slot used, {slots - 1} free ({3 * (slots - 1)} kits still to give, "
        "3 per participant)",
        f"NTNA-: 0 slots used, {slots} free ({3 * slots} kits still to give, 3 per "
        "participant)"]


def test_the_wizard_warns_then_generates(qtbot: QtBot, sqlite_app: App) -> None:
    actors = make_study(sqlite_app, ("rita",))
    tab = _tab(qtbot, sqlite_app, actors["rita"])
    _click(qtbot, _button(tab, "Generate allocation list…"))
    wizard = tab.wizard
    assert isinstance(wizard, AllocationWizard) and wizard.isVisible()
    design = wizard.design
    assert design.subTitle() == "Made once, before the first enrolment."  # never cut
    assert "sealed under your passphrase" in design.sealing.text()
    assert "nearest balanced sizes: 6 or 12" in design.warning.text()
    assert "Williams sequences" in design.design.text() and not design.isComplete()
    labels = [v.label for v in sqlite_app.protocol.dosing_visits]  # Dosing 1, not dose1
    assert f"dosing visits {', '.join(labels)}." in design.design.text()
    assert not any(v.id in design.design.text() for v in sqlite_app.protocol.dosing_visits)
    assert all(f"{v.label} ({v.id})" in design.design.toolTip()
               for v in sqlite_app.protocol.dosing_visits)
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
    qtbot.keyClicks(page.dispensing, "1111111111")  # the pharmacist types their own
    qtbot.keyClicks(page.dispensing_again, "1111111111")
    with qtbot.waitSignal(wizard.runner.done, timeout=TIMEOUT):
        wizard.next()
    assert "dispensing passphrase is refused" in page.error.text()
    for edit in (page.dispensing, page.dispensing_again):
        edit.setText(DISPENSING)
    with qtbot.waitSignal(wizard.runner.done, timeout=TIMEOUT):
        wizard.next()
    assert wizard.currentPage() is wizard.done_page
    assert wizard.made is not None and wizard.made["dose_codes"] == 72
    assert wizard.made["dispensing_copy"] is True
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
    check = tab.code_check
    assert isinstance(check, CodeCheckWidget)
    assert _items(check.participant) == ["P001"]  # the enrolled only: P002 is registered

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
    assert _items(check.participant) == ["P001", "P002"]  # re-read once the dialog closed
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
    assert [row[:2] for row in shown] == [[label, given[visit]] for visit, label in
                                          (("dose1", "Dosing 1"), ("dose2", "Dosing 2"),
                                           ("dose3", "Dosing 3"))]  # the visits' labels
    assert {row[2] for row in shown} == {"Placebo", "MDMA 80 mg", "MDMA 120 mg"}
    assert not dialog.passphrase.text() and not dialog.open_button.isEnabled()
    flags = {r.label: r.emergency_unblinded
             for r in participants.list_participants(sqlite_app, actors["ivan"])}
    assert flags == {"P001": True, "P002": False}


def test_report_and_dispensing(qtbot: QtBot, sqlite_app: App, tmp_path: Path) -> None:
    actors = allocated_study(sqlite_app, ("cora", "phil"))
    enrol_by_hand(sqlite_app, actors["cora"], 1)
    tab = _tab(qtbot, sqlite_app, actors["rita"])
    view = tab.report
    assert isinstance(view, AllocationReportView)
    view.passphrase.setText("not the passphrase")
    with qtbot.waitSignal(view.runner.done, timeout=TIMEOUT):
        _click(qtbot, view.show_button)
    assert "wrong sealing passphrase" in view.error.text() and view.report is None
    view.passphrase.setText(PASSPHRASE)
    qtbot.keyClicks(view.reason, "balance after first enrolment")
    with qtbot.waitSignal(view.runner.done, timeout=TIMEOUT):
        qtbot.keyClick(view.passphrase, Qt.Key.Key_Return)
    last = audit_trail.entries(sqlite_app, actors["cora"], audit_trail.AuditFilter(limit=1))
    assert (last[0]["action"], last[0]["reason"]) == ("allocation.report",
                                                      "balance after first enrolment")
    assert [(s["stratum"], s["used"]) for s in view.report["strata"]] == [("NTNA+", 1),
                                                                          ("NTNA-", 0)]
    assert "regenerates from its seed: yes" in view.summary.text()
    tables = view.area.widget().findChildren(QTableWidget)
    assert len(tables) == 8  # per stratum, all and used slots: periods and carry-over
    for periods, carryover in zip(tables[::2], tables[1::2], strict=True):
        heads = [periods.horizontalHeaderItem(c).text() for c in range(periods.columnCount())]
        assert [carryover.horizontalHeaderItem(c).text()
                for c in range(carryover.columnCount())] == heads  # in the periods' order
        assert [carryover.verticalHeaderItem(r).text()
                for r in range(carryover.rowCount())] == [f"after {h}" for h in heads]
        for table in (periods, carryover):  # shown whole, never clipped
            assert table.height() >= table.horizontalHeader().height() + \
                table.verticalHeader().length()
            assert table.width() >= table.verticalHeader().width() + \
                table.horizontalHeader().length()
    tab.refresh()
    assert view.report is None

    tab = _tab(qtbot, sqlite_app, actors["phil"])
    _click(qtbot, _button(tab, "Dispensing list…"))
    dialog = tab.dialog
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    target = tmp_path / "kits.csv"
    dialog.path.edit.setText(str(target))
    qtbot.keyClicks(dialog.passphrase, DISPENSING)
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        _click(qtbot, save)
    assert "needs a reason" in dialog.error.text() and not target.exists()
    qtbot.keyClicks(dialog.reason, "kits for the first shipment")
    qtbot.keyClicks(dialog.passphrase, DISPENSING)
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        _click(qtbot, save)
    assert dialog.result is not None and dialog.result["kits"] == 72
    assert target.read_text(encoding="utf-8").startswith("code,stratum,slot,visit")
    target.write_text("kept", encoding="utf-8")
    qtbot.keyClicks(dialog.passphrase, DISPENSING)
    _click(qtbot, save)  # asks before replacing the file
    assert "already exists: press Save again" in dialog.error.text()
    assert target.read_text(encoding="utf-8") == "kept"
    with qtbot.waitSignal(dialog.runner.done, timeout=TIMEOUT):
        _click(qtbot, save)
    assert target.read_text(encoding="utf-8").startswith("code,stratum,slot,visit")


def test_enrolling_past_a_target_is_warned_confirmed_then_shown_red(qtbot: QtBot,
                                                                     sqlite_app: App) -> None:
    actors = allocated_study(sqlite_app)
    cora = actors["cora"]
    target = sqlite_app.protocol.stratum_targets["NTNA+"]
    for n in range(1, target + 1):
        enrol_by_hand(sqlite_app, cora, n)
    register(sqlite_app, cora, 20, stratum="NTNA+")
    tab = _tab(qtbot, sqlite_app, cora)
    _click(qtbot, _button(tab, "Enrol participant…"))
    dialog = tab.dialog
    assert isinstance(dialog, EnrolDialog)
    assert dialog.full.isVisible() and f"{target} of {target} enrolled" in dialog.full.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    _click(qtbot, ok)
    box = dialog.confirm
    assert box is not None and box.isVisible() and "Enrol all the same?" in box.text()
    _click(qtbot, box.button(QMessageBox.StandardButton.Cancel))
    assert dialog.result is None and dialog.isVisible()
    _click(qtbot, ok)
    with qtbot.waitSignal(dialog.enrolled):
        _click(qtbot, dialog.anyway)
    assert dialog.result is not None and dialog.result.stratum == "NTNA+"
    _click(qtbot, ok)

    view = DashboardView(sqlite_app, cora)
    qtbot.addWidget(view)
    bars = [view.enrolment.itemAtPosition(i, 1).widget() for i in range(2)]
    assert isinstance(bars[0], QProgressBar)
    assert bars[0].text() == f"{target + 1} of {target} — 1 over target"
    assert "#b3261e" in bars[0].styleSheet() and not bars[1].styleSheet()


def test_tasks_that_cannot_work_yet_are_disabled_and_say_why(qtbot: QtBot,
                                                              sqlite_app: App) -> None:
    """Before the list: enrol, dispensing and the envelope are shown but disabled, their
    tooltip naming the window's button that comes first; once someone is enrolled,
    Generate is disabled with its reason. Each role reads the stage and its own part."""
    actors = make_study(sqlite_app, ("cora", "ivan", "phil", "rita"))
    register(sqlite_app, actors["cora"], 1, stratum="NTNA+")
    for name, task in (("cora", "Enrol participant…"), ("ivan", "Emergency envelope…"),
                       ("phil", "Dispensing list…")):
        tab = _tab(qtbot, sqlite_app, actors[name])
        assert tab.stage_words.text().startswith("The study is being set up: there is no "
                                                 "allocation list yet")
        button = _button(tab, task)
        assert button.isVisible() and not button.isEnabled()
        assert button.toolTip() == ("There is no allocation list yet: the randomizer "
                                    "generates it first (Generate allocation list…).")
        _click(qtbot, button)
        assert tab.dialog is None  # nothing opens into a refusal
        assert tab.steps.isVisible() and tab.steps.text().count("\n") == 2  # three steps
        if tab.code_box is not None:  # no kit codes to check yet
            assert not tab.code_box.isEnabled() and "Kit codes come with it" in \
                tab.code_box.toolTip()
    rita = _tab(qtbot, sqlite_app, actors["rita"])
    assert _button(rita, "Generate allocation list…").isEnabled()

    allocation.generate(sqlite_app, actors["rita"], PASSPHRASE, EMERGENCY,
                        dispensing_passphrase=DISPENSING, confirm_unbalanced=True)
    rita = _tab(qtbot, sqlite_app, actors["rita"])
    generate = _button(rita, "Generate allocation list…")
    assert generate.isEnabled()  # nobody enrolled: it may still be replaced on purpose
    enrolment.enrol(sqlite_app, actors["cora"], 1, stratum="NTNA+", reason="scan report",
                    on=REGISTERED)
    rita.refresh()  # as when the tab is shown again
    assert not generate.isEnabled()
    assert generate.toolTip() == ("1 participant is enrolled: the allocation list is in use "
                                  "and can never be replaced or extended.")
    _click(qtbot, generate)
    assert rita.wizard is None
    phil = _tab(qtbot, sqlite_app, actors["phil"])
    assert phil.stage_words.text().startswith("The study is running")
    assert _button(phil, "Dispensing list…").isEnabled()
    assert "Dispensing list…" in phil.steps.text()
    ivan = _tab(qtbot, sqlite_app, actors["ivan"])
    assert ivan.code_box is not None and ivan.code_box.isEnabled()
    assert _button(ivan, "Emergency envelope…").isEnabled()


def test_the_dashboard_says_the_next_step_and_flags_opened_envelopes(qtbot: QtBot,
                                                                      sqlite_app: App) -> None:
    actors = make_study(sqlite_app, ("cora",))
    view = DashboardView(sqlite_app, actors["cora"])
    qtbot.addWidget(view)
    view.resize(1024, 700)
    view.show()
    assert "register the first participants (Participants tab → Add…)" in view.next_step.text()
    assert view.next_step.isVisible() and not view.emergency.isVisible()
    assert all(t.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
               for t in view.tables.values())

    for name in ("ivan", "rita"):
        accounts.add_user(sqlite_app, actors["admin"], name, ROLES[name], PASSWORDS[name])
        actors[name] = Actor(name, ROLES[name])
    allocation.generate(sqlite_app, actors["rita"], PASSPHRASE, EMERGENCY,
                        confirm_unbalanced=True)
    enrol_by_hand(sqlite_app, actors["cora"], 1)
    unblinding.emergency(sqlite_app, actors["ivan"], "P001", "suspected serotonin syndrome",
                         EMERGENCY, PASSWORDS["ivan"])
    view.refresh()
    assert not view.next_step.isVisible()
    assert view.emergency.isVisible() and "opened for P001" in view.emergency.text()

    checklist = LockView(sqlite_app, actors["ivan"])  # the signer is told too
    qtbot.addWidget(checklist)
    checklist.show()
    qtbot.waitUntil(lambda: checklist.status is not None and not checklist.runner.runs,
                    timeout=TIMEOUT)
    items = [checklist.tree.topLevelItem(i) for i in range(checklist.tree.topLevelItemCount())]
    flag = next(i for i in items if i.text(0).endswith("Emergency unblindings"))
    assert "emergency envelope opened for P001" in flag.text(1)


def _overlaps(dialog: QWidget) -> list[tuple[str, str]]:
    """Pairs of the dialog's visible labels and fields whose areas intersect."""
    shown = [w for w in dialog.findChildren(QWidget)
             if w.isVisible() and w.parentWidget() is dialog and w.width() and w.height()]
    return [(type(a).__name__ + ":" + getattr(a, "text", lambda: "")()[:30],
             type(b).__name__ + ":" + getattr(b, "text", lambda: "")()[:30])
            for i, a in enumerate(shown) for b in shown[i + 1:]
            if a.geometry().intersects(b.geometry())]


def test_the_enrol_dialog_s_long_notes_wrap_without_covering_its_fields(
        qtbot: QtBot, sqlite_app: App) -> None:
    actors = allocated_study(sqlite_app)
    cora = actors["cora"]
    for n in range(1, sqlite_app.protocol.stratum_targets["NTNA+"] + 1):
        enrol_by_hand(sqlite_app, cora, n)
    register(sqlite_app, cora, 20)  # no baseline value: the longest proposal note
    tab = _tab(qtbot, sqlite_app, cora)
    _click(qtbot, _button(tab, "Enrol participant…"))
    dialog = tab.dialog
    assert isinstance(dialog, EnrolDialog)
    dialog.stratum.setFocus()
    qtbot.keyClick(dialog.stratum, Qt.Key.Key_Down)  # NTNA+, whose target is reached
    assert dialog.stratum.currentData() == "NTNA+"
    qtbot.waitUntil(lambda: dialog.full.isVisible() and dialog.proposed.isVisible())
    assert "choose the stratum by hand" in dialog.proposed.text()
    for width in (dialog.minimumWidth(), 900):
        dialog.resize(width, dialog.sizeHint().height())
        qtbot.waitUntil(lambda w=width: dialog.width() == w)
        assert _overlaps(dialog) == []
        for note in (dialog.proposed, dialog.full):  # wrapped whole, never cut
            assert note.height() >= note.heightForWidth(note.width())
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def _items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]
