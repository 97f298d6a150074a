"""The Analysis tab: for each measure, the cells, the paired contrasts with their forest
plot, and the mixed model.

It runs (off the GUI thread) once the study is unblinded, for statisticians and
investigators; the tables export to CSV or XLSX through services.analysis, the forest
plot to PNG or SVG like the other plots. Measures and conditions are shown by their
protocol labels, model terms and the fitting's notes in plain words; the exported
tables keep the internal names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.table_model import Column, RowTableModel
from gui.common.widgets import placeholder, row_table
from services.context import Actor, App
from services.study import stage
from trialcore.roles import allowed
from trialcore.wording import counted

if TYPE_CHECKING:
    from gui.analysis.forest import ForestPlot
    from gui.plots.export import Figure


def _num(key: str, digits: int = 3) -> Callable[[dict[str, Any]], str]:
    return lambda row: "" if row[key] is None else f"{row[key]:.{digits}f}"


def _text(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: str(row[key])


def _value(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row[key]


TABLES: dict[str, tuple[str, list[Column]]] = {
    "cells": ("Means per stratum and condition", [
        Column("Stratum", _text("stratum")), Column("Condition", _text("condition")),
        Column("Mean", _num("mean"), _value("mean")), Column("SD", _num("sd"), _value("sd")),
        Column("n", _text("n"), _value("n"))]),
    "contrasts": ("Paired differences against the reference (95% CI)", [
        Column("Stratum", _text("stratum")),
        Column("Difference", _text("difference")),
        Column("Mean diff.", _num("diff"), _value("diff")),
        Column("CI low", _num("ci_low"), _value("ci_low")),
        Column("CI high", _num("ci_high"), _value("ci_high")),
        Column("p", _num("p", 4), _value("p"))]),
    "mixed_model": ("Mixed model: condition × stratum + period, random intercept", [
        Column("Term", _text("term")), Column("Estimate", _num("estimate"), _value("estimate")),
        Column("SE", _num("se"), _value("se")), Column("p", _num("p", 4), _value("p"))]),
}


# What the model fitting says (trialcore.statistics words it for the record), in words a
# reader of the tables can act on; the original stays in the notes' tooltip.
PLAIN_NOTES = (
    ("fitted by", "The model fitted: of the fitting methods that reached a stable answer, "
                  "the one that fits the data best is shown."),
    ("fit failed", "One fitting method could not use these data; another fitted the "
                   "model."),
    ("no optimiser converged", "No fitting method reached a stable answer: the estimates "
                               "shown are uncertain."),
    ("covariance is singular", "The participants' random intercepts have a variance of "
                               "(almost) zero: the model is close to one without them."),
    ("on the boundary", "Participants barely differ from each other beyond the conditions "
                        "(a variance of zero): read the p-values with care."),
    ("failed to converge", "The model did not reach a stable answer: its estimates are "
                           "uncertain."),
    ("too few observations", "Too few values to fit the mixed model."),
    ("without a period", "Values with no period were left out of the model."),
    ("not estimable", "Some terms cannot be estimated from these data (a combination "
                      "without values) and were left out of the model."),
)
TERM = re.compile(r"(\w+)\[(?:T\.)?([^\]]+)\]")


def plain_note(note: str) -> str:
    """A model note in plain words; one not recognized is kept, without its warning class."""
    for phrase, words in PLAIN_NOTES:
        if phrase in note:
            return words
    return re.sub(r"^\w+Warning: ", "", note)


def with_labels(m: dict[str, Any], conditions: dict[str, str]) -> dict[str, Any]:
    """A measure's tables with condition labels for codes and model terms in words."""
    def label(code: str) -> str:
        return conditions.get(code, code)

    def term(text: str) -> str:
        named = TERM.sub(lambda t: label(t[2]) if t[1] == "condition" else f"{t[1]} {t[2]}",
                         text)
        return named.replace(":", " × ")

    return {
        **m,
        "cells": [{**r, "condition": label(r["condition"])} for r in m["cells"]],
        "contrasts": [{**r, "difference": f"{label(r['condition'])} − {label(r['versus'])}"}
                      for r in m["contrasts"]],
        "mixed_model": [{**r, "term": term(r["term"])} for r in m["mixed_model"]],
        "notes": [plain_note(n) for n in m.get("notes", [])],
        "technical_notes": m.get("notes", []),
    }


PAGE_TITLES = {"cells": "Means", "contrasts": "Differences", "mixed_model": "Mixed model"}


class AnalysisJob(Job):
    title = "Running the analysis"

    def __init__(self, view: AnalysisView):
        self.view = view

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any]:
        progress(0, 0, "Fitting the models of every measure…")
        from services import analysis  # pandas and the models: here, not with the tab

        return analysis.run(self.view.app, self.view.actor)

    def process_result(self, result: object) -> None:
        self.view.show_result(result)  # type: ignore[arg-type]


class SaveTablesJob(Job):
    title = "Exporting the analysis tables"

    def __init__(self, view: AnalysisView, path: str):
        self.view, self.path = view, path

    def run(self, progress: Progress, cancelled: Cancelled) -> object:
        progress(0, 0, f"Writing {self.path}…")
        from services import analysis

        # The save dialog has asked "Replace?" already when the file exists.
        return analysis.write(self.view.result or {"measures": []}, self.path, force=True)

    def process_result(self, result: object) -> None:
        self.view.saved.setText(f"Tables written to {result}")


