"""The plot views with pytest-qt on SQLite: selection, redraws on kept items, tooltips,
clicks, exports at a chosen size, and blinding in what is exported."""

from __future__ import annotations

import dataclasses
import gc
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QDialogButtonBox, QGraphicsItem, QStyle, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.models import ImportRecord, Observation, Participant
from gui.common.events import events
from gui.plots.export import export_figure
from gui.plots.group_view import GroupView
from gui.plots.measures import LEFT_OUT, LEFT_OUT_SYMBOL
from gui.plots.participant_tab import ParticipantPlotsTab
from gui.plots.timeline import BAND, CANCELLED_BAND, MARKERS
from gui.window.main_window import MainWindow
from services import visits
from services.context import Actor, App
from tests.gui.conftest import press, settled
from tests.lock_helpers import TODAY
from tests.test_plot_data import build_study, condition_words, unblind, value_of

SIZE = (900, 640)
W = TypeVar("W", bound=QWidget)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Actor]]:
    """The study is built once (two scrypt derivations) and copied for each test."""
    path = tmp_path_factory.mktemp("plots") / "study.sqlite"
    app = App(f"sqlite:///{path}")
    actors = build_study(app)
    app.close()
    return path, actors


@pytest.fixture
def sqlite_app(template: tuple[Path, dict[str, Actor]], tmp_path: Path) -> Iterator[App]:
    copy = tmp_path / "study.sqlite"
    shutil.copy(template[0], copy)
    app = App(f"sqlite:///{copy}")
    yield app
    app.close()


@pytest.fixture
def study(template: tuple[Path, dict[str, Actor]]) -> dict[str, Actor]:
    return template[1]


@contextmanager
def shown(widget: W, width: int, height: int) -> Iterator[W]:
    """Show the widget for the test, then delete it at once: a pyqtgraph scene still
    alive when the interpreter exits crashes it (pyqtgraph 0.14 with PySide6 6.12)."""
    widget.resize(width, height)
    widget.show()
    yield widget
    widget.close()
    shiboken6.delete(widget)
    gc.collect()


@pytest.fixture
def tab(qtbot: QtBot, sqlite_app: App, study: dict[str, Actor]) -> Iterator[ParticipantPlotsTab]:
    with shown(ParticipantPlotsTab(sqlite_app, study["cora"]), 1400, 900) as widget:
        yield widget


@pytest.fixture
def group(qtbot: QtBot, sqlite_app: App, study: dict[str, Actor]) -> Iterator[GroupView]:
    with shown(GroupView(sqlite_app, study["cora"]), 1100, 600) as widget:
        widget.refresh()  # what the main window does when the tab is shown
        yield widget


def exported(figure: object, folder: Path, name: str) -> tuple[QImage, str]:
    """PNG and SVG of a figure at SIZE; the SVG's size checked, its text returned."""
    png = export_figure(figure, folder / f"{name}.png", *SIZE)  # type: ignore[arg-type]
    svg = export_figure(figure, folder / f"{name}.svg", *SIZE)  # type: ignore[arg-type]
    text = svg.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert (root.get("width"), root.get("height")) == (str(SIZE[0]), str(SIZE[1]))
    return QImage(str(png)), text


def revealed_words(app: App, text: str) -> list[str]:
    return [w for w in condition_words(app) if w.lower() in text.lower()]


