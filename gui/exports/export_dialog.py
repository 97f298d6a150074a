"""File → Export data…: kind and target, written off the GUI thread with progress and cancel.

The dialog says beforehand whether the export is blinded (dose codes only) or
carries conditions; services.exports decides, this only tells the user.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import error_label
from services import exports
from services.context import Actor, App
from services.errors import Refused
from services.study import stage
from trialcore.wording import counted

KINDS = {
    "long": "Long: one row per participant, visit and measure (.csv, .tsv, .xlsx)",
    "wide": "Wide: one row per participant (.csv, .tsv, .xlsx)",
    "bids": "BIDS: participants.tsv and sessions.tsv with sidecars (a folder)",
}
FILTERS = "CSV (*.csv);;Tab-separated (*.tsv);;Excel workbook (*.xlsx)"


class ExportJob(Job):
    title = "Exporting the study data"

    def __init__(self, dialog: ExportDialog, path: str, kind: str, force: bool):
        self.dialog, self.path, self.kind, self.force = dialog, path, kind, force

    def run(self, progress: Progress, cancelled: Cancelled) -> exports.ExportResult:
        progress(0, 0, "Reading the study data…")
        return exports.export(self.dialog.app, self.dialog.actor, self.path, self.kind,
                              progress=progress, cancelled=cancelled, force=self.force)

    def process_result(self, result: object) -> None:
        self.dialog.show_result(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.dialog.show_error(describe(exc))
        return True


class ExportDialog(QDialog):
    """Open with open(); stays open after an export so another can follow."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.result: exports.ExportResult | None = None
        self.file_dialog: QFileDialog | None = None
        self.pending: tuple[str, str] | None = None  # the export waiting for "Replace?"
        self.setWindowTitle("Export data")
        self.setMinimumWidth(560)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.kind = QComboBox()
        for key, text in KINDS.items():
            self.kind.addItem(text, key)
        self.path = QLineEdit(placeholderText="file, or the folder for BIDS")
        browse = QPushButton("&Browse…", clicked=self.browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        unblinded = stage(app) == "unblinded"
        self.blinding = QLabel("The study is unblinded: the export shows each visit's "
                               "condition." if unblinded else "The study is blinded: the "
                               "export carries dose codes only, never a condition.")
        self.blinding.setWordWrap(True)
        self.error = error_label()
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = QPushButton("&Export", clicked=self.export)
        self.export_button.setDefault(True)
        self.replace_button = QPushButton("&Replace", clicked=self.replace)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.replace_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.replace_button.hide()  # after addButton, which shows it; shown to ask "Replace?"
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Kind:", self.kind)
        form.addRow(QLabel("&To:", buddy=self.path), where)  # a layout: no label of its own
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.blinding)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addWidget(buttons)

    def browse(self) -> None:
        bids = self.kind.currentData() == "bids"
        self.file_dialog = QFileDialog(self, "Export to", self.path.text())
        if bids:
            self.file_dialog.setFileMode(QFileDialog.FileMode.Directory)
        else:
            self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            self.file_dialog.setNameFilter(FILTERS)
            self.file_dialog.setDefaultSuffix("csv")
        self.file_dialog.fileSelected.connect(self.path.setText)
        self.file_dialog.open()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def export(self) -> None:
        self.error.hide()
        self.replace_button.hide()
        self.pending = None
        self.outcome.clear()
        if not self.path.text().strip():
            self.show_error("Choose where to export to.")
            return
        path, kind = self.path.text().strip(), self.kind.currentData()
        replaced = exports.files_replaced(path, kind)
        if not replaced:
            self.runner.start(ExportJob(self, path, kind, force=False))
            return
        names = "\n".join(f"• {p}" for p in replaced)
        self.show_error(f"Replace? These files exist already:\n{names}\nClick Replace to "
                        "write the new export over them.")
        self.pending = (path, kind)
        self.replace_button.show()

    def replace(self) -> None:
        """The user answered "Replace?" with Replace: export over the files."""
        assert self.pending is not None
        path, kind = self.pending
        self.pending = None
        self.replace_button.hide()
        self.error.hide()
        self.runner.start(ExportJob(self, path, kind, force=True))

    def show_result(self, result: exports.ExportResult) -> None:
        self.result = result
        names = ", ".join(Path(f).name for f in result.files[:4])
        more = f" and {len(result.files) - 4} more" if len(result.files) > 4 else ""
        folder = result.path if result.kind == "bids" else Path(result.path).parent
        blinding = "with conditions" if result.unblinded else "blinded"
        self.outcome.setText(f"Exported {counted(result.rows, 'row')} ({blinding}): {names}{more} "
                          f"in {folder}.")
