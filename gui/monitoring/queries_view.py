"""The Queries tab: data queries filtered by state and participant, each with its
conversation and the queried value in context; Answer (coordinator), Close and Re-open
(monitor). The services decide who may do what; the buttons only mirror it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.common.events import events
from gui.common.messages import describe, show_message
from gui.common.read_only import mark_write
from gui.common.table_model import Column, RowTableModel, labelled
from gui.common.widgets import fit_columns, placeholder, row_table, selected_row
from gui.participants.participant_dialogs import ServiceDialog
from services import queries
from services.context import Actor, App
from services.errors import Refused
from services.queries import QueryRow
from trialcore.roles import allowed

COLUMNS = [
    Column("No.", lambda q: str(q.id), lambda q: q.id),
    Column("Participant", lambda q: q.participant),
    labelled("Visit", lambda q: q.visit_label, lambda q: q.visit),
    labelled("Value", lambda q: q.name_label, lambda q: q.name),
    Column("State", lambda q: q.status),
    Column("Question", lambda q: q.text, tooltip=lambda q: q.text),
]
QUERY_COLUMN_WIDTH = 180  # pixels a column takes at most: the question takes the rest
WHOLE_COLUMNS = (0, 1, 2, 4)
STATES = (("Not closed", "unresolved"), ("All", None), ("Open", "open"),
          ("Answered", "answered"), ("Closed", "closed"))


class RaiseQueryDialog(ServiceDialog):
    """The monitor's question on one value: participant, visit, measure or item, text."""

    def __init__(self, app: App, actor: Actor, participant: str | None,
                 parent: QWidget | None = None):
        super().__init__(app, actor, "Raise query", "Raise", parent)
        from services.data_entry import labelled_names  # pandas: when the dialog opens

        self.participant = QLineEdit(participant or "")
        self.visit = QComboBox()
        for v in app.protocol.visits:
            self.visit.addItem(v.label, v.id)
        self.name = QComboBox()
        for name, label in labelled_names(app.protocol):
            self.name.addItem(label, name)
        self.text = QLineEdit()
        self.form.addRow("&Participant:", self.participant)
        self.form.addRow("&Visit:", self.visit)
        self.form.addRow("&Value:", self.name)
        self.form.addRow("&Question:", self.text)

    def submit(self) -> QueryRow:  # type: ignore[override]
        return queries.open_query(self.app, self.actor, self.participant.text().strip(),
                                  self.visit.currentData(), self.name.currentData(),
                                  self.text.text())


def conversation(q: QueryRow) -> str:
    return "\n\n".join(f"{m['at'][:16].replace('T', ' ')}  {m['by']} ({m['kind']}):\n"
                       f"{m['text']}" for m in q.messages)


