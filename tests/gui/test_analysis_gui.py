"""The Analysis tab on the unblinded demo: tables per measure, the model's notes and the
scans its quality check left out, as a statistician reads them."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.analysis.analysis_view import AnalysisView
from services import demo
from services.context import App


def test_the_analysis_tab_says_which_scans_were_left_out_and_why(qtbot: QtBot,
                                                                  sqlite_app: App) -> None:
    stella = demo.build(sqlite_app, "unblinded").actor("statistician")
    view = AnalysisView(sqlite_app, stella)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.result is not None, timeout=90_000)  # eight mixed models
    result = view.result
    excluded = result["excluded"]
    assert excluded  # the demo has scans with too much head motion
    text = view.notes.text()
    assert f"{len(excluded)} scans left out" in text
    assert all(f"{e['participant']} period {e['period']} (fd_mean" in text for e in excluded)
    notes = {m["measure"]: m["notes"] for m in result["measures"]}
    for measure, expected in notes.items():
        view.measure.setCurrentText(measure)
        assert all(f"Mixed model: {n}" in view.notes.text() for n in expected)
        assert view.notes.text().count("Mixed model:") == len(expected)
