"""Colours, symbols and fonts shared by every plot, so a condition looks the same everywhere.

Colours are Okabe & Ito's colour-blind-safe set (yellow left out: unreadable on
white), and each condition also has its own symbol, so a grey-scale print
still tells them apart.
"""

from __future__ import annotations

import html
import textwrap
from functools import cache

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QSizePolicy

BLUE, ORANGE, PURPLE, GREEN = "#0072B2", "#E69F00", "#CC79A7", "#009E73"
VERMILLION, SKY, BLACK, GREY = "#D55E00", "#56B4E9", "#000000", "#5F5F5F"
CONDITION_COLOURS = (BLUE, ORANGE, PURPLE, GREEN, VERMILLION, SKY)
CONDITION_SYMBOLS = ("o", "s", "t", "d", "p", "h")
NEUTRAL = GREY  # a value with no condition, and every value while blinded
VISIT_SHADES = ("#9ab0c8", "#6d8aab", "#47698f", "#294b73", "#13325a", "#061c3d")
FONT_POINTS = 9
AXIS_WIDTH, AXIS_HEIGHT = 52, 40  # pixels: room for a label and ticks, or two text lines
TITLE_SIZE = "10pt"


def configure() -> None:
    """Dark text on white, smooth lines; called before any plot is made."""
    pg.setConfigOptions(background="w", foreground="k", antialias=True)


def condition_colour(slot: int) -> str:
    return NEUTRAL if slot < 0 else CONDITION_COLOURS[slot % len(CONDITION_COLOURS)]


def condition_symbol(slot: int) -> str:
    return "o" if slot < 0 else CONDITION_SYMBOLS[slot % len(CONDITION_SYMBOLS)]


def visit_shade(index: int, visits: int) -> str:
    """Blinded lines per visit: one hue, darker with time, so they never read as conditions."""
    last = len(VISIT_SHADES) - 1
    return VISIT_SHADES[round(index * last / max(visits - 1, 1)) if visits <= last + 1
                        else min(index, last)]


@cache
def brush(colour: str, alpha: int = 255) -> QBrush:
    c = QColor(colour)
    c.setAlpha(alpha)
    return QBrush(c)


@cache
def pen(colour: str, width: float = 1.0, dashed: bool = False, alpha: int = 255) -> QPen:
    c = QColor(colour)
    c.setAlpha(alpha)
    p = pg.mkPen(c, width=width)
    if dashed:
        p.setStyle(Qt.PenStyle.DashLine)
    return p


def font() -> QFont:
    f = QFont()
    f.setPointSize(FONT_POINTS)
    return f


def set_title(plot: pg.PlotItem, title: str) -> None:
    """The title never widens its plot: plots in a grid keep equal columns."""
    if plot.titleLabel.text != title or not plot.titleLabel.isVisible():
        plot.setTitle(title, size=TITLE_SIZE)
        plot.titleLabel.setMinimumWidth(0)


HEADING_CHARACTERS = 64  # a note's line: narrower than a laptop window's plot area


def set_heading(label: pg.LabelItem, title: str, note: str) -> None:
    """A figure's heading: the title in bold over a note wrapped to short lines; it never
    widens the figure (a label is as wide as its longest line, whatever it is told)."""
    lines = textwrap.wrap(note, HEADING_CHARACTERS) or [""]
    label.setText(f"<b>{html.escape(title)}</b><br>"
                  + "<br>".join(html.escape(line) for line in lines))
    label.setMinimumWidth(0)


def set_left_label(plot: pg.PlotItem, text: str) -> None:
    if plot.getAxis("left").labelText != text:
        plot.setLabel("left", text, **{"font-size": f"{FONT_POINTS}pt"})


def style_plot(plot: pg.PlotItem, title: str, left: str = "", bottom: str = "",
               sizes: tuple[int, int] = (AXIS_WIDTH, AXIS_HEIGHT)) -> None:
    """Title, axis labels and tick fonts alike in every plot; no autoscale 'A' button.

    Axes get fixed sizes (left width, bottom height): an axis sized by its tick text
    would re-lay out the whole figure whenever a participant's values change width."""
    plot.getAxis("left").setWidth(sizes[0])
    plot.getAxis("bottom").setHeight(sizes[1])
    plot.titleLabel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    set_title(plot, title)
    plot.hideButtons()
    for side, text in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(side)
        axis.setTickFont(font())
        axis.setTextPen(pen(BLACK))
        axis.setPen(pen(GREY))
        axis.enableAutoSIPrefix(False)  # units come from the protocol, never "(x0.001)"
        if text:
            plot.setLabel(side, text, **{"font-size": f"{FONT_POINTS}pt"})
