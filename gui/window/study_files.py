"""File → New study and File → Open database, shared by the welcome dialog and the
main window: both open the same dialogs and hand the outcome to the launcher."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from gui.window.new_study_dialog import NewStudyDialog
from gui.window.open_database_dialog import OpenDatabaseDialog


class StudyFiles(QObject):
    """Emits database_chosen(path or URL) or study_created(App, Actor)."""

    database_chosen = Signal(str)
    study_created = Signal(object, object)

    def __init__(self, parent: QWidget, default_database: str = ""):
        super().__init__(parent)
        self.widget, self.default_database = parent, default_database
        self.dialog: NewStudyDialog | OpenDatabaseDialog | None = None

    def new_study(self) -> None:
        dialog = self.dialog = NewStudyDialog(self.default_database, self.widget)
        dialog.created.connect(self.study_created)
        dialog.open()

    def open_database(self) -> None:
        dialog = self.dialog = OpenDatabaseDialog(self.widget)
        dialog.chosen.connect(self.database_chosen)
        dialog.open()
