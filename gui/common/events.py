"""The views' shared signals, so no view needs to know which others exist.

    from gui.common.events import events
    events().select_participant("P007")          # a view's selection changed: others follow
    events().data_changed.emit()                 # after an import, a logged visit, a lock
    events().visit_requested.emit("P007", "dose2")  # open this visit on the Visits tab

The hub remembers the current participant, so a tab built later (or shown again)
starts on the participant the user was looking at elsewhere.

Connect bound methods of QObjects (widgets), not lambdas: Qt drops those
connections when the widget is destroyed, so a closed view is never called.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Events(QObject):
    participant_selected = Signal(str)  # participant label, e.g. "P007"
    data_changed = Signal()  # study data changed: views that show data re-read them
    # participant label and visit id ("" for none): the main window shows it on the Visits tab
    visit_requested = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.participant: str | None = None  # the current participant, shared by the tabs

    def select_participant(self, label: str) -> None:
        """Make `label` the current participant; announced only when it changes, so views
        that follow each other do not echo the selection back and forth."""
        if label and label != self.participant:
            self.participant = label
            self.participant_selected.emit(label)


_hub: Events | None = None


def events() -> Events:
    """The one hub of this process, made on first use (after the QApplication)."""
    global _hub
    if _hub is None:
        _hub = Events()
    return _hub