def test_selecting_participants_redraws_the_same_items(tab: ParticipantPlotsTab,
                                                       qtbot: QtBot) -> None:
    panel = tab.panel
    assert panel.stack.currentIndex() == 0 and panel.figures() == []
    tab.select("P001")
    plot = panel.figure.grid.plots["amygdala_threat"]
    items = (plot, plot.points, plot.line, panel.figure.timeline.markers)
    expected = [value_of("P001", v, "amygdala_threat") for v in ("baseline", "dose1", "dose2",
                                                                 "dose3")]
    assert list(plot.points.shown()[1]) == expected
    events().participant_selected.emit("P002")  # chosen elsewhere, e.g. in the register
    assert panel.label == "P002"
    assert tab.proxy.row(tab.table.selectionModel().selectedRows()[0]).label == "P002"
    assert items == (plot, plot.points, plot.line, panel.figure.timeline.markers)
    assert list(plot.points.shown()[0]) == [0, 1, 3]  # dose2 has no value: its marker hidden
    assert list(plot.points.shown()[1]) == [value_of("P002", v, "amygdala_threat")
                                            for v in ("baseline", "dose1", "dose3")]
    assert list(panel.figure.timeline.markers.data["symbol"]).count("x") == 1  # missed


def test_switching_moves_every_kept_plot_to_the_new_participant(tab: ParticipantPlotsTab,
                                                                 sqlite_app: App) -> None:
    panel = tab.panel
    panel.chooser.set_chosen([m.name for m in sqlite_app.protocol.measures])
    tab.select("P001")
    grid = panel.figure.grid
    kept = {p.data[0].measure: (p, p.points, p.line, p.getAxis("left")) for p in grid.shown()}
    tab.select("P002")
    assert {p.data[0].measure: (p, p.points, p.line, p.getAxis("left"))
            for p in grid.shown()} == kept
    for name, (plot, points, line, _) in kept.items():
        values = [value_of("P002", v, name) for v in ("baseline", "dose1", "dose2", "dose3")
                  if v in plot.data[0].visit_ids]
        assert list(points.shown()[1]) == pytest.approx(values), name
        assert list(line.getData()[1]) == pytest.approx(values), name
        low, high = plot.getViewBox().viewRange()[1]  # the value axis follows the values
        assert all(low < v < high for v in values), name


