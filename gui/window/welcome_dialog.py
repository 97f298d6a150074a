"""Shown when there is no study to sign in to: make one, or open another database."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.window.study_files import StudyFiles


class WelcomeDialog(QDialog):
    """Stays open under its sub-dialogs; closes once they chose a database or made a study."""

    def __init__(self, text: str, default_database: str = "", quit_text: str = "Quit",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to TrialDesk")
        self.setMinimumWidth(460)
        self.files = StudyFiles(self, default_database)
        self.files.database_chosen.connect(self.accept)
        self.files.study_created.connect(self.accept)
        heading = QLabel(f"<h3>Welcome to TrialDesk</h3><p>{text}</p>"
                         "<p>Create a study from its protocol file, or open the database "
                         "your study already uses.</p>")
        heading.setWordWrap(True)
        self.new_button = QPushButton("&New study from protocol…", clicked=self.files.new_study)
        self.open_button = QPushButton("&Open database…", clicked=self.files.open_database)
        self.quit_button = QPushButton(quit_text, clicked=self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        for button in (self.new_button, self.open_button, self.quit_button):
            layout.addWidget(button)