class QueriesView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.message: QMessageBox | None = None
        self.state = QComboBox()
        for text, data in STATES:
            self.state.addItem(text, data)
        self.state.currentIndexChanged.connect(self.reload)
        self.participant = QLineEdit()
        self.participant.setPlaceholderText("all participants (or e.g. P007)")
        self.participant.editingFinished.connect(self.reload)
        self.model = RowTableModel(COLUMNS, self)
        self.table = row_table(self.model, 0)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.talk = QPlainTextEdit(readOnly=True)
        self.context = QLabel()
        self.context.setWordWrap(True)
        self.reply = QLineEdit()
        self.reply.setPlaceholderText("your answer or note")
        self.value = QLineEdit()
        self.value.setPlaceholderText("corrected value (optional)")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("reason for the correction")
        self.answer_button = QPushButton("&Answer", clicked=self.answer)
        self.close_button = QPushButton("&Close query", clicked=self.close_query)
        self.reopen_button = QPushButton("&Re-open", clicked=self.reopen)
        self.raise_button = QPushButton("Raise &query…", clicked=self.open_raise)
        self.goto_button = QPushButton("&Go to the visit", clicked=self.go_to_visit)
        self.dialog: RaiseQueryDialog | None = None
        mark_write(self.answer_button, self.close_button, self.reopen_button,
                   self.raise_button)
        can_answer = allowed(actor.role, "queries.answer")
        can_raise = allowed(actor.role, "queries.raise")
        for w in (self.answer_button, self.value, self.reason):
            w.setVisible(can_answer)
        for w in (self.close_button, self.reopen_button, self.raise_button):
            w.setVisible(can_raise)
        self.reply.setVisible(can_answer or can_raise)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("&State:", buddy=self.state))
        filters.addWidget(self.state)
        filters.addWidget(QLabel("&Participant:", buddy=self.participant))
        filters.addWidget(self.participant)
        filters.addStretch(1)
        filters.addWidget(self.raise_button)
        buttons = QHBoxLayout()
        for w in (self.reply, self.value, self.reason, self.answer_button, self.close_button,
                  self.reopen_button):
            buttons.addWidget(w)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("<b>Value in context</b>"))
        side_layout.addWidget(self.context)
        side_layout.addWidget(self.goto_button)
        side_layout.addWidget(QLabel("<b>Conversation</b>"))
        side_layout.addWidget(self.talk, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.reload()

    def refresh(self) -> None:
        self.reload()

    def selected(self) -> QueryRow | None:
        return selected_row(self.table)

    def reload(self) -> None:
        chosen = self.selected()
        state = self.state.currentData()
        try:
            rows = queries.list_queries(self.app, self.actor,
                                        status=None if state in (None, "unresolved") else state,
                                        participant=self.participant.text().strip() or None,
                                        not_closed=state == "unresolved")
        except Refused as exc:
            self.message = show_message(self, "Queries", describe(exc))
            rows = []
        self.model.set_rows(rows)
        # labels are long: on a laptop the value is shortened (whole in its tooltip), the
        # number, participant, visit and state stay whole
        fit_columns(self.table, widest=QUERY_COLUMN_WIDTH, whole=WHOLE_COLUMNS)
        for i, q in enumerate(self.model.rows):
            if chosen is not None and q.id == chosen.id:
                self.table.selectRow(i)
        self._selected()

    def _selected(self, *_: object) -> None:
        q = self.selected()
        self.talk.setPlainText(conversation(q) if q else "")
        self.context.setText(self._context(q) if q else "Select a query.")
        self.answer_button.setEnabled(q is not None and q.status == queries.OPEN)
        self.close_button.setEnabled(q is not None and q.status != queries.CLOSED)
        self.reopen_button.setEnabled(q is not None and q.status != queries.OPEN)
        self.goto_button.setEnabled(q is not None)

    def go_to_visit(self) -> None:
        """The other tabs follow: the participant is selected and the visit asked for."""
        q = self.selected()
        if q is not None:
            events().participant_selected.emit(q.participant)
            events().visit_requested.emit(q.participant, q.visit)

    def _context(self, q: QueryRow) -> str:
        """The visit's stored values, the queried one in bold, with where it came from."""
        from services import data_entry  # pandas: once a query is selected, not with the tab

        rows = data_entry.show(self.app, self.actor, q.participant, q.visit)
        parts = []
        for r in rows:
            text = f"{r['label']} = {'' if r['value'] is None else format(r['value'], 'g')}"
            if r["name"] == q.name:
                how = (f"hand entry by {r['user']}" if r["source"] == "entry"
                       else f"import {r['import_id']} ({r['file']})")
                text = f"<b>{text}</b> ({how})"
            parts.append(text)
        if not any(r["name"] == q.name for r in rows):
            parts.insert(0, f"<b>{q.name_label}: no value stored</b>")
        return f"{q.participant}, {q.visit_label}: " + "; ".join(parts)

    def _run(self, title: str, call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except Refused as exc:
            self.message = show_message(self, title, describe(exc))
            return
        for edit in (self.reply, self.value, self.reason):
            edit.clear()
        self.reload()

    def answer(self) -> None:
        q = self.selected()
        if q is not None:
            self._run("Not answered", lambda: queries.answer(
                self.app, self.actor, q.id, self.reply.text(),
                self.value.text().strip() or None, self.reason.text().strip() or None))

    def close_query(self) -> None:
        q = self.selected()
        if q is not None:
            self._run("Not closed", lambda: queries.close(self.app, self.actor, q.id,
                                                           self.reply.text()))

    def open_raise(self) -> None:
        chosen = self.selected()
        text = self.participant.text().strip() or (chosen.participant if chosen else None)
        self.dialog = RaiseQueryDialog(self.app, self.actor, text, self)
        self.dialog.saved.connect(lambda _q: self.reload())
        self.dialog.open()

    def reopen(self) -> None:
        q = self.selected()
        if q is not None:
            self._run("Not re-opened", lambda: queries.reopen(self.app, self.actor, q.id,
                                                               self.reply.text()))


def queries_tab(app: App, actor: Actor, parent: QWidget) -> QWidget:
    """The tab for roles that read queries; a note for the others."""
    if allowed(actor.role, "queries.read"):
        return QueriesView(app, actor, parent)
    return placeholder(f"Data queries are not shown to the {actor.role} role.", parent)
