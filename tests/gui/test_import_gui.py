"""The import wizard driven like a coordinator would, on SQLite: file → mapping → report →
commit, the work running off the GUI thread."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QPushButton, QWizard
from pytestqt.qtbot import QtBot

from gui.imports.import_tab import ImportsTab
from gui.imports.import_wizard import CommitJob, ImportWizard
from services import imports
from services.context import Actor, App
from services.errors import Refused
from tests.importers.files import write_csv
from tests.importers.helpers import MRIQC, baseline_study, counts, stored

TIMEOUT = 20000
HEADER = ["participant", "visit", "group", "fd_mean", "tsnr", "notes"]


@pytest.fixture
def cora(sqlite_app: App) -> Actor:
    return baseline_study(sqlite_app, [1, 2, 3])["cora"]


def _wizard(qtbot: QtBot, app: App, actor: Actor, path: Path) -> ImportWizard:
    wizard = ImportWizard(app, actor)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.edit.setText(str(path))
    return wizard


def _next(qtbot: QtBot, wizard: ImportWizard, page: object) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is page and not wizard.runner.runs,
                    timeout=TIMEOUT)


def test_the_wizard_maps_drops_checks_and_commits(qtbot: QtBot, sqlite_app: App, cora: Actor,
                                                  tmp_path: Path) -> None:
    path = write_csv(tmp_path / "scans.csv", HEADER, [
        ["P001", "baseline", "A", "0.2", "60", "ok"], ["P002", "baseline", "B", "0.6", "61", ""]])
    wizard = _wizard(qtbot, sqlite_app, cora, path)
    _next(qtbot, wizard, wizard.mapping_page)
    page = wizard.mapping_page
    assert "scans.csv" in page.detected.text() and "csv" in page.detected.text()
    assert [b.text() for b in page.drops] == ["Drop column 'group'"]
    shown = {page.columns.item(r, 0).text(): page.columns.cellWidget(r, 1)
             for r in range(page.columns.rowCount())}
    assert shown["fd_mean"].currentText() == "fd_mean"
    assert shown["notes"].currentText() == "(not imported)"
    page.drops[0].setChecked(True)
    page.save_as.setText("scanner export")
    _next(qtbot, wizard, wizard.report_page)
    report = wizard.report_page
    assert report.problems.model.rowCount() == 1
    assert "above the quality limit" in report.problems.visible_rows()[0].problem.message
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    _next(qtbot, wizard, wizard.done_page)
    assert wizard.result is not None and wizard.result.committed
    assert stored(sqlite_app)[("P002", "baseline", "tsnr")] == 61.0
    assert imports.profiles(sqlite_app, cora, "scans")[0]["name"] == "scanner export"
    record = imports.list_imports(sqlite_app, cora)[0]
    assert record["options"]["dropped_columns"] == ["group"]


def test_the_report_table_sorts_and_filters_and_errors_block_the_commit(
        qtbot: QtBot, sqlite_app: App, cora: Actor, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["participant", "visit", "fd_mean", "tsnr"], [
        ["P009", "baseline", "0.2", "60"], ["P001", "baseline", "abc", "60"],
        ["P002", "week 9", "0.2", "60"]])
    wizard = _wizard(qtbot, sqlite_app, cora, path)
    _next(qtbot, wizard, wizard.mapping_page)
    _next(qtbot, wizard, wizard.report_page)
    view = wizard.report_page.problems
    rows = [(r.problem.row, r.problem.column) for r in view.visible_rows()]
    assert (2, "participant") in rows and (3, "fd_mean") in rows and (4, "visit") in rows
    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    numbers = [r.problem.row or 0 for r in view.visible_rows()]
    assert numbers == sorted(numbers, reverse=True)
    view.search.setText("P009")
    assert [r.problem.row for r in view.visible_rows()] == [2, None]
    view.search.clear()
    view.kind.setCurrentText("warnings")
    assert all(r.kind == "warning" for r in view.visible_rows())
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "nothing was written" in wizard.report_page.summary.text()


def test_an_update_needs_a_reason_before_it_commits(qtbot: QtBot, sqlite_app: App,
                                                    cora: Actor, tmp_path: Path) -> None:
    header = ["participant", "visit", "fd_mean"]
    imports.commit(sqlite_app, cora, imports.ImportOptions(
        "scans", str(write_csv(tmp_path / "a.csv", header, [["P001", "baseline", "0.2"]]))))
    path = write_csv(tmp_path / "b.csv", header, [["P001", "baseline", "0.3"]])
    wizard = _wizard(qtbot, sqlite_app, cora, path)
    _next(qtbot, wizard, wizard.mapping_page)
    _next(qtbot, wizard, wizard.report_page)
    page = wizard.report_page
    assert page.update_box.isVisible() and not page.update_box.isChecked()
    page.update_box.setChecked(True)
    qtbot.waitUntil(lambda: not wizard.runner.runs and wizard.report is not None
                    and wizard.report.options.update, timeout=TIMEOUT)
    assert wizard.report.ok and page.reason.isVisible()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.reason.setText("scanner recalibrated")
    _next(qtbot, wizard, wizard.done_page)
    assert stored(sqlite_app)[("P001", "baseline", "fd_mean")] == 0.3


def test_a_cancelled_commit_writes_nothing(qtbot: QtBot, sqlite_app: App, cora: Actor,
                                           tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["participant", "visit", "fd_mean"],
                     [["P001", "baseline", "0.2"]])
    wizard = _wizard(qtbot, sqlite_app, cora, path)
    report = imports.preview(sqlite_app, cora, "scans", path)
    before = counts(sqlite_app)
    with pytest.raises(Refused, match="cancelled; nothing was written"):
        CommitJob(wizard, report, None).run(lambda *_: None, lambda: True)
    assert counts(sqlite_app) == before


def test_the_imports_tab_lists_records_and_offers_the_wizard_to_coordinators(
        qtbot: QtBot, sqlite_app: App, cora: Actor, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["participant", "visit", "fd_mean"],
                     [["P001", "baseline", "0.2"]])
    imports.commit(sqlite_app, cora, imports.ImportOptions("scans", str(path)))
    tab = ImportsTab(sqlite_app, cora)
    qtbot.addWidget(tab)
    assert [r["file"] for r in tab.rows()] == ["s.csv"]
    [import_button] = [b for b in tab.findChildren(QPushButton) if "Import" in b.text()]
    qtbot.mouseClick(import_button, Qt.MouseButton.LeftButton)
    wizard = tab.wizard
    assert wizard is not None and wizard.isVisible()
    kinds = wizard.file_page.kind
    assert isinstance(kinds, QComboBox) and kinds.count() == 2
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton),
                     Qt.MouseButton.LeftButton)
    assert not wizard.isVisible() and [r["file"] for r in tab.rows()] == ["s.csv"]
    stella = ImportsTab(sqlite_app, Actor("stella", "statistician"))
    qtbot.addWidget(stella)
    assert not [b for b in stella.findChildren(QPushButton) if "Import" in b.text()]


def test_the_imports_tab_shows_where_each_value_of_a_participant_came_from(
        qtbot: QtBot, sqlite_app: App, cora: Actor, tmp_path: Path) -> None:
    scans = write_csv(tmp_path / "s.csv", ["participant", "visit", "fd_mean"],
                      [["P001", "baseline", "0.2"], ["P002", "baseline", "0.3"]])
    imports.commit(sqlite_app, cora, imports.ImportOptions("scans", str(scans)))
    answers = write_csv(tmp_path / "q.csv", ["participant", "visit", "item", "value"],
                        [["P001", "baseline", "anx_1", "4"]])
    imports.commit(sqlite_app, cora, imports.ImportOptions("questionnaire", str(answers)))
    tab = ImportsTab(sqlite_app, cora)
    qtbot.addWidget(tab)
    sources = tab.sources
    qtbot.keyClicks(sources.participant, "1")
    qtbot.keyClick(sources.participant, Qt.Key.Key_Return)
    assert {(r["name"], r["value"], r["file"], r["table"]) for r in sources.rows()} == {
        ("fd_mean", 0.2, "s.csv", "observations"), ("anx_1", 4.0, "q.csv", "item_responses")}
    assert "P001: 2 stored values" in sources.status.text()
    sources.participant.setText("X-1")
    qtbot.keyClick(sources.participant, Qt.Key.Key_Return)
    assert sources.rows() == [] and "X-1" in sources.status.text()


def test_the_real_mriqc_table_through_the_wizard(qtbot: QtBot, sqlite_app: App,
                                                 cora: Actor) -> None:
    wizard = _wizard(qtbot, sqlite_app, cora, MRIQC)
    _next(qtbot, wizard, wizard.mapping_page)
    page = wizard.mapping_page
    assert page.error.isVisible() and "Visit of all rows on the Format and mapping page" in \
        page.error.text() and "--" not in page.error.text()
    assert page.participant.currentText() == "bids_name"
    assert [b.text() for b in page.drops] == ["Drop column 'group'"]
    page.visit.setCurrentText("Baseline fMRI")
    page.drops[0].setChecked(True)
    _next(qtbot, wizard, wizard.report_page)
    report = wizard.report
    assert report is not None and len(report.unknown_participants) == 133
    assert not [e for e in report.errors if e.column == "group"]
    view = wizard.report_page.problems
    view.search.setText("sub-160")
    assert [r.problem.row for r in view.visible_rows()] == [None, 136]
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_wizard_words_hints_by_its_controls_and_imports_only_registered_rows(
        qtbot: QtBot, sqlite_app: App, cora: Actor) -> None:
    wizard = _wizard(qtbot, sqlite_app, cora, MRIQC)
    qtbot.mouseClick(wizard.file_page.only_registered, Qt.MouseButton.LeftButton,
                     pos=wizard.file_page.only_registered.rect().bottomLeft() + QPoint(4, -4))
    assert wizard.file_page.only_registered.isChecked()
    _next(qtbot, wizard, wizard.mapping_page)
    page = wizard.mapping_page
    page.visit.setCurrentText("Baseline fMRI")
    _next(qtbot, wizard, wizard.report_page)
    view = wizard.report_page.problems
    guard = [r for r in view.visible_rows() if r.problem.column == "group"]
    shown = view.model.data(view.model.index(view.model.rows.index(guard[0]), 3))
    assert "tick \u201cDrop column 'group'\u201d on the Format and mapping page" in shown
    assert "--drop-column" not in shown
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is page
    qtbot.mouseClick(page.drops[0], Qt.MouseButton.LeftButton,
                     pos=page.drops[0].rect().bottomLeft() + QPoint(4, -4))
    assert page.drops[0].isChecked()
    _next(qtbot, wizard, wizard.report_page)
    assert wizard.report is not None and wizard.report.ok, wizard.report.errors
    assert wizard.report.skipped_by_reason == {"participant not in the register": 133}
    _next(qtbot, wizard, wizard.done_page)
    assert {k[0] for k in stored(sqlite_app)} == {"P001", "P002"}
    record = imports.list_imports(sqlite_app, cora)[0]
    assert len(record["options"]["skipped_participants"]) == 133


def test_long_column_names_and_messages_are_cut_short_but_never_lost(
        qtbot: QtBot, sqlite_app: App, cora: Actor, tmp_path: Path) -> None:
    """At 1024 pixels, a long file column name and a long problem message each take one
    line of their table, which never scrolls sideways; the name is whole in its tooltip,
    the message under the table once its row is clicked. One row reads '1 row'."""
    long_name = "mean_framewise_displacement_from_the_scanner_console_export_" * 2
    path = write_csv(tmp_path / "long.csv", ["participant", "visit", long_name], [
        ["P009", "baseline", "0.2"]])
    wizard = _wizard(qtbot, sqlite_app, cora, path)
    wizard.resize(1024, 700)
    _next(qtbot, wizard, wizard.mapping_page)
    page = wizard.mapping_page
    assert "1 row." in page.detected.text()
    table = page.columns
    qtbot.waitUntil(lambda: table.viewport().width() > 0 and table.isVisible())
    names = [table.item(r, 0) for r in range(table.rowCount())]
    item = next(i for i in names if i.text() == long_name)
    assert item.toolTip() == long_name
    assert table.horizontalHeader().sectionSize(0) < table.fontMetrics().horizontalAdvance(
        long_name)
    assert table.horizontalHeader().length() <= table.viewport().width()
    combo = table.cellWidget(names.index(item), 1)
    combo.setFocus()
    qtbot.keyClicks(combo, "fd_mean")  # a coordinator maps it
    assert combo.currentText() == "fd_mean"
    _next(qtbot, wizard, wizard.report_page)
    view = wizard.report_page.problems
    assert not view.detail.isVisible()
    header = view.table.horizontalHeader()
    assert header.length() <= view.table.viewport().width()
    row = next(i for i, r in enumerate(view.visible_rows()) if r.problem.row == 2)
    message = view.proxy.index(row, 3)
    assert message.data(Qt.ItemDataRole.ToolTipRole) == message.data()
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.table.visualRect(message).center())
    assert view.detail.isVisible() and view.detail.text() == message.data()
    assert "P009" in view.detail.text()
