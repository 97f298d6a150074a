"""The Analysis tab on the unblinded demo: tables per measure in the protocol's words, the
model's notes in plain words, the scans its quality check left out, and the forest plot,
as a statistician reads them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from gui.analysis.analysis_view import AnalysisJob, AnalysisView, plain_note
from services import demo
from services.context import App

WAIT_FOR_THE_JOB = 290_000  # ms: never the limit, pytest-timeout's 300 s is


def test_the_analysis_tab_speaks_the_protocol_s_words_and_draws_a_forest_plot(
        qtbot: QtBot, sqlite_app: App, tmp_path: Path) -> None:
    stella = demo.build(sqlite_app, "unblinded").actor("statistician")
    view = AnalysisView(sqlite_app, stella)  # starts the analysis job (eight mixed models)
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
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
    assert f"{len(excluded)} scans left out" in text
    motion = sqlite_app.protocol.measure("fd_mean")
    assert motion is not None
    assert all(f"{e['participant']} period {e['period']} ({motion.label} {e['value']:g} > "
               f"{e['limit']:g} {motion.unit})" in text for e in excluded)
    assert "fd_mean" not in text  # the measure's label, not its internal name

    first = sqlite_app.protocol.measure(view.measure.currentData())
    assert first is not None and view.measure.currentText() == first.label != first.name
    cells = [view.models["cells"].rows[i]["condition"] for i in range(3)]
    assert cells == [c.label for c in sqlite_app.protocol.conditions]
    table = view.tables["cells"]  # on a laptop, every row of the table shows (not four)
    last = table.model().rowCount() - 1
    assert last >= 5 and table.isVisible()
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()
    differences = {r["difference"] for r in view.models["contrasts"].rows}
    assert "MDMA 120 mg − Placebo" in differences
    terms = " ".join(r["term"] for r in view.models["mixed_model"].rows)
    assert "[" not in terms and "PBO" not in terms and "MDMA 80 mg" in terms
    contrasts = view.models["contrasts"].rows
    assert view.forest.ticks["left"] == [(float(len(contrasts) - i),
                                          f"{r['stratum']}: {r['difference']}")
                                         for i, r in enumerate(contrasts)]
    view.pages.setCurrentIndex(view.pages.indexOf(view.forest_view))
    assert view.pages.tabText(view.pages.currentIndex()) == "Forest plot"
    qtbot.mouseClick(view.plot_button, Qt.MouseButton.LeftButton)
    dialog = view.exports.dialog
    assert dialog is not None and dialog.figure.currentText() == "Forest plot"
    dialog.path.setText(str(tmp_path / "forest.png"))
    with qtbot.waitSignal(dialog.exported):
        qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    assert not QImage(str(tmp_path / "forest.png")).isNull()

    notes = {m["measure"]: m["notes"] for m in result["measures"]}
    for measure, expected in notes.items():
        view.measure.setCurrentIndex(view.measure.findData(measure))
        assert all(f"Mixed model: {plain_note(n)}" in view.notes.text() for n in expected)
        assert "Warning:" not in view.notes.text()
        assert view.notes.text().count("Mixed model:") == len(expected)
        # a statistician's reader sees no optimiser names or log-likelihoods; the notes
        # as fitted stay one hover away
        for jargon in ("REML", "log-likelihood", "powell", "lbfgs", "Singular matrix"):
            assert jargon not in view.notes.text()
        assert all(n in view.notes.toolTip() for n in expected)


def test_model_notes_from_the_fitting_in_plain_words() -> None:
    """Every note trialcore.statistics writes has plain words (none is shown as written)."""
    written = ["lbfgs fit failed: Singular matrix",
               "fitted by powell: the highest REML log-likelihood (-0.30302) of the "
               "converged optimisers",
               "no optimiser converged; the cg fit is shown",
               "too few observations (3) for the mixed model",
               "2 value(s) without a period left out of the model",
               "not estimable from these data, left out: condition[T.MDMA80]:stratum[high]"]
    for note in written:
        words = plain_note(note)
        assert words != note and "[" not in words and "optimiser" not in words, note


def test_model_notes_in_plain_words() -> None:
    assert plain_note("ConvergenceWarning: The MLE may be on the boundary of the parameter "
                      "space.").startswith("Participants barely differ")
    assert plain_note("UserWarning: something new") == "something new"
