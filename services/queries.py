"""Data queries: a monitor's question about one value, the coordinator's answer, closure.

States: open (raised or re-opened) → answered (the coordinator replied, perhaps
correcting the value in the same step) → closed (the monitor is satisfied) or
open again. Every step is a query_messages row, so the whole conversation is kept;
both tables are ORM rows, so every step is in the audit trail. The lock checklist
refuses while any query is open or answered but not closed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import DataQuery, Participant, QueryMessage, utcnow
from services.context import Actor, App, need_reason, require
from services.errors import NotFound, Refused
from services.lifecycle import require_open
from services.participants import load, number_of
from services.visits import visit_spec
from trialcore.protocol import Protocol

if TYPE_CHECKING:
    from services.data_entry import EntryResult

# services.data_entry (the import path: pandas) is imported by the two functions that use
# it, not with this module: the Queries and Lock tabs list queries without it.

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATUSES = (OPEN, ANSWERED, CLOSED)


@dataclass(frozen=True)
class QueryRow:
    id: int
    participant: str
    visit: str
    name: str
    status: str
    text: str
    opened_by: str
    opened_at: str
    # what the screens show: the protocol's names for the visit and the value
    visit_label: str = ""
    name_label: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _message(m: QueryMessage) -> dict[str, Any]:
    return {"kind": m.kind, "text": m.text, "by": m.by, "at": m.at.isoformat() + "Z"}


def _row(q: DataQuery, protocol: Protocol) -> QueryRow:
    messages = [_message(m) for m in q.messages]
    return QueryRow(q.id, q.participant.label, q.visit, q.name, q.status,
                    messages[0]["text"] if messages else "", q.opened_by,
                    q.opened_at.isoformat() + "Z", protocol.visit_label(q.visit),
                    protocol.name_label(q.name),
                    [m for m in messages if m["kind"] == "answer"], messages)


def _text(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise Refused(f"{what} needs a text", fields=("text",))
    return text.strip()


def _load(s: Session, number: int) -> DataQuery:
    q = s.get(DataQuery, number)
    if q is None:
        raise NotFound(f"no query {number}")
    return q


def _say(s: Session, q: DataQuery, kind: str, text: str, actor: Actor) -> None:
    s.add(QueryMessage(query=q, kind=kind, text=text, by=actor.name, at=utcnow()))


def open_query(app: App, actor: Actor, participant: object, visit: str, name: str,
               text: str | None) -> QueryRow:
    """Raise a query about one measure, scale or item of a participant's visit."""
    require(actor, "queries.raise")
    require_open(app)
    text = _text(text, "a query")
    from services.data_entry import known_names

    visit = visit_spec(app.protocol, visit).id
    if name not in known_names(app.protocol):
        raise Refused(f"{name}: not a measure, scale or item of the protocol")
    with app.write(actor, "query.open") as s:
        p = load(s, app, participant)
        q = DataQuery(participant_id=p.id, visit=visit, name=name, status=OPEN,
                      opened_by=actor.name, opened_at=utcnow())
        q.participant = p
        s.add(q)
        _say(s, q, "open", text, actor)
        s.flush()
        return _row(q, app.protocol)


def answer(app: App, actor: Actor, number: int, text: str | None, value: str | None = None,
           reason: str | None = None) -> tuple[QueryRow, EntryResult | None]:
    """The coordinator's reply; with `value`, the queried value is corrected in the same
    unit of work (a hand entry with its reason, which clears any SDV mark)."""
    require(actor, "queries.answer")
    require_open(app)
    text = _text(text, "an answer")
    if value is not None:
        require(actor, "values.enter")
        reason = need_reason(reason, f"correcting the value in answer to query {number}")
    corrected = None
    with app.write(actor, "query.answer", reason) as s:
        q = _load(s, number)
        if q.status != OPEN:
            raise Refused(f"query {number} is {q.status}: only an open query is answered")
        if value is not None:
            from services.data_entry import enter

            corrected = enter(s, app, actor, q.participant.label, q.visit, {q.name: value},
                              reason)
        q.status = ANSWERED
        _say(s, q, "answer", text + (f" [value set to {value}]" if value is not None else ""),
             actor)
        s.flush()
        return _row(q, app.protocol), corrected