class AnalysisView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.result: dict[str, Any] | None = None
        self.file_dialog: QFileDialog | None = None
        self.waiting = placeholder("")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.waiting)
        QVBoxLayout(self).addWidget(self.stack)
        self.forest: ForestPlot | None = None  # the results' widgets: made with the first result
        events().data_changed.connect(self._data_changed)
        self.refresh()  # built when the tab is first shown: run at once if it can

    def _build_results(self) -> None:
        """The tables and the forest plot, made when the first result arrives: a study not
        yet unblinded shows only the note, without importing pyqtgraph for it."""
        import pyqtgraph as pg

        from gui.analysis.forest import ForestPlot
        from gui.plots.export_dialog import Exports

        self.measure = QComboBox()
        self.measure.currentIndexChanged.connect(self._show_measure)
        self.run_button = QPushButton("&Run again", clicked=self.run_analysis)
        self.export_button = QPushButton("E&xport tables…", clicked=self.ask_export_path)
        self.saved = QLabel()
        self.models = {key: RowTableModel(columns, self) for key, (_, columns) in TABLES.items()}
        self.tables = {key: row_table(model, -1) for key, model in self.models.items()}
        self.forest = ForestPlot()
        self.forest_view = pg.GraphicsView(background="w")
        self.forest_view.setCentralItem(self.forest)
        self.exports = Exports(self, self.figures)
        self.plot_button = QPushButton("Export &plot…", clicked=self.exports.export)
        self.content = QWidget()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("&Measure:", buddy=self.measure))
        bar.addWidget(self.measure, 1)
        bar.addWidget(self.run_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.plot_button)
        inner = QVBoxLayout(self.content)
        inner.addLayout(bar)
        # One table (or the plot) at a time, each with the tab's full height: on a laptop's
        # screen three stacked tables showed four rows each.
        self.pages = QTabWidget()
        for key, (title, _) in TABLES.items():
            page = QWidget()
            column = QVBoxLayout(page)
            column.addWidget(QLabel(title))
            column.addWidget(self.tables[key], 1)
            self.pages.addTab(page, PAGE_TITLES[key])
            if key == "contrasts":
                self.pages.addTab(self.forest_view, "Forest plot")
        inner.addWidget(self.pages, 1)
        self.notes = QLabel(wordWrap=True)
        inner.addWidget(self.notes)
        inner.addWidget(self.saved)
        self.stack.addWidget(self.content)

    def _explain(self) -> bool:
        """Say why there is nothing to show; True when the analysis can run."""
        if not allowed(self.actor.role, "analysis.run"):
            self.waiting.setText(f"The analysis is for statisticians and investigators; "
                                 f"you are {self.actor.role}.")
            return False
        current = stage(self.app)
        if current != "unblinded":
            self.waiting.setText(f"The study is {current}. The analysis runs once it is "
                                 "locked and unblinded.")
            self.stack.setCurrentWidget(self.waiting)
            return False
        return True

    def refresh(self) -> None:
        """Called when the tab is shown: run once the study is unblinded."""
        if self.result is None and self._explain():
            self.run_analysis()

    def _data_changed(self) -> None:
        self.result = None

    def run_analysis(self) -> None:
        if not self.runner.runs:
            self.runner.start(AnalysisJob(self))

    def show_result(self, result: dict[str, Any]) -> None:
        self.result = result
        if self.forest is None:
            self._build_results()
        current = self.measure.currentData()
        self.measure.blockSignals(True)
        self.measure.clear()
        for m in result["measures"]:
            spec = self.app.protocol.measure(m["measure"])
            self.measure.addItem(spec.label if spec else m["measure"], m["measure"])
        self.measure.setCurrentIndex(max(self.measure.findData(current), 0))
        self.measure.blockSignals(False)
        self._show_measure()
        self.stack.setCurrentWidget(self.content)

    def _show_measure(self) -> None:
        if self.result is None or self.forest is None:
            return
        m = next((m for m in self.result["measures"]
                  if m["measure"] == self.measure.currentData()), None)
        if m is not None:
            m = with_labels(m, {c["code"]: c["label"] for c in self.result["conditions"]})
            self.forest.set_data((self.measure.currentText(), m["contrasts"]))
        for key, model in self.models.items():
            model.set_rows(m[key] if m else [])
            self.tables[key].resizeColumnsToContents()  # terms and differences are long
        excluded = self.result.get("excluded", [])
        notes = [f"Mixed model: {n}" for n in (m or {}).get("notes", [])]
        if excluded:
            notes.append(f"{counted(len(excluded), 'scan')} left out of every scan measure by "
                         "their quality check: " + "; ".join(
                             f"{e['participant']} period {e['period']} ({self._limit(e)})"
                             for e in excluded))
        self.notes.setText("\n".join(notes))
        self.notes.setToolTip("\n".join(f"Mixed model (as fitted): {n}"
                                        for n in (m or {}).get("technical_notes", [])))

    def _limit(self, excluded: dict[str, Any]) -> str:
        """The quality measure that left a scan out, in the protocol's words and unit:
        "Mean framewise displacement 0.626 > 0.5 mm", as the group plot says it."""
        spec = self.app.protocol.measure(excluded["measure"])
        label, unit = (spec.label, spec.unit) if spec else (excluded["measure"], "")
        return f"{label} {excluded['value']:g} > {excluded['limit']:g} {unit}".rstrip()

    def figures(self) -> list[Figure]:
        """The forest plot, once there is a result to draw."""
        return [self.forest] if self.forest is not None and self.forest.data is not None \
            else []

    def ask_export_path(self) -> None:
        self.file_dialog = QFileDialog(self, "Export analysis tables", "analysis.xlsx",
                                       "Excel workbook (*.xlsx);;CSV (*.csv)")
        self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.file_dialog.setDefaultSuffix("xlsx")
        self.file_dialog.fileSelected.connect(self.export_tables)
        self.file_dialog.open()

    def export_tables(self, path: str) -> None:
        self.saved.clear()
        self.runner.start(SaveTablesJob(self, path))
