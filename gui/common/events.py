"""The views' shared signals, so no view needs to know which others exist.

    from gui.common.events import events
    events().participant_selected.emit("P007")   # the register's selection changed
    events().data_changed.emit()                 # after an import, a logged visit, a lock
    events().visit_requested.connect(slot)       # someone clicked a plotted visit

Connect bound methods of QObjects (widgets), not lambdas: Qt drops those
connections when the widget is destroyed, so a closed view is never called.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Events(QObject):
    participant_selected = Signal(str)  # participant label, e.g. "P007"
    data_changed = Signal()  # study data changed: views that show data re-read them
    visit_requested = Signal(str, str)  # participant label, visit id: show this visit


_hub: Events | None = None


def events() -> Events:
    """The one hub of this process, made on first use (after the QApplication)."""
    global _hub
    if _hub is None:
        _hub = Events()
    return _hub
