"""A button that saves a receipt of the audit trail's head (services.anchors), offered
where the trail has just grown in a way worth proving later: after a lock, an import."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from gui.common.messages import show_message
from services import anchors
from services.context import Actor, App
from services.errors import Refused
from trialcore.roles import allowed
from trialcore.wording import counted

# What checks a receipt: only the command line does (docs/cli.md), so the tooltip names it
# whole, as the IT person or monitor who checks it would type it.
VERIFY_COMMAND = "trialdesk audit verify --receipt FILE"


class ReceiptButton(QPushButton):
    """Hidden for roles that may not read the trail."""

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__("Save audit &receipt…", parent)
        self.app, self.actor = app, actor
        self.setToolTip("Save the audit trail's head (entries, hash, time) to a file to keep "
                        f"outside the database: the command {VERIFY_COMMAND} proves later "
                        "that the trail was not rewritten")
        self.setVisible(allowed(actor.role, "audit.read"))
        self.dialog: QFileDialog | None = None
        self.message: QMessageBox | None = None
        self.clicked.connect(self.ask)

    def ask(self) -> None:
        self.dialog = QFileDialog(self, "Save audit receipt", "audit-receipt.json",
                                  "JSON files (*.json)")
        self.dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        self.dialog.setDefaultSuffix("json")
        self.dialog.fileSelected.connect(self.save)
        self.dialog.open()

    def save(self, path: str) -> None:
        try:  # the file dialog has asked before replacing a file
            receipt = anchors.anchor(self.app, self.actor, path, force=True)
        except Refused as exc:
            self.message = show_message(self, "Receipt not saved", exc.message)
            return
        self.message = show_message(
            self, "Receipt saved",
            f"{path}: {counted(receipt['entries'], 'entry', 'entries')}, head "
            f"{receipt['head'][:16]}…. Keep it outside the database (mail it, file it).",
            icon=QMessageBox.Icon.Information)