def test_measure_plots_name_the_visits_once_for_all(tab: ParticipantPlotsTab, sqlite_app: App,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tab.panel.chooser.set_chosen([m.name for m in sqlite_app.protocol.measures])
    tab.select("P001")
    visits = [v.label for v in sqlite_app.protocol.visits]  # Baseline fMRI, not baseline
    shown = tab.panel.figure.grid.shown()
    retitled: list[object] = []
    for plot in shown:  # every plot, not only the lowest of a column
        axis = plot.getAxis("bottom")
        assert plot.ticks["bottom"] == list(enumerate(visits))
        assert axis.isVisible() and axis.style["showValues"]
        monkeypatch.setattr(axis, "setTicks", retitled.append)
    before = [p.getViewBox().viewRange()[0] for p in shown]
    for label in ("P002", "P003", "P004", "P001"):
        tab.select(label)
    assert retitled == []  # set when the plot was made, never on a switch
    assert [p.getViewBox().viewRange()[0] for p in shown] == before


def test_a_measure_exported_alone_names_its_kit_codes_or_conditions(
        tab: ParticipantPlotsTab, sqlite_app: App, study: dict[str, Actor]) -> None:
    tab.select("P001")
    codes = {r.visit: r.code for r in visits.list_visits(sqlite_app, study["cora"], 1,
                                                         today=TODAY)}
    plot = tab.panel.figure.grid.plots["amygdala_threat"]
    assert [t for _, t in plot.ticks["bottom"]] == [
        "Baseline fMRI", "Dosing 1", "Dosing 2", "Dosing 3"]
    alone = plot.replica()
    try:
        assert [t for _, t in alone.ticks["bottom"]] == [
            "Baseline fMRI", *(f"Dosing {n}\n{codes[f'dose{n}']}" for n in (1, 2, 3))]
        assert revealed_words(sqlite_app, repr(alone.ticks)) == []
    finally:
        shiboken6.delete(alone)


def test_text_cached_on_screen_stays_text_in_exports(tab: ParticipantPlotsTab,
                                                    tmp_path: Path) -> None:
    tab.select("P001")
    plot = tab.panel.figure.grid.plots["amygdala_threat"]
    assert plot.getAxis("bottom").cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    for i, figure in enumerate((tab.panel.figure, plot)):
        _, svg = exported(figure, tmp_path, f"text{i}")
        texts = [t.strip() for t in re.findall(r">([^<>]+)</text>", svg)]
        assert "Baseline fMRI" in texts
        assert "Amygdala threat reactivity (non-conscious faces)" in texts
        assert "beta" in texts


def test_the_measure_chooser_adds_and_removes_plots(tab: ParticipantPlotsTab) -> None:
    tab.select("P001")
    grid = tab.panel.figure.grid
    kept = grid.plots["amygdala_threat"]
    tab.panel.chooser.set_chosen(["likability_angry", "amygdala_threat"])
    assert [p.data[0].measure for p in grid.shown()] == ["amygdala_threat", "likability_angry"]
    assert grid.plots["amygdala_threat"] is kept  # kept while hidden, redrawn with setData
    tab.panel.chooser.item(0).setCheckState(Qt.CheckState.Unchecked)  # amygdala_threat
    assert [p.data[0].measure for p in grid.shown()] == ["likability_angry"]


def test_tooltips_say_value_visit_date_and_import(tab: ParticipantPlotsTab,
                                                  sqlite_app: App) -> None:
    tab.select("P003")
    points = tab.panel.figure.grid.plots["amygdala_threat"].points
    spot = points.points()[1]
    tip = points.opts["tip"](x=spot.pos().x(), y=spot.pos().y(), data=spot.data())
    dose1 = next(r for r in visits.list_visits(sqlite_app, Actor("cora", "coordinator"), 3,
                                               today=TODAY) if r.visit == "dose1")
    assert f"{value_of('P003', 'dose1', 'amygdala_threat'):.4g} beta" in tip
    assert f"Dosing 1 · {dose1.code}" in tip and dose1.actual.isoformat() in tip
    assert "scans_batch1.csv" in tip


def test_clicking_a_point_asks_for_its_visit(tab: ParticipantPlotsTab, qtbot: QtBot) -> None:
    tab.select("P001")
    tab.panel.view.setMinimumHeight(0)  # all of the figure inside the window
    tab.panel.view.resize(1000, 1200)
    plot = tab.panel.figure.grid.plots["amygdala_threat"]
    qtbot.waitUntil(lambda: plot.getViewBox().width() > 50)
    scene_pos = plot.getViewBox().mapViewToScene(QPointF(2, value_of("P001", "dose2",
                                                                     "amygdala_threat")))
    view = tab.panel.view
    with qtbot.waitSignal(events().visit_requested, timeout=2000) as signal:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.mapFromScene(scene_pos))
    assert signal.args == ["P001", "dose2"]


def test_plots_follow_data_changes(tab: ParticipantPlotsTab, sqlite_app: App,
                                   study: dict[str, Actor]) -> None:
    tab.select("P001")
    plot = tab.panel.figure.grid.plots["sgacc_threat"]
    assert len(plot.points.shown()[1]) == 0 and plot.note.isVisible()
    with sqlite_app.write(study["cora"], "import.scans") as s:
        pid = s.scalar(select(Participant.id).where(Participant.label == "P001"))
        record = ImportRecord(kind="scans", file_name="late.csv", sha256="0" * 64, size=1,
                              format="csv", by="cora")
        s.add(record)
        s.flush()
        s.add(Observation(participant_id=pid, visit="dose1", measure="sgacc_threat",
                          value=0.42, import_id=record.id))
    events().data_changed.emit()
    assert list(plot.points.shown()[1]) == [0.42] and not plot.note.isVisible()


