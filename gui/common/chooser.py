"""The participant chooser every tab shares: a combo box of up to 10,000 participants that
opens at once (see ParticipantChooser), filled from the light participants.chooser_rows."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QComboBox, QWidget


class ParticipantChooser(QComboBox):
    """A combo box sized to its items as a plain QComboBox is, measuring one text of each
    length (labels differ in their status): Qt measures every item, a third of a second
    for 10,000."""

    def __init__(self, parent: QWidget | None = None, *, editable: bool = False):
        super().__init__(parent)
        self.longest: list[str] = []  # one text of each length: what sets the size
        self.hints: tuple[QSize, QSize] | None = None  # before setEditable, which asks them
        # Qt measures nothing under this policy; the hints below come from a probe.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setEditable(editable)

    def set_items(self, items: list[tuple[str, str | None]]) -> None:
        """Replace the items with these (text, data)."""
        self.clear()
        longest: dict[int, str] = {}
        for text, data in items:
            self.addItem(text, data)
            longest.setdefault(len(text), text)
        self.longest = list(longest.values())
        self.hints = None
        self.updateGeometry()

    def _hints(self) -> tuple[QSize, QSize]:
        """A plain combo box's hints for the longest texts, measured by a new one each
        time: Qt keeps a combo box's minimum size hint from its first asking."""
        if self.hints is None:
            probe = QComboBox()
            probe.setEditable(self.isEditable())
            probe.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            probe.setFont(self.font())
            probe.addItems(self.longest)
            self.hints = (probe.sizeHint(), probe.minimumSizeHint())
        return self.hints

    def sizeHint(self) -> QSize:
        return self._hints()[0]

    def minimumSizeHint(self) -> QSize:
        return self._hints()[1]