def close(app: App, actor: Actor, number: int, text: str | None = None) -> QueryRow:
    """The monitor closes a query (usually once answered)."""
    require(actor, "queries.raise")
    require_open(app)
    with app.write(actor, "query.close") as s:
        q = _load(s, number)
        if q.status == CLOSED:
            raise Refused(f"query {number} is closed already")
        q.status = CLOSED
        _say(s, q, "close", (text or "").strip() or "closed", actor)
        s.flush()
        return _row(q, app.protocol)


def reopen(app: App, actor: Actor, number: int, text: str | None) -> QueryRow:
    """The monitor re-opens an answered or closed query, saying why."""
    require(actor, "queries.raise")
    require_open(app)
    text = _text(text, "re-opening a query")
    with app.write(actor, "query.reopen", text) as s:
        q = _load(s, number)
        if q.status == OPEN:
            raise Refused(f"query {number} is open already")
        q.status = OPEN
        _say(s, q, "reopen", text, actor)
        s.flush()
        return _row(q, app.protocol)


# What a listed query is read from, in one statement: its columns, its participant's label
# and its messages (one row each, outer-joined: every query has its opening message, but a
# list must not lose a query that had none). ORM objects with their lazy-loaded messages
# took a statement per query and 1.5 s for 1,800 queries.
LISTED = (DataQuery.id, Participant.label, DataQuery.visit, DataQuery.name, DataQuery.status,
          DataQuery.opened_by, DataQuery.opened_at, QueryMessage.kind, QueryMessage.text,
          QueryMessage.by, QueryMessage.at)


def _listed(s: Session, query: Select[Any], protocol: Protocol) -> list[QueryRow]:
    """QueryRows (as _row makes them) from LISTED rows, ordered by query and message."""
    out = []
    visit_label, name_label = cache(protocol.visit_label), cache(protocol.name_label)
    rows = s.execute(query.order_by(DataQuery.id, QueryMessage.id))
    for _number, grouped in groupby(rows, key=itemgetter(0)):
        group = list(grouped)
        number, label, visit, name, status, opened_by, opened_at = group[0][:7]
        messages = [{"kind": r[7], "text": r[8], "by": r[9], "at": r[10].isoformat() + "Z"}
                    for r in group if r[7] is not None]
        out.append(QueryRow(number, label, visit, name, status,
                            messages[0]["text"] if messages else "", opened_by,
                            opened_at.isoformat() + "Z", visit_label(visit),
                            name_label(name),
                            [m for m in messages if m["kind"] == "answer"], messages))
    return out


def _select() -> Select[Any]:
    return (select(*LISTED).join(Participant, DataQuery.participant_id == Participant.id)
            .outerjoin(QueryMessage, QueryMessage.query_id == DataQuery.id))


def unresolved(s: Session, protocol: Protocol) -> list[QueryRow]:
    """Queries not closed (open or answered), for the lock checklist: plain columns and
    the opening text in one statement, without the conversation (answers and messages
    left empty), so a study with hundreds of open queries lists them at once."""
    opening = (select(QueryMessage.text).where(QueryMessage.query_id == DataQuery.id)
               .order_by(QueryMessage.id).limit(1).scalar_subquery())
    rows = s.execute(select(DataQuery.id, Participant.label, DataQuery.visit, DataQuery.name,
                            DataQuery.status, opening, DataQuery.opened_by,
                            DataQuery.opened_at)
                     .join(Participant, Participant.id == DataQuery.participant_id)
                     .where(DataQuery.status != CLOSED).order_by(DataQuery.id))
    return [QueryRow(number, label, visit, name, status, text or "", by,
                     at.isoformat() + "Z", protocol.visit_label(visit),
                     protocol.name_label(name))
            for number, label, visit, name, status, text, by, at in rows]


def list_queries(app: App, actor: Actor, *, status: str | None = None,
                 participant: object | None = None,
                 not_closed: bool = False) -> list[QueryRow]:
    """Queries with their conversation, oldest first; filtered by status and participant,
    and to those still open or answered when `not_closed`."""
    require(actor, "queries.read")
    if status is not None and status not in STATUSES:
        raise Refused(f"unknown query status {status!r}; statuses are {', '.join(STATUSES)}")
    q = _select()
    if status is not None:
        q = q.where(DataQuery.status == status)
    if not_closed:
        q = q.where(DataQuery.status != CLOSED)
    if participant is not None:
        q = q.where(Participant.number == number_of(app, participant))
    with app.read() as s:
        return _listed(s, q, app.protocol)