def test_measure_plots_are_made_with_the_first_participant_shown(
        tab: ParticipantPlotsTab) -> None:
    """The tab's first show makes none (nothing to plot yet); measures checked meanwhile
    are the ones made when a participant is chosen."""
    panel = tab.panel
    assert panel.figure.grid.chosen == [] and panel.figure.grid.shown() == []
    panel.chooser.set_chosen(["likability_angry", "amygdala_threat"])
    assert panel.figure.grid.chosen == []
    tab.select("P001")
    assert [p.data[0].measure for p in panel.figure.grid.shown()] == [
        "amygdala_threat", "likability_angry"]


def test_empty_states_say_so(tab: ParticipantPlotsTab) -> None:
    tab.select("P004")
    figure = tab.panel.figure
    assert all(p.note.isVisible() for p in figure.grid.shown())
    assert figure.profile is not None and figure.profile.note.isVisible()
    assert figure.timeline.ticks["left"][:2] == [(0, "Baseline fMRI"),
                                                  (1, "Dosing 1 · no kit yet")]


def test_exports_open_at_the_size_asked_and_hide_conditions_until_unblinding(
        tab: ParticipantPlotsTab, group: GroupView, sqlite_app: App,
        study: dict[str, Actor], tmp_path: Path) -> None:
    tab.select("P001")
    codes = {r.visit: r.code for r in visits.list_visits(sqlite_app, study["cora"], 1,
                                                         today=TODAY)}
    assert len(group.figures()) == 3  # the whole view and one plot per stratum
    for i, figure in enumerate([*tab.panel.figures(), *group.figures()]):
        image, svg = exported(figure, tmp_path, f"blinded{i}")
        assert (image.width(), image.height()) == SIZE and not image.isNull()
        assert revealed_words(sqlite_app, svg) == []
    _, whole = exported(tab.panel.figure, tmp_path, "whole")
    assert "P001" in whole and codes["dose1"] in whole and "Visit timeline" in whole
    unblind(sqlite_app, study)
    events().data_changed.emit()  # what the unblinding view announces
    _, whole = exported(tab.panel.figure, tmp_path, "whole_unblinded")
    assert {"Placebo", "MDMA 80 mg", "MDMA 120 mg"} <= set(revealed_words(sqlite_app, whole))
    image, text = exported(group.figure, tmp_path, "group_unblinded")
    assert not image.isNull() and "Placebo" in text and "MDMA 120 mg" in text
    high = group.figure.plots["NTNA+"]
    assert np.isfinite(high.lines.getData()[1]).sum() > 0  # individual lines only now


