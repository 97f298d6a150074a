"""A participant's casebook on screen, and saved as PDF (services.casebook builds it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.common.messages import describe, show_message
from services.casebook import casebook_html
from services.context import Actor, App
from services.errors import Refused
from services.files import written_whole


class CasebookDialog(QDialog):
    def __init__(self, app: App, actor: Actor, participant: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.participant = participant
        self.setWindowTitle(f"Casebook {participant}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(820, 600)
        self.document = QTextDocument(self)
        self.document.setHtml(casebook_html(app, actor, participant))
        self.view = QTextBrowser()
        self.view.setDocument(self.document)
        self.file_dialog: QFileDialog | None = None
        self.message: QMessageBox | None = None
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.pdf_button = QPushButton("Save as &PDF…", clicked=self.ask_pdf_path)
        self.buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(self.buttons)

    def ask_pdf_path(self) -> None:
        self.file_dialog = QFileDialog(self, "Save casebook as PDF",
                                       f"casebook-{self.participant}.pdf", "PDF files (*.pdf)")
        self.file_dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.file_dialog.setDefaultSuffix("pdf")
        self.file_dialog.fileSelected.connect(self.save_pdf)
        self.file_dialog.open()

    def save_pdf(self, path: str) -> None:
        """Written whole (a temporary file renamed when complete); the file dialog has
        asked before replacing an existing file."""
        try:
            with written_whole(Path(path), force=True) as tmp:
                writer = QPdfWriter(str(tmp))
                writer.setTitle(f"Casebook {self.participant}")
                self.document.print_(writer)
                del writer  # the PDF is finished when the writer goes
        except Refused as exc:
            self.message = show_message(self, "Not saved", describe(exc))
            return
        self.message = show_message(self, "Saved", f"The casebook is in {path}.",
                                    icon=QMessageBox.Icon.Information)
