"""File → Export plot…: which plot, PNG or SVG, the size in pixels, and the file.

Opened with open() like every dialog here, so the window (and tests) go on;
a file that cannot be written is said inline and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
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
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.common.widgets import error_label
from gui.plots.export import FORMATS, MAX_SIDE, MIN_SIDE, Figure, copy_figure, export_figure


def _side(value: float) -> QSpinBox:
    box = QSpinBox(minimum=MIN_SIDE, maximum=MAX_SIDE, suffix=" px", singleStep=50)
    box.setValue(int(min(max(value, MIN_SIDE), MAX_SIDE)))
    return box


class ExportDialog(QDialog):
    exported = Signal(str)  # the path written

    def __init__(self, figures: Sequence[Figure], chosen: Figure | None = None,
                 folder: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export plot")
        self.setMinimumWidth(460)
        self.figures = list(figures)
        self.folder = folder or Path.home()
        self.browser: QFileDialog | None = None
        self.figure = QComboBox()
        for figure in self.figures:
            self.figure.addItem(figure.figure_title)
        self.format = QComboBox()
        for suffix, name in FORMATS.items():
            self.format.addItem(f"{name} ({suffix})", suffix)
        self.width_box, self.height_box = _side(800), _side(600)
        self.path = QLineEdit()
        browse = QPushButton("&Browse…", clicked=self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(self.height_box)
        form = QFormLayout()
        form.addRow("&Plot:", self.figure)
        form.addRow("&Format:", self.format)
        # rows of a layout get no buddy from the form: Alt+S and Alt+I need one
        form.addRow(QLabel("&Size (width × height):", buddy=self.width_box), size_row)
        form.addRow(QLabel("F&ile:", buddy=self.path), file_row)
        self.error = error_label(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.figure.currentIndexChanged.connect(self._figure_changed)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.figure.setCurrentIndex(self.figures.index(chosen) if chosen in self.figures else 0)
        self._figure_changed(self.figure.currentIndex())

    def suffix(self) -> str:
        return self.format.currentData()

    def _figure_changed(self, index: int) -> None:
        """The size on screen is the starting size; the file name follows the plot."""
        figure = self.figures[index]
        size = figure.size()
        self.width_box.setValue(int(max(size.width(), MIN_SIDE)))
        self.height_box.setValue(int(max(size.height(), MIN_SIDE)))
        name = "".join(c if c.isalnum() else "_" for c in figure.figure_title).strip("_")
        self.path.setText(str(self.folder / f"{name.lower()}{self.suffix()}"))

    def _format_changed(self) -> None:
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(self.suffix())))

    def browse(self) -> None:
        self.browser = QFileDialog(self, "Export plot", self.path.text(),
                                   f"{FORMATS[self.suffix()]} (*{self.suffix()})")
        self.browser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.browser.fileSelected.connect(self.path.setText)
        self.browser.open()

    def accept(self) -> None:
        text = self.path.text().strip()
        if not text:
            self._fail("choose a file to save the plot in")
            return
        path = Path(text).expanduser()
        if path.suffix.lower() not in FORMATS:
            path = path.with_name(path.name + self.suffix())
        try:
            written = export_figure(self.figures[self.figure.currentIndex()], path,
                                    self.width_box.value(), self.height_box.value())
        except (OSError, ValueError) as exc:
            self._fail(f"the plot was not saved: {exc}")
            return
        self.exported.emit(str(written))
        super().accept()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


class Exports(QObject):
    """A view's export and copy: the first figure is the whole view, the rest its plots.

    Nothing happens while the view has no data (figures() returns an empty list)."""

    def __init__(self, view: QWidget, figures: Callable[[], list[Figure]]):
        super().__init__(view)
        self.view, self.figures = view, figures
        self.folder = Path.home()
        self.dialog: ExportDialog | None = None

    def export(self, chosen: Figure | None = None) -> None:
        figures = self.figures()
        if not figures:
            return
        self.dialog = ExportDialog(figures, chosen or figures[0], self.folder, self.view)
        self.dialog.exported.connect(self._exported)
        self.dialog.open()

    def _exported(self, path: str) -> None:
        self.folder = Path(path).parent

    def copy(self, chosen: Figure | None = None) -> None:
        figures = self.figures()
        if figures:
            copy_figure(chosen or figures[0])
