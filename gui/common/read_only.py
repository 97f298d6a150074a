"""After lock every screen is read-only: widgets that change study data are disabled.

A view marks its write buttons with mark_write(); the main window's gate disables
every marked widget while the study is locked or unblinded and keeps it disabled
even when its view re-enables it (for a new selection, say). The services refuse
such changes anyway; this only spares the user a click that cannot succeed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

WRITE_PROPERTY = "trialdesk_writes_study_data"
CLOSED_STAGES = ("locked", "unblinded")
LOCKED_TIP = "The study is locked: its data are final and can no longer be changed."


def mark_write(*widgets: QWidget) -> None:
    for widget in widgets:
        widget.setProperty(WRITE_PROPERTY, True)


def study_open(stage: str) -> bool:
    return stage not in CLOSED_STAGES


class ReadOnlyGate(QObject):
    """Applies the study's stage to every marked widget under `root`."""

    def __init__(self, root: QWidget):
        super().__init__(root)
        self.root = root
        self.stage: str | None = None  # as last applied
        self.closed = False
        self.disabled: dict[QWidget, str] = {}  # widget -> its tooltip before

    def apply(self, stage: str) -> None:
        self.stage = stage
        self.closed = not study_open(stage)
        marked = [w for w in self.root.findChildren(QWidget) if w.property(WRITE_PROPERTY)]
        if self.closed:
            for widget in marked:
                if widget not in self.disabled:
                    self.disabled[widget] = widget.toolTip()
                    widget.installEventFilter(self)
                widget.setEnabled(False)
                widget.setToolTip(LOCKED_TIP)
            return
        for widget, tip in self.disabled.items():
            widget.removeEventFilter(self)
            widget.setToolTip(tip)
            widget.setEnabled(True)  # the view narrows this again when it next updates
        self.disabled.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (self.closed and event.type() == QEvent.Type.EnabledChange
                and isinstance(watched, QWidget) and watched.isEnabled()):
            watched.setEnabled(False)
        return False