def test_export_dialog_writes_the_chosen_plot(tab: ParticipantPlotsTab, qtbot: QtBot,
                                              tmp_path: Path) -> None:
    tab.select("P002")
    qtbot.mouseClick(tab.panel.export_button, Qt.MouseButton.LeftButton)
    dialog = tab.panel.exports.dialog
    assert dialog is not None and dialog.figure.count() == len(tab.panel.figures())
    dialog.figure.setCurrentIndex(1)  # the visit timeline
    dialog.format.setCurrentIndex(dialog.format.findData(".svg"))
    dialog.width_box.setValue(700)
    dialog.height_box.setValue(300)
    dialog.path.setText(str(tmp_path / "timeline"))
    with qtbot.waitSignal(dialog.exported) as signal:
        press(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    root = ET.parse(signal.args[0]).getroot()
    assert signal.args[0].endswith("timeline.svg")
    assert (root.get("width"), root.get("height")) == ("700", "300")
    qtbot.mouseClick(tab.panel.export_button, Qt.MouseButton.LeftButton)
    again = tab.panel.exports.dialog
    again.path.setText(str(tmp_path / "missing" / "dir" / "x.png"))
    press(qtbot, again, QDialogButtonBox.StandardButton.Save)
    assert "not saved" in again.error.text() and again.isVisible()
    press(qtbot, again, QDialogButtonBox.StandardButton.Cancel)
    assert not again.isVisible()


def test_the_main_window_has_both_plot_tabs(qtbot: QtBot, sqlite_app: App,
                                            study: dict[str, Actor]) -> None:
    with shown(MainWindow(sqlite_app, study["ivan"]), 1200, 800) as window:
        settled(qtbot, window)
        titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert {"Participant plots", "Group plots"} <= set(titles)
        assert window.findChild(GroupView) is None  # built when first shown
        window.tabs.setCurrentIndex(titles.index("Group plots"))
        view = window.findChild(GroupView)
        qtbot.waitUntil(lambda: view.figure.data is not None)  # loaded once shown
        assert not view.figure.data.unblinded


def test_void_calls_take_no_reference_from_none() -> None:
    """PySide6 6.12.0 dropped a reference to None on every void call (setup.cfg excludes
    it): pyqtgraph makes thousands per redraw, so None's count reached zero and CPython
    aborted. The installed PySide6 must leave None's count as it found it."""
    probe = QObject()
    probe.setObjectName("warm-up")
    before = sys.getrefcount(None)
    for _ in range(20_000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) > before - 1_000


def test_the_group_plot_says_which_scans_it_leaves_out(group: GroupView, qtbot: QtBot,
                                                       sqlite_app: App) -> None:
    """P003's dose2 scan is above the motion limit: left out, as in the analysis tables."""
    assert group.measure.currentData() == "amygdala_threat"
    assert group.figure.caption.text == "1 scan left out: Mean framewise displacement > 0.5 mm"
    names = [m.name for m in sqlite_app.protocol.measures]
    group.measure.setFocus()
    for _ in range(names.index("subjective_anxiety")):
        qtbot.keyClick(group.measure, Qt.Key.Key_Down)
    assert group.measure.currentData() == "subjective_anxiety"
    assert group.figure.caption.text == ""  # a questionnaire score has no quality check


def test_a_value_on_a_visit_changed_to_missed_is_shown_faded_and_joined_to_none(
        tab: ParticipantPlotsTab, sqlite_app: App, study: dict[str, Actor]) -> None:
    done = next(r for r in visits.list_visits(sqlite_app, study["cora"], 1, today=TODAY)
                if r.visit == "dose2")
    visits.log(sqlite_app, study["cora"], 1, "dose2", date=done.actual, status="missed",
               reason="logged done by mistake", today=TODAY)
    tab.select("P001")
    plot = tab.panel.figure.grid.plots["amygdala_threat"]
    values = [value_of("P001", v, "amygdala_threat") for v in ("baseline", "dose1", "dose2",
                                                               "dose3")]
    assert list(plot.points.shown()[1]) == values  # still shown
    line = plot.line.getData()[1]
    assert np.isnan(line[2]) and list(line[[0, 1, 3]]) == pytest.approx(values[:2] + values[3:])
    brushes = plot.points.data["brush"]
    assert brushes[2].color().alpha() < 255 and brushes[1].color().alpha() == 255


def test_a_clicked_point_opens_its_visit_and_the_participant_carries_over(
        qtbot: QtBot, sqlite_app: App, study: dict[str, Actor]) -> None:
    with shown(MainWindow(sqlite_app, study["cora"]), 1400, 900) as window:
        qtbot.waitUntil(lambda: not window.runner.runs)
        register = window.show_tab("Participants")
        row = register.proxy.mapFromSource(register.model.index(  # type: ignore[attr-defined]
            next(i for i, r in enumerate(register.model.rows)  # type: ignore[attr-defined]
                 if r.label == "P003"), 0))
        qtbot.mouseClick(register.table.viewport(), Qt.MouseButton.LeftButton,  # type: ignore[attr-defined]
                         pos=register.table.visualRect(row).center())  # type: ignore[attr-defined]
        plots = window.show_tab("Participant plots")
        assert isinstance(plots, ParticipantPlotsTab) and plots.panel.label == "P003"
        imports = window.show_tab("Imports")
        assert imports.sources.participant.text() == "P003"  # type: ignore[attr-defined]
        assert imports.sources.rows()  # type: ignore[attr-defined]
        visits_view = window.show_tab("Visits")
        assert visits_view.participant.currentData() == "P003"  # type: ignore[attr-defined]

        window.show_tab("Participant plots")
        plot = plots.panel.figure.grid.plots["amygdala_threat"]
        qtbot.waitUntil(lambda: plot.getViewBox().width() > 50)
        view = plots.panel.view
        scene_pos = plot.getViewBox().mapViewToScene(
            QPointF(1, value_of("P003", "dose1", "amygdala_threat")))
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.mapFromScene(scene_pos))
        assert window.tabs.tabText(window.tabs.currentIndex()) == "Visits"
        assert visits_view.participant.currentData() == "P003"  # type: ignore[attr-defined]
        chosen = visits_view.actions.selected()  # type: ignore[attr-defined]
        assert chosen is not None and (chosen.participant, chosen.visit) == ("P003", "dose1")


