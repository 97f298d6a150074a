"""Choosing another database: an SQLite file on this computer or a shared PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gui.common.widgets import PathField, error_label


class OpenDatabaseDialog(QDialog):
    """Emits chosen(path or URL); opening it is the caller's job."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open database")
        self.sqlite = QRadioButton("&SQLite file on this computer", checked=True)
        self.file = PathField("Open TrialDesk database",
                              "TrialDesk databases (*.sqlite *.db);;All files (*)")
        self.server = QRadioButton("&PostgreSQL server shared by the site")
        self.url = QLineEdit(placeholderText="postgresql://user:password@host/database")
        self.error = error_label()
        self.sqlite.toggled.connect(self._mode_changed)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.sqlite, self.file, self.server, self.url, self.error, buttons):
            layout.addWidget(widget)
        self._mode_changed()

    def _mode_changed(self) -> None:
        self.file.setEnabled(self.sqlite.isChecked())
        self.url.setEnabled(not self.sqlite.isChecked())

    def accept(self) -> None:
        if self.sqlite.isChecked():
            target = self.file.text()
            problem = "" if target and Path(target).is_file() else f"There is no file {target!r}."
        else:
            target = self.url.text().strip()
            problem = "" if target.startswith("postgresql") else \
                "A server URL starts with postgresql:// (user, password, host, database)."
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()
        self.chosen.emit(target)
