"""The dashboard's charts: enrolment over time against the target and the participant
flow, drawn from services.dashboard and exported as SVG or PNG through the export dialog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QTabBar
from pytestqt.qtbot import QtBot

from gui.dashboard.dashboard_view import DashboardView
from services import participants, visits
from services.context import Actor, App
from tests.conftest import make_study
from tests.test_visits import enrol
from trialcore.roles import roles_with


def _page(qtbot: QtBot, view: DashboardView, title: str) -> None:
    bar = view.pages.findChild(QTabBar)
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert view.pages.currentIndex() == index


def test_the_charts_show_the_study_and_export(qtbot: QtBot, running: tuple[App, dict[str, Actor]],
                                              tmp_path: Path) -> None:
    app, actors = running
    for n in (1, 2, 3):
        enrol(app, actors, n, stratum="NTNA-" if n == 2 else "NTNA+")
    view = DashboardView(app, actors["cora"])
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    _page(qtbot, view, "Enrolment over time")
    _, y = view.enrolment_plot.curve.getData()
    assert list(y) == [3, 3] and view.enrolment_plot.target.value() == 16
    _page(qtbot, view, "Participant flow")
    texts = [item.text for item in view.flow.items if hasattr(item, "text")]
    assert "Registered: <b>3</b>" in texts and texts.count("Enrolled: <b>2</b>") == 1
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    dialog = view.exports.dialog
    assert dialog is not None and dialog.figure.currentText() == "Participant flow"
    dialog.path.setText(str(tmp_path / "flow.svg"))
    with qtbot.waitSignal(dialog.exported):
        qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    assert "Registered" in (tmp_path / "flow.svg").read_text(encoding="utf-8")
    _page(qtbot, view, "Enrolment over time")
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    dialog = view.exports.dialog
    assert dialog is not None and dialog.figure.currentText() == "Enrolment over time"
    dialog.path.setText(str(tmp_path / "enrolment.png"))
    with qtbot.waitSignal(dialog.exported):
        qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    assert not QImage(str(tmp_path / "enrolment.png")).isNull()


def test_the_lists_name_visits_by_label_and_fit_a_laptop(
        qtbot: QtBot, running: tuple[App, dict[str, Actor]]) -> None:
    """Deviations and missed visits say 'Dosing 1', not the protocol's internal 'dose1',
    and each list fits its third of a 1024-pixel window: dates and visits whole, the
    reason cut short with its whole text in the tooltip, nothing to scroll sideways."""
    app, actors = running
    codes = enrol(app, actors, 1)
    enrol(app, actors, 2)
    cora = actors["cora"]
    rows = {r.visit: r for r in visits.list_visits(app, cora, 1)}
    visits.log(app, cora, 1, "baseline", date=rows["baseline"].window_start)
    rows = {r.visit: r for r in visits.list_visits(app, cora, 1)}
    reason = "the scanner was down for a whole week after the power cut at the hospital"
    visits.log(app, cora, 1, "dose1", date=rows["dose1"].window_end + dt.timedelta(days=2),
               code=codes["dose1"], deviation_reason=reason)
    view = DashboardView(app, cora)
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    table = view.tables["deviations"]
    qtbot.waitUntil(lambda: table.isVisible())
    model = table.model()
    assert model.index(0, 1).data() == "Dosing 1"
    assert "dose1" not in [model.index(0, c).data() for c in range(model.columnCount())]
    header = table.horizontalHeader()
    for key in ("deviations", "missed", "withdrawals"):
        shown = view.tables[key]
        assert shown.horizontalHeader().length() <= shown.viewport().width()
        assert not shown.horizontalScrollBar().isVisible()
    metrics = table.fontMetrics()
    for column in (1, 2):  # visit and date, whole
        assert header.sectionSize(column) >= metrics.horizontalAdvance(
            model.index(0, column).data())
    assert model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole) == reason


def test_the_next_step_names_the_role_that_makes_the_allocation_list(
        qtbot: QtBot, sqlite_app: App) -> None:
    """Issue 15: before the list exists the dashboard said "the statistician generates" it,
    while the statistician's Randomization tab says it has no randomization tasks: the
    randomizer (the independent statistician) does, the role trialcore.roles allows."""
    actors = make_study(sqlite_app, ("cora", "rita"))
    participants.add(sqlite_app, actors["cora"], 1)
    view = DashboardView(sqlite_app, actors["cora"])
    qtbot.addWidget(view)
    view.show()
    assert roles_with("allocation.generate") == ["randomizer"]
    assert view.next_step.isVisible()
    assert view.next_step.text().startswith("Next step: the randomizer generates the "
                                            "allocation list")
    assert "statistician generates" not in view.next_step.text()