@pytest.mark.parametrize("unblinded", [False, True])
def test_a_participant_s_plots_fit_a_laptop_window(qtbot: QtBot, sqlite_app: App,
                                                   study: dict[str, Actor],
                                                   unblinded: bool) -> None:
    """At 1024×700 the figure is as wide as the space beside the lists: no sideways scroll,
    the last dose and the today line inside; the profile and QC plots wrap into rows.
    Unblinded, the conditions' colour key (four entries) wraps too."""
    if unblinded:
        unblind(sqlite_app, study)
    with shown(MainWindow(sqlite_app, study["cora"]), 1024, 700) as window:
        qtbot.waitUntil(lambda: not window.runner.runs)
        tab = window.show_tab("Participant plots")
        assert isinstance(tab, ParticipantPlotsTab)
        row = tab.proxy.mapFromSource(tab.model.index(0, 0))
        qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=tab.table.visualRect(row).center())
        panel = tab.panel
        qtbot.waitUntil(lambda: panel.stack.currentIndex() == 1)
        assert panel.figure.minimum_size().width() <= panel.scroll.viewport().width()
        assert not panel.scroll.horizontalScrollBar().isVisible()
        assert panel.figure.bottom_columns == 1
        timeline = panel.figure.timeline  # every visit's label drawn: pyqtgraph drops one
        image = QImage(8, 8, QImage.Format.Format_ARGB32)  # wider than its axis, silently
        painter = QPainter(image)
        try:
            drawn = [text for _, _, text in timeline.getAxis("left").generateDrawSpecs(
                painter)[2]]
        finally:
            painter.end()
        assert sorted(drawn) == sorted(t for _, t in timeline.ticks["left"])
        assert any(t.startswith("Dosing") for t in drawn)  # labels, not ids
        window.resize(1400, 900)
        qtbot.waitUntil(lambda: panel.figure.bottom_columns == len(panel.figure.bottom_plots()))


def test_timeline_day_numbers_leave_room_for_the_month(tab: ParticipantPlotsTab) -> None:
    tab.select("P001")
    tab.panel.view.grab()  # painted once: the axis knows its font
    axis = tab.panel.figure.timeline.getAxis("bottom")
    for start in range(0, 60, 3):  # windows of a month, wherever they fall
        low = 1_790_000_000 + start * 86400.0
        levels = axis.tickValues(low, low + 30 * 86400.0, 330)
        months = [t for spacing, ticks in levels if spacing >= 28 * 86400 for t in ticks]
        days = [t for spacing, ticks in levels if spacing == 86400 for t in ticks]
        assert all(abs(d - m) >= 2.5 * 86400 for d in days for m in months)


