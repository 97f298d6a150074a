"""The Analysis tab on the unblinded demo: tables per measure, the model's notes and the
scans its quality check left out, as a statistician reads them."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.analysis.analysis_view import AnalysisJob, AnalysisView
from services import demo
from services.context import App

WAIT_FOR_THE_JOB = 290_000  # ms: never the limit, pytest-timeout's 300 s is


def test_the_analysis_tab_says_which_scans_were_left_out_and_why(qtbot: QtBot,
                                                                  sqlite_app: App) -> None:
    stella = demo.build(sqlite_app, "unblinded").actor("statistician")
    view = AnalysisView(sqlite_app, stella)  # starts the analysis job (eight mixed models)
    qtbot.addWidget(view)
    # The job's own completion signal, however long a loaded machine takes (the ceiling
    # is only pytest-timeout's, setup.cfg). Connected before the event loop runs again,
    # so the signal cannot have been missed.
    finished: list[str] = []
    view.runner.done.connect(lambda job: finished.append(type(job).__name__))
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_FOR_THE_JOB)
    assert finished == [AnalysisJob.__name__]
    result = view.result
    assert result is not None, view.waiting.text()
    excluded = result["excluded"]
    assert excluded  # the demo has scans with too much head motion
    text = view.notes.text()
    assert f"{len(excluded)} scan(s) left out" in text
    assert all(f"{e['participant']} period {e['period']} (fd_mean" in text for e in excluded)
    notes = {m["measure"]: m["notes"] for m in result["measures"]}
    for measure, expected in notes.items():
        view.measure.setCurrentText(measure)
        assert all(f"Mixed model: {n}" in view.notes.text() for n in expected)
        assert view.notes.text().count("Mixed model:") == len(expected)
