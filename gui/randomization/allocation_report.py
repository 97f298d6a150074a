"""The balance report (randomizer) and the dispensing list (pharmacist), passphrase-gated.

Both open the sealed key, which takes a deliberate key derivation, so they run as
jobs. What the report shows reveals conditions: it is cleared whenever the view
is shown again, and the passphrase field is emptied after every use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import PathField, error_label, placeholder
from gui.randomization.allocation_wizard import secret_edit
from services import allocation
from services.context import Actor, App
from services.errors import Refused


def _ordered(keys: list[str], order: list[str] | None) -> list[str]:
    """The keys in `order` first, in its order (the conditions as the period table lists
    them), then any others as they came."""
    if not order:
        return keys
    return [k for k in order if k in keys] + [k for k in keys if k not in order]


def count_table(counts: dict[str, dict[str, int]], corner: str,
                order: list[str] | None = None) -> QTableWidget:
    """Rows (visits, or previous condition) by columns (conditions), read-only, shown
    whole: sized to its cells, never clipped to a few rows or columns."""
    columns = _ordered(list(dict.fromkeys(c for row in counts.values() for c in row)), order)
    rows = _ordered(list(counts), order)
    table = QTableWidget(len(rows), len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setVerticalHeaderLabels([f"{corner} {key}" for key in rows])
    for r, row in enumerate(counts[key] for key in rows):
        for c, column in enumerate(columns):
            item = QTableWidgetItem("" if column not in row else str(row[column]))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            table.setItem(r, c, item)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.resizeColumnsToContents()
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    frame = 2 * table.frameWidth()
    table.setFixedSize(table.verticalHeader().sizeHint().width()
                       + table.horizontalHeader().length() + frame,
                       table.horizontalHeader().sizeHint().height()
                       + table.verticalHeader().length() + frame)
    return table


def _verdict(ok: bool, what: str) -> QLabel:
    label = QLabel(f"{what}: {'balanced' if ok else 'not balanced'}")
    label.setStyleSheet("color: #1b6e20;" if ok else "color: #8a5300; font-weight: bold;")
    return label


def balance_box(title: str, balance: dict[str, Any]) -> QGroupBox:
    box = QGroupBox(f"{title} ({balance['sequences']} sequences)")
    layout = QVBoxLayout(box)
    layout.addWidget(_verdict(balance["period_balanced"], "Conditions per period"))
    periods = count_table(balance["period_counts"], "period")
    layout.addWidget(periods)
    if "carryover_counts" in balance:
        conditions = [periods.horizontalHeaderItem(c).text()
                      for c in range(periods.columnCount())]
        layout.addWidget(_verdict(balance["carryover_balanced"],
                                  "First-order carry-over (previous → next)"))
        layout.addWidget(count_table(balance["carryover_counts"], "after", conditions))
    return box


class ReportJob(Job):
    title = "Opening the allocation key"

    def __init__(self, view: AllocationReportView, passphrase: str, reason: str):
        self.view, self.passphrase, self.reason = view, passphrase, reason

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any]:
        progress(0, 0, "Deriving the key from the passphrase…")
        return allocation.report(self.view.app, self.view.actor, self.passphrase,
                                 self.reason or None)

    def process_result(self, result: object) -> None:
        self.view.show_report(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.view.show_refusal(exc)
        return True


class AllocationReportView(QWidget):
    """Per stratum: slots, used, free, and period / carry-over balance of all and used slots."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.runner = JobRunner(self)
        self.report: dict[str, Any] | None = None
        self.passphrase = secret_edit("randomizer's sealing passphrase")
        self.passphrase.returnPressed.connect(self.open_report)
        self.reason = QLineEdit(placeholderText="why (recorded in the audit trail)")
        self.show_button = QPushButton("&Show balance", clicked=self.open_report)
        self.hide_button = QPushButton("&Hide", clicked=self.clear)
        self.error = error_label()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.area = QScrollArea(widgetResizable=True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Passphrase:"))
        bar.addWidget(self.passphrase, 1)
        bar.addWidget(QLabel("Reason:"))
        bar.addWidget(self.reason, 1)
        bar.addWidget(self.show_button)
        bar.addWidget(self.hide_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.summary)
        layout.addWidget(self.area, 1)
        self.clear()

    def refresh(self) -> None:
        """Shown again: forget what was revealed."""
        self.clear()

    def clear(self) -> None:
        self.report = None
        self.summary.setText("")
        self.area.setWidget(placeholder("The balance of the sealed list is shown here once "
                                        "you enter the sealing passphrase."))

    def open_report(self) -> None:
        self.error.hide()
        self.runner.start(ReportJob(self, self.passphrase.text(), self.reason.text().strip()))
        self.passphrase.clear()

    def show_refusal(self, exc: Refused) -> None:
        self.error.setText(describe(exc))
        self.error.show()

    def show_report(self, report: dict[str, Any]) -> None:
        self.report = report
        self.summary.setText(
            f"{report['design'].capitalize()} list by {report['generated_by']} "
            f"({report['generated_at'][:16].replace('T', ' ')} UTC), algorithm "
            f"{report['algorithm_version']}; regenerates from its seed: "
            f"{'yes' if report['regenerates_from_seed'] else 'NO'}.")
        content = QWidget()
        layout = QVBoxLayout(content)
        for stratum in report["strata"]:
            box = QGroupBox(f"{stratum['stratum']}: {stratum['slots']} slots, "
                            f"{stratum['used']} used, {stratum['free']} free")
            row = QHBoxLayout(box)
            row.addWidget(balance_box("All slots", stratum["all"]))
            row.addWidget(balance_box("Used slots", stratum["used_slots"]))
            layout.addWidget(box)
        layout.addStretch(1)
        self.area.setWidget(content)


class DispensingJob(Job):
    title = "Writing the dispensing list"

    def __init__(self, dialog: DispensingDialog, passphrase: str, path: str, reason: str,
                 force: bool):
        self.dialog, self.passphrase, self.path = dialog, passphrase, path
        self.reason, self.force = reason, force

    def prepare(self) -> None:
        if not self.path:
            raise Refused("choose where to save the list (.csv or .html)")

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any]:
        progress(0, 0, "Opening the sealed key…")
        return allocation.dispensing(self.dialog.app, self.dialog.actor, self.passphrase,
                                     self.path, self.reason, force=self.force)

    def process_result(self, result: object) -> None:
        self.dialog.written(result)  # type: ignore[arg-type]

    def process_refusal(self, exc: Refused) -> bool:
        self.dialog.error.setText(describe(exc))
        self.dialog.error.show()
        return True


