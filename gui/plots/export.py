"""Export a plot as PNG or SVG at a chosen size, or copy it to the clipboard.

An export draws a fresh copy of the plot (its replica(), holding the same
data) laid out at the requested size on a canvas that is never shown: axes,
legends and fonts are arranged for that size instead of being stretched, and
the plot on screen is left alone. A size too small for the plots is laid out
larger in the same shape and the finished drawing scaled down whole. SVG comes
from Qt's own SVG 1.1 generator (clip paths, text kept as text); pyqtgraph's
SVGExporter fails on the closed paths Qt 6.12 writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pyqtgraph as pg
import shiboken6
from pyqtgraph.exporters import ImageExporter
from pyqtgraph.exporters.Exporter import Exporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsWidget

FORMATS = {".png": "PNG image", ".svg": "SVG drawing"}
MIN_SIDE, MAX_SIDE = 100, 10000
WHITE = QColor("white")


class Figure(Protocol):
    """Anything the export dialog can offer: a title and a fresh copy with the same data."""

    figure_title: str

    def replica(self) -> QGraphicsWidget: ...

    def size(self) -> QSizeF: ...


@contextmanager
def _laid_out(figure: Figure, width: int, height: int) -> Iterator[QGraphicsWidget]:
    """The figure's replica on a hidden canvas, laid out at width x height or, when its
    plots need more room, at the smallest size of that shape they fit in: the finished
    drawing is then scaled down as a whole, text and all, so nothing is cut or crowded."""
    view = pg.GraphicsView(background="w")
    item = figure.replica()
    view.setCentralItem(item)
    least = item.effectiveSizeHint(Qt.SizeHint.MinimumSize)
    scale = max(1.0, least.width() / width, least.height() / height)
    item.setGeometry(QRectF(0, 0, math.ceil(width * scale), math.ceil(height * scale)))
    try:
        yield item
    finally:
        shiboken6.delete(view)  # now, with its scene and the replica: never left for exit


def _image(item: QGraphicsWidget) -> QImage:
    """The item drawn 1:1 at its laid-out size."""
    exporter = ImageExporter(item)
    params = exporter.parameters()
    params["background"] = WHITE
    size = item.size().toSize()
    params.param("width").setValue(size.width(), blockSignal=exporter.widthChanged)
    params.param("height").setValue(size.height(), blockSignal=exporter.heightChanged)
    return exporter.export(toBytes=True)


def _png(item: QGraphicsWidget, path: Path, width: int, height: int) -> None:
    image = _image(item)
    if (image.width(), image.height()) != (width, height):
        image = image.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")


def _svg_text(item: QGraphicsWidget, width: int, height: int, title: str) -> str:
    """The item as an SVG document whose root says width x height in pixels; its
    viewBox is the laid-out size, so a viewer scales the drawing as a whole."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    drawn = QRectF(QPointF(0, 0), item.size())
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)  # 1.1: with clip paths
    generator.setTitle(title)
    generator.setDescription("TrialDesk plot")
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(drawn)
    # The screen's resolution: axes are recorded QPictures, which a device of another
    # resolution would play back scaled (Qt's default for SVG is 72 dpi).
    generator.setResolution(round(QGuiApplication.primaryScreen().logicalDotsPerInchX()))
    painter = QPainter(generator)
    items = Exporter(item)  # only for its walk over the painted items (vector symbols)
    try:
        items.setExportMode(True, {"antialias": True, "background": WHITE, "painter": painter,
                                   "resolutionScale": 1.0})
        painter.fillRect(drawn, WHITE)
        item.scene().render(painter, drawn, item.sceneBoundingRect())
    finally:
        items.setExportMode(False)
        painter.end()
    text = bytes(data.data()).decode("utf-8")
    return re.sub(r'<svg width="[^"]*" height="[^"]*"',
                  f'<svg width="{width}" height="{height}"', text, count=1)


def export_figure(figure: Figure, path: str | Path, width: int, height: int) -> Path:
    """Write the figure at width x height pixels, as PNG or SVG by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path.name}: save as .png or .svg")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"{width} x {height}: each side must be {MIN_SIDE}–{MAX_SIDE} pixels")
    with _laid_out(figure, width, height) as item:
        if suffix == ".png":
            _png(item, path, width, height)
        else:
            path.write_text(_svg_text(item, width, height, figure.figure_title),
                            encoding="utf-8")
    return path


def copy_figure(figure: Figure) -> None:
    """The figure as an image on the clipboard, at its size on screen."""
    with _laid_out(figure, int(figure.size().width()), int(figure.size().height())) as item:
        QGuiApplication.clipboard().setImage(_image(item))
