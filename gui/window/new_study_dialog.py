"""A new study from a protocol file, in a new database, with its first administrator."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.common.jobs import Cancelled, Job, JobRunner, Progress
from gui.common.messages import describe
from gui.common.widgets import PathField, error_label
from services.context import Actor, App
from services.errors import Refused
from services.study import init_study

SQLITE_FILES = "TrialDesk databases (*.sqlite);;All files (*)"


class InitStudyJob(Job):
    """Creating the database and hashing the password take a moment: off the GUI thread."""

    title = "Creating the study"

    def __init__(self, dialog: NewStudyDialog):
        self.dialog = dialog
        self.protocol, self.database = dialog.protocol.text(), dialog.database.text()
        self.admin, self.password = dialog.admin.text().strip(), dialog.password.text()

    def prepare(self) -> None:
        if not self.protocol or not self.database:
            raise Refused("Choose the protocol file and where to save the new database.")
        if self.password != self.dialog.repeat.text():
            raise Refused("The two passwords differ.")

    def run(self, progress: Progress, cancelled: Cancelled) -> App:
        new_file = "://" not in self.database and not Path(self.database).exists()
        app = App(self.database)
        try:
            init_study(app, self.protocol, self.admin, self.password)
        except Exception:
            app.close()
            if new_file:  # a refused study leaves no empty database behind
                Path(self.database).unlink(missing_ok=True)
            raise
        return app

    def process_result(self, result: object) -> None:
        self.dialog.done(QDialog.DialogCode.Accepted)
        self.dialog.created.emit(result, Actor(self.admin, "admin"))

    def process_refusal(self, exc: Refused) -> bool:
        """Inline, so the user can fix the file and try again; a bad protocol's message
        repeats its details, so those are listed one per line instead."""
        count = len(exc.details)
        headline = f"{Path(self.protocol).name} has {count} problem{'s' * (count > 1)}:"
        self.dialog.show_error(describe(exc, headline))
        return True


class NewStudyDialog(QDialog):
    """Emits created(App, Actor) with the administrator signed in; stays open on a refusal
    (a bad protocol lists every problem key)."""

    created = Signal(object, object)

    def __init__(self, default_database: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New study from protocol")
        self.setMinimumWidth(560)
        self.runner = JobRunner(self)
        self.protocol = PathField("Choose the protocol", "Protocol files (*.toml);;All files (*)")
        self.database = PathField("Save the new database as", SQLITE_FILES, save=True,
                                  suffix="sqlite")
        self.database.edit.setText(default_database)
        self.admin = QLineEdit("admin")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create study")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Protocol file:", self.protocol)
        self.database.edit.setToolTip("A new SQLite file, or an empty database")
        form.addRow("&Database file:", self.database)
        form.addRow("&Administrator:", self.admin)
        form.addRow("Pass&word:", self.password)
        form.addRow("&Repeat password:", self.repeat)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def accept(self) -> None:
        self.error.hide()
        self.runner.start(InitStudyJob(self))
