"""The import wizard: file → detected format and mapping → validation report → commit.

The wizard holds no rule: every page shows what services.imports reported and
turns the user's choices into ImportOptions. Checking and committing run as
jobs (gui/common/jobs.py) off the GUI thread, with progress and a Cancel button; a
page's Next starts its job and the wizard moves on when the job is done.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import PathField, error_label, fit_columns
from gui.imports.import_problems import ProblemsView
from gui.imports.wording import control
from services import imports
from services.context import Actor, App
from services.errors import Refused
from trialcore.wording import counted

KINDS = {"Scan summaries": "scans", "Questionnaire": "questionnaire"}
FROM_FILE = "(from the file)"
NOT_IMPORTED = "(not imported)"
MAPPED_NAME_WIDTH = 320  # pixels: a file column's name, the rest for its measure
DECIMALS = {"automatic": None, "comma (1,5)": ",", "point (1.5)": "."}


def _wrapped(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PreviewJob(Job):
    title = "Checking the file"

    def __init__(self, wizard: ImportWizard, options: imports.ImportOptions,
                 page: QWizardPage):
        self.wizard, self.options, self.page = wizard, options, page

    def run(self, progress: Progress, cancelled: Cancelled) -> imports.ImportReport:
        return imports.preview(self.wizard.app, self.wizard.actor, self.options.kind,
                               self.options.path, self.options,
                               progress=lambda f, t: progress(int(f * 100), 100, t),
                               cancelled=cancelled)

    def process_result(self, result: object) -> None:
        self.wizard.previewed(self.page, result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.wizard.refused(self.page, exc)
        return True


class CommitJob(Job):
    title = "Importing"

    def __init__(self, wizard: ImportWizard, report: imports.ImportReport, reason: str | None):
        self.wizard, self.report, self.reason = wizard, report, reason

    def run(self, progress: Progress, cancelled: Cancelled) -> imports.ImportReport:
        return imports.commit(self.wizard.app, self.wizard.actor, self.report, self.reason,
                              progress=lambda f, t: progress(int(f * 100), 100, t),
                              cancelled=cancelled)

    def process_result(self, result: object) -> None:
        self.wizard.committed(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.wizard.refused(self.wizard.report_page, exc)
        return True


class FilePage(QWizardPage):
    """What kind of file, which file, its format and an optional saved mapping."""

    def __init__(self, wizard: ImportWizard):
        super().__init__(wizard)
        self.owner = wizard
        self.setTitle("Choose the file")
        self.setSubTitle("CSV, TSV or XLSX. Nothing is written until the last page.")
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.path = PathField("Import file", "Tables (*.csv *.tsv *.txt *.xlsx);;All files (*)")
        self.format = QComboBox()
        self.format.addItems(list(imports.FORMATS_CHOICES))
        self.profile = QComboBox()
        self.decimal = QComboBox()
        self.decimal.addItems(list(DECIMALS))
        self.keep_test = QCheckBox("Import Qualtrics previews, tests and spam")
        self.only_registered = QCheckBox("Only participants in the register (skip and list "
                                         "the others)")
        self.bids_filter = QLineEdit(placeholderText="e.g. task=rest run=1 (BIDS names)")
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("&Kind:", self.kind)
        form.addRow("&File:", self.path)
        form.addRow("F&ormat:", self.format)
        form.addRow("Saved &mapping:", self.profile)
        form.addRow("&Decimal mark:", self.decimal)
        form.addRow("Only scans &with:", self.bids_filter)
        form.addRow(self.keep_test)
        form.addRow(self.only_registered)
        form.addRow(self.error)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.path.edit.textChanged.connect(self.completeChanged)
        self._kind_changed()

    def _kind_changed(self) -> None:
        kind = KINDS[self.kind.currentText()]
        self.format.setEnabled(kind == "questionnaire")
        self.keep_test.setEnabled(kind == "questionnaire")
        self.bids_filter.setEnabled(kind == "scans")
        self.profile.clear()
        self.profile.addItem("(none)")
        self.profile.addItems([p["name"] for p in imports.profiles(self.owner.app,
                                                                   self.owner.actor, kind)])

    def options(self) -> imports.ImportOptions:
        kind = KINDS[self.kind.currentText()]
        profile = self.profile.currentText() if self.profile.currentIndex() > 0 else None
        pairs = [p.partition("=") for p in self.bids_filter.text().split()]
        bids = {k.strip(): v.strip() for k, sep, v in pairs if sep and k.strip()}
        return imports.ImportOptions(kind, self.path.text(), format=self.format.currentText(),
                                     profile=profile, decimal=DECIMALS[self.decimal.currentText()],
                                     keep_test=self.keep_test.isChecked() and kind != "scans",
                                     only_registered=self.only_registered.isChecked(),
                                     bids_filter=bids if kind == "scans" else {})

    def isComplete(self) -> bool:
        return bool(self.path.text())

    def validatePage(self) -> bool:
        return self.owner.checked(self, self.options())


class MappingPage(QWizardPage):
    """The detected format and keys; measures ↔ columns; the visit; columns to drop."""

    def __init__(self, wizard: ImportWizard):
        super().__init__(wizard)
        self.owner = wizard
        self.setTitle("Format and mapping")
        self.detected = _wrapped()
        self.participant = QComboBox()
        self.visit_column = QComboBox()
        self.visit = QComboBox()
        self.visit.addItem(FROM_FILE, None)
        for v in wizard.app.protocol.visits:
            self.visit.addItem(v.label, v.id)
        self.columns = QTableWidget(0, 2)
        self.columns.setHorizontalHeaderLabels(["File column", "Imported as"])
        self.columns.horizontalHeader().setStretchLastSection(True)
        self.columns.verticalHeader().hide()
        self.guard_box = QGroupBox("Columns that could reveal the treatment")
        self.guard_layout = QVBoxLayout(self.guard_box)
        self.drops: list[QCheckBox] = []
        self.save_as = QLineEdit(placeholderText="name, to reuse this mapping (optional)")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("&Participant column:", self.participant)
        form.addRow("Visit &column:", self.visit_column)
        form.addRow("&Visit of all rows:", self.visit)
        form.addRow("&Save mapping as:", self.save_as)
        layout = QVBoxLayout(self)
        layout.addWidget(self.detected)
        layout.addLayout(form)
        layout.addWidget(self.guard_box)
        layout.addWidget(self.columns, 1)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        self.show_report(self.owner.report)

    def show_report(self, report: imports.ImportReport | None) -> None:
        if report is None:
            return
        ex, m = report.extract, report.mapping
        file_columns = [str(c) for c in ex.table.frame.columns] if ex is not None else []
        self.detected.setText(
            f"<b>{report.file_name}</b>: {report.format}, {counted(report.rows, 'row')}. "
            + ("" if report.ok else f"{counted(len(report.errors), 'problem')} so far; see below "
               "and on the next page."))
        self.detected.setTextFormat(Qt.TextFormat.RichText)
        key = m.participant_column or m.bids_column
        _fill(self.participant, file_columns, key)
        _fill(self.visit_column, ["(none)", *file_columns], m.visit_column or "(none)")
        self.visit.setCurrentIndex(max(self.visit.findData(m.visit), 0))
        guarded = sorted(set(self.owner.guarded) | set(report.treatment_columns))
        self.owner.guarded = guarded
        for box in self.drops:
            box.deleteLater()
        self.drops = [QCheckBox(f"Drop column {c!r}") for c in guarded]
        for box, col in zip(self.drops, guarded, strict=True):
            box.setChecked(col in m.drop_columns)
            self.guard_layout.addWidget(box)
        self.guard_box.setVisible(bool(guarded))
        self._fill_columns(report)
        self.error.setVisible(not report.ok and ex is not None and ex.values.empty)
        self.error.setText("\n".join(p.text(report.file_name, control(p))
                                     for p in report.errors[:5]))

    def _fill_columns(self, report: imports.ImportReport) -> None:
        kind = report.options.kind
        protocol = self.owner.app.protocol
        targets = [m.name for m in protocol.measures if m.kind == "scan"] if kind == "scans" \
            else [i for m in protocol.measures if m.kind == "questionnaire" for i in m.items]
        mapped = {k: v for k, v in report.mapping.columns.items()}
        shown = list(dict.fromkeys([*mapped, *report.unmatched]))
        self.columns.setRowCount(len(shown))
        for row, col in enumerate(shown):
            name = QTableWidgetItem(col)  # elided when long, whole in its tooltip
            name.setFlags(Qt.ItemFlag.ItemIsEnabled)
            name.setToolTip(col)
            self.columns.setItem(row, 0, name)
            combo = QComboBox()
            combo.addItems([NOT_IMPORTED, *targets])
            combo.setCurrentText(mapped.get(col) or NOT_IMPORTED)
            self.columns.setCellWidget(row, 1, combo)
        fit_columns(self.columns, widest=MAPPED_NAME_WIDTH)

    def options(self) -> imports.ImportOptions:
        base = self.owner.report.options if self.owner.report else self.owner.file_page.options()
        columns: dict[str, str] = {}
        for row in range(self.columns.rowCount()):
            name = self.columns.item(row, 0).text()
            target = self.columns.cellWidget(row, 1).currentText()  # type: ignore[union-attr]
            columns[name] = "" if target == NOT_IMPORTED else target
        dropped = tuple(c for c, box in zip(self.owner.guarded, self.drops, strict=True)
                        if box.isChecked())
        visit_column = self.visit_column.currentText()
        participant = self.participant.currentText() or None
        report = self.owner.report
        bids = report is not None and participant == report.mapping.bids_column
        return replace(base, columns=columns, drop_columns=dropped,
                       visit=self.visit.currentData(),
                       visit_column=None if visit_column == "(none)" else visit_column,
                       participant_column=None if bids else participant,
                       save_profile=self.save_as.text().strip() or None)

    def validatePage(self) -> bool:
        return self.owner.checked(self, self.options())


def _fill(combo: QComboBox, items: list[str], current: str | None) -> None:
    combo.clear()
    combo.addItems(items)
    if current:
        combo.setCurrentText(current)


class ReportPage(QWizardPage):
    """Counts, every problem with its row and column, and the commit."""

    def __init__(self, wizard: ImportWizard):
        super().__init__(wizard)
        self.owner = wizard
        self.setTitle("Check")
        self.setButtonText(QWizard.WizardButton.NextButton, "&Commit import")
        self.summary = _wrapped()
        self.problems = ProblemsView()
        self.update_box = QCheckBox("Change values that are stored already (needs a reason)")
        self.reason = QLineEdit(placeholderText="why the stored values change")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.update_box)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        self.update_box.toggled.connect(self._update_toggled)
        self.reason.textChanged.connect(self.completeChanged)

    def initializePage(self) -> None:
        self.show_report(self.owner.report)

    def show_report(self, report: imports.ImportReport | None) -> None:
        if report is None:
            return
        self.summary.setText(report.summary() + f"; {counted(len(report.warnings), 'warning')}.")
        self.problems.set_problems(report.errors, report.warnings)
        conflicts = report.updated > 0
        self.update_box.setVisible(conflicts or report.options.update)
        self.update_box.blockSignals(True)
        self.update_box.setChecked(report.options.update)
        self.update_box.blockSignals(False)
        self.reason.setVisible(report.options.update and conflicts)
        self.error.hide()
        self.completeChanged.emit()

    def _update_toggled(self, on: bool) -> None:
        report = self.owner.report
        if report is not None:
            self.owner.check(self, replace(report.options, update=on))

    def isComplete(self) -> bool:
        report = self.owner.report
        if report is None or not report.ok or report.nothing_to_change:
            return False
        return not report.updated or bool(self.reason.text().strip())

    def validatePage(self) -> bool:
        if self.owner.result is not None:
            return True
        self.owner.start_commit(self.reason.text().strip() or None)
        return False

    def show_refusal(self, exc: Refused) -> None:
        self.error.setText(describe(exc))
        self.error.show()


class DonePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Imported")
        self.summary = _wrapped()
        QVBoxLayout(self).addWidget(self.summary)

    def show_result(self, report: imports.ImportReport) -> None:
        self.summary.setText(f"{report.summary()}.\nImport {report.import_id} is recorded "
                             f"with the file's SHA-256 {report.sha256[:16]}…; every value "
                             "it wrote points to it.")


class ImportWizard(QWizard):
    """Open with open(). `report` is the latest check, `result` the committed import."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.report: imports.ImportReport | None = None
        self.result: imports.ImportReport | None = None
        self.checked_options: dict[int, imports.ImportOptions] = {}
        self.guarded: list[str] = []
        self.setWindowTitle("Import a file")
        self.setMinimumSize(720, 560)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.report_page = ReportPage(self)
        self.done_page = DonePage()
        for page in (self.file_page, self.mapping_page, self.report_page, self.done_page):
            self.addPage(page)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)

    def checked(self, page: QWizardPage, options: imports.ImportOptions) -> bool:
        """Next on a page: go on if these options were just checked, else check them."""
        if self.checked_options.get(id(page)) == options and self.report is not None:
            return True
        self.check(page, options)
        return False

    def check(self, page: QWizardPage, options: imports.ImportOptions) -> None:
        self.result = None
        self.runner.start(PreviewJob(self, options, page))

    def previewed(self, page: QWizardPage, report: imports.ImportReport) -> None:
        if page is self.file_page:
            self.guarded = []  # another file: forget the columns offered for dropping
        self.report = report
        self.checked_options[id(page)] = report.options
        stuck = page is self.mapping_page and report.extract is not None \
            and report.extract.values.empty and not report.ok
        if page is self.report_page or stuck:
            page.show_report(report)  # type: ignore[attr-defined]
            return
        self.next()

    def refused(self, page: QWizardPage, exc: Refused) -> None:
        error: Any = getattr(page, "error", None)
        if error is not None:
            error.setText(describe(exc))
            error.show()

    def start_commit(self, reason: str | None) -> None:
        if self.report is not None:
            self.runner.start(CommitJob(self, self.report, reason))

    def committed(self, report: imports.ImportReport) -> None:
        if not report.committed:
            self.report = report
            self.report_page.show_report(report)
            return
        self.result = report
        self.done_page.show_result(report)
        self.next()