def click_participant(qtbot: QtBot, tab: ParticipantPlotsTab, label: str) -> None:
    """A click on the participant's row of the tab's list, as a coordinator picks one."""
    row = next(i for i in range(tab.proxy.rowCount())
               if tab.proxy.row(tab.proxy.index(i, 0)).label == label)
    rect = tab.table.visualRect(tab.proxy.index(row, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.panel.label == label


def test_a_scan_the_analysis_leaves_out_is_a_cross_explained_by_key_and_tooltip(
        tab: ParticipantPlotsTab, qtbot: QtBot) -> None:
    """P003's dose2 scan failed its motion check: its scan measures are crosses, the key
    says what a cross means, the tooltip why; the questionnaire values are not marked."""
    click_participant(qtbot, tab, "P003")
    grid = tab.panel.figure.grid
    plot = grid.plots["amygdala_threat"]
    symbols = list(plot.points.data["symbol"])
    assert symbols[2] == LEFT_OUT_SYMBOL and LEFT_OUT_SYMBOL not in symbols[:2] + symbols[3:]
    spot = plot.points.points()[2]
    tip = plot.points.opts["tip"](x=spot.pos().x(), y=spot.pos().y(), data=spot.data())
    assert "left out of the analysis: scan quality check failed " \
           "(Mean framewise displacement 0.72 > 0.5 mm)" in tip
    assert LEFT_OUT in [label.text for _, label in grid.key.items]
    click_participant(qtbot, tab, "P001")  # nothing left out: no cross, no key entry
    assert LEFT_OUT_SYMBOL not in list(plot.points.data["symbol"])
    assert LEFT_OUT not in [label.text for _, label in grid.key.items]


def contrast(colour: QColor, alpha: float = 1.0) -> float:
    """WCAG contrast ratio of `colour`, laid over white with `alpha`, against white."""
    def linear(channel: float) -> float:
        c = (255 - alpha * (255 - channel)) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    lum = (0.2126 * linear(colour.red()) + 0.7152 * linear(colour.green())
           + 0.0722 * linear(colour.blue()))
    return 1.05 / (lum + 0.05)


def test_missed_and_cancelled_visits_stand_out_on_white(tab: ParticipantPlotsTab,
                                                        qtbot: QtBot) -> None:
    """A cancelled visit has a marker and a key entry of its own, as a missed one does,
    each dark enough to see on white (WCAG's 3:1 for graphics); its window band is grey."""
    click_participant(qtbot, tab, "P002")  # dose2 missed
    timeline = tab.panel.figure.timeline
    data = timeline.data
    status = (*data.status[:3], "cancelled")
    timeline.set_data(dataclasses.replace(data, status=status))  # as a withdrawal leaves it
    symbols = list(timeline.markers.data["symbol"])
    assert symbols.count("x") == 1 and symbols.count("s") == 1
    keyed = [label.text for _, label in timeline.key.items]
    assert "missed" in keyed and "cancelled" in keyed
    for kind in ("missed", "cancelled"):
        look = MARKERS[kind][1]
        assert contrast(look["pen"].color()) >= 3 and contrast(look["brush"].color()) >= 3
    band = CANCELLED_BAND.color()
    assert contrast(band, band.alphaF()) >= 1.5  # a visible grey, unlike the blue window's
    assert CANCELLED_BAND.color().rgb() != BAND.color().rgb()


def test_measure_names_wrap_instead_of_being_cut(tab: ParticipantPlotsTab,
                                                 qtbot: QtBot) -> None:
    tab.resize(1024, 640)
    qtbot.waitUntil(lambda: tab.width() == 1024)
    chooser = tab.panel.chooser
    metrics = chooser.fontMetrics()
    indicator = chooser.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + 8
    longest = max(range(chooser.count()), key=lambda i: len(chooser.item(i).text()))
    for i in range(chooser.count()):
        text = chooser.item(i).text()
        rect = chooser.visualItemRect(chooser.item(i))
        lines = rect.height() // metrics.lineSpacing()
        shown = min(rect.right(), chooser.viewport().width()) - rect.left()  # not clipped
        assert metrics.horizontalAdvance(text) <= lines * (shown - indicator), text
    assert metrics.horizontalAdvance(chooser.item(longest).text()) > chooser.viewport().width()
