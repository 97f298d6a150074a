"""Hand entry of one done visit's values: a form generated from the protocol's measures.

Every scan measure, every questionnaire item and each scale's score gets a field,
filled with what is stored. Only the fields the user changed are sent, in one
service call (services.data_entry), which checks, scores and audits them exactly as
an import would; changing a stored value needs the reason field. A double-entry
measure's field says so; its first entry is not a stored value, so a second person
sees the field blank.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from gui.participants.participant_dialogs import ServiceDialog
from gui.visits.visit_dialogs import visit_heading
from services import data_entry
from services.context import Actor, App
from services.data_entry import EntryResult
from services.errors import Refused
from services.visits import VisitRow


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class EnterValuesDialog(ServiceDialog):
    """saved emits the services EntryResult."""

    def __init__(self, app: App, actor: Actor, row: VisitRow, parent: QWidget | None = None):
        super().__init__(app, actor, f"Enter values {row.participant} – {row.label}", "Save",
                         parent)
        self.row = row
        stored = {r["name"]: r["value"] for r in data_entry.show(app, actor, row.participant,
                                                                 row.visit)}
        self.fields: dict[str, QLineEdit] = {}
        self.before: dict[str, str] = {}
        self.heading = visit_heading(row)
        self.form.addRow(self.heading)
        for m in app.protocol.measures:
            twice = " – entered twice (double data entry)" if m.double_entry else ""
            if m.kind == "questionnaire":
                self.form.addRow(QLabel(f"<b>{m.label}</b> (items {m.min:g}–{m.max:g})"
                                        + twice))
                for item in m.items:
                    self._field(item, app.protocol.name_label(item), stored.get(item),
                                f"{m.min:g} to {m.max:g}")
                lo, hi = data_entry.score_range(m)
                self._field(m.name, f"{m.label}: score", stored.get(m.name),
                            f"computed from the items; or a paper score {lo:g} to {hi:g}")
            else:
                self._field(m.name, f"{m.label} [{m.unit}]{twice}", stored.get(m.name),
                            f"{m.min:g} to {m.max:g}")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("required when a stored value changes")
        self.form.addRow("&Reason:", self.reason)

    def _field(self, name: str, label: str, value: float | None, hint: str) -> None:
        edit = QLineEdit(_shown(value))
        edit.setObjectName(name)
        edit.setPlaceholderText(hint)
        edit.setToolTip(name)  # the id a file or the command line uses
        self.fields[name] = edit
        self.before[name] = edit.text()
        self.form.addRow(label + ":", edit)

    def changed(self) -> dict[str, str]:
        """The fields whose text the user changed (an emptied field removes nothing)."""
        return {n: e.text().strip() for n, e in self.fields.items()
                if e.text().strip() != self.before[n] and e.text().strip()}

    def submit(self) -> EntryResult:  # type: ignore[override]
        values = self.changed()
        if not values:
            raise Refused("nothing was changed: type the values to enter")
        return data_entry.set_values(self.app, self.actor, self.row.participant, self.row.visit,
                                     values, self.reason.text().strip() or None)
