"""The export dialog asks "Replace?" before writing over files that exist, and writes over
them only when the user clicks Replace (the service refuses to replace them unasked)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from gui.exports.export_dialog import ExportDialog
from services.context import Actor, App


def test_replace_is_asked_and_only_replace_writes(qtbot: QtBot, sqlite_app: App,
                                                  actors: dict[str, Actor],
                                                  tmp_path: Path) -> None:
    dialog = ExportDialog(sqlite_app, actors["cora"])
    qtbot.addWidget(dialog)
    dialog.show()
    fresh = tmp_path / "wide.xlsx"
    qtbot.keyClicks(dialog.path, str(fresh))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None)  # a new file: written unasked
    qtbot.waitUntil(lambda: not dialog.runner.runs)  # its worker gone before the next
    assert fresh.exists() and not dialog.replace_button.isVisible()

    target = tmp_path / "long.csv"
    target.write_text("mine\n")
    dictionary = tmp_path / "long_dictionary.csv"
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(target))
    dialog.result = None
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.replace_button.isVisible()
    assert "Replace?" in dialog.error.text() and str(target) in dialog.error.text()
    assert not dialog.runner.runs and dialog.result is None
    assert target.read_text() == "mine\n" and not dictionary.exists()

    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None)
    qtbot.waitUntil(lambda: not dialog.runner.runs)  # no worker outlives the dialog
    assert target.read_text() != "mine\n" and dictionary.exists()
    assert not dialog.replace_button.isVisible()


def test_the_dialog_opens_offering_export_only_with_a_working_to_label(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor]) -> None:
    """Issue 15's screenshots: Replace showed before anything was exported (the button box
    showed it again when it was added; clicking it then failed an assertion), and the
    destination's label read "&To:" with no field to jump to."""
    dialog = ExportDialog(sqlite_app, actors["cora"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.export_button.isVisible() and not dialog.replace_button.isVisible()
    to = [label for label in dialog.findChildren(QLabel) if label.buddy() is dialog.path]
    assert [label.text() for label in to] == ["&To:"]  # shown as "To:", Alt+T the field
