"""The lock certificate: who signed, when, what it means, and the two fingerprints.

Printable, and saved as PDF through QPrinter, so the signed record can be filed
with the trial master file.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

FINGERPRINTS = ("SHA-256 of the canonical data export", "Audit trail head hash")


def certificate_html(cert: dict[str, Any]) -> str:
    rows = [("Study", cert["study"]), ("Signed by", cert["signer"]),
            ("Signed at (UTC)", cert["locked_at"].replace("T", " ").removesuffix("Z")),
            ("Meaning", cert["meaning"]), ("Reason", cert["reason"]),
            (FINGERPRINTS[0], cert["data_digest"]), (FINGERPRINTS[1], cert["audit_head"]),
            ("Data now", "unchanged since the lock" if cert["data_unchanged"]
             else f"CHANGED since the lock: the digest is now {cert['current_digest']}")]
    if not cert.get("covers_adverse_events", True):
        rows.append(("Note", "Signed before adverse events were part of the data export: "
                     "the signature does not cover them."))
    body = "".join(_row(k, str(v)) for k, v in rows)
    return (f"<h2>Study lock certificate</h2><table cellpadding='4'>{body}</table>"
            "<p>The lock is an electronic signature: the signer re-entered their user name "
            "and password. The data digest and the audit head identify exactly the data "
            "and history that were locked.</p>")


def _row(key: str, value: str) -> str:
    """A fingerprint gets a full-width line of its own that never wraps, so the PDF's text
    holds it as one string a reader can search for and compare."""
    k, v = html.escape(key), html.escape(value)
    if key in FINGERPRINTS:
        return (f"<tr><th colspan='2' align='left'>{k}</th></tr><tr><td colspan='2' "
                f"style='font-family:monospace; white-space:nowrap'>{v}</td></tr>")
    return f"<tr><th align='left' valign='top'>{k}</th><td>{v}</td></tr>"


class CertificateDialog(QDialog):
    """Open with open(). save_pdf(path) is what "Save certificate as PDF…" does."""

    def __init__(self, cert: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Lock certificate")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 460)
        self.document = QTextDocument(self)
        self.document.setHtml(certificate_html(cert))
        self.view = QTextBrowser()
        self.view.setDocument(self.document)
        self.file_dialog: QFileDialog | None = None
        self.print_dialog: QPrintDialog | None = None
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        pdf = QPushButton("Save certificate as &PDF…", clicked=self.ask_pdf_path)
        printing = QPushButton("&Print…", clicked=self.ask_print)
        buttons.addButton(pdf, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(printing, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)

    def ask_pdf_path(self) -> None:
        self.file_dialog = QFileDialog(self, "Save certificate as PDF", "lock-certificate.pdf",
                                       "PDF files (*.pdf)")
        self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.file_dialog.setDefaultSuffix("pdf")
        self.file_dialog.fileSelected.connect(self.save_pdf)
        self.file_dialog.open()

    def save_pdf(self, path: str | Path) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        self.document.print_(printer)

    def ask_print(self) -> None:
        self.print_dialog = QPrintDialog(self.printer, self)
        self.print_dialog.accepted.connect(lambda: self.document.print_(self.printer))
        self.print_dialog.open()