class DispensingDialog(QDialog):
    """The pharmacist's code -> condition list, as CSV or a printable page; audited."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.result: dict[str, Any] | None = None
        self.runner = JobRunner(self)
        self.setWindowTitle("Dispensing list")
        self.setMinimumWidth(520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel("This list says which condition every kit code stands for. Print it "
                       "for kit preparation only and keep it locked away; the printing is "
                       "recorded in the audit trail with your reason.")
        intro.setWordWrap(True)
        self.path = PathField("Save the dispensing list", "Printable page (*.html);;CSV (*.csv)",
                              save=True, suffix="html")
        self.passphrase = secret_edit("your own dispensing passphrase")
        self.reason = QLineEdit(placeholderText="why it is printed (required)")
        self.replace_ok: str | None = None  # the existing file the user agreed to replace
        self.error = error_label()
        self.outcome = QLabel()
        self.outcome.setStyleSheet("color: #1b6e20;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&File:", self.path)
        form.addRow("&Reason:", self.reason)
        form.addRow("&Passphrase:", self.passphrase)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        """An existing file is replaced only after the user saves again on purpose."""
        self.error.hide()
        self.outcome.clear()
        path = self.path.text()
        if path and Path(path).exists() and self.replace_ok != path:
            self.replace_ok = path
            self.error.setText(f"{Path(path).name} already exists: press Save again to "
                               "replace it, or choose another file.")
            self.error.show()
            return
        self.runner.start(DispensingJob(self, self.passphrase.text(), path,
                                        self.reason.text().strip(), self.replace_ok == path))
        self.passphrase.clear()

    def written(self, result: dict[str, Any]) -> None:
        self.result = result
        self.outcome.setText(f"Wrote {result['kits']} kits to {result['file']}.")
