"""Double data entry: a double-entry measure's hand-entered value is stored only when two
different people typed the same, or when a resolver decides with a reason.

The protocol marks a measure `double_entry = true`. A hand entry (services/data_entry.py)
of one of its names (a scan value, a scale's items or its score) that is not stored
yet is held here as a *first entry*; nothing is stored and nobody is shown it. The
second person's entry of the same participant, visit and name either agrees (the
value is stored, recording both people) or makes a *mismatch*, which waits for a
resolver. The rows stay afterwards as the record of who entered what; every change
to them is an ORM change, so it is audited. Values stay text as typed: a missing-data
code ("NA") is compared as text, a number as a number ("2" agrees with "2.0").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import DoubleEntry, Participant, utcnow
from services.context import Actor, App, require
from services.errors import RESOLVE_DOUBLE_ENTRY, Refused
from services.participants import label_of
from trialcore.protocol import Protocol

WAITING, MISMATCH, AGREED, RESOLVED = "waiting", "mismatch", "agreed", "resolved"
OPEN = (WAITING, MISMATCH)


@dataclass(frozen=True)
class PendingRow:
    """A first entry awaiting its second (its value not shown), or a mismatch (both shown)."""

    participant: str
    visit: str
    name: str
    status: str
    first_by: str
    first_at: str
    second_by: str | None
    first_value: str | None
    second_value: str | None
    # what the screens show: the protocol's names for the visit and the value
    visit_label: str = ""
    name_label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def double_names(protocol: Protocol) -> set[str]:
    """Every name entered twice: the scan values, scale scores and items of the
    measures the protocol marks `double_entry = true`."""
    out: set[str] = set()
    for m in protocol.measures:
        if m.double_entry:
            out.add(m.name)
            out.update(m.items)
    return out


def same(a: str, b: str) -> bool:
    """Two typed values agree: as numbers when both are numbers, else as text."""
    try:
        return float(a.replace(",", ".")) == float(b.replace(",", "."))
    except ValueError:
        return a.strip() == b.strip()


def _open_rows(s: Session, participant_id: int, visit: str) -> dict[str, DoubleEntry]:
    rows = s.scalars(select(DoubleEntry).where(DoubleEntry.participant_id == participant_id,
                                               DoubleEntry.visit == visit,
                                               DoubleEntry.status.in_(OPEN)))
    return {r.name: r for r in rows}


@dataclass
class Held:
    """What one hand entry did to double-entry names: the agreed values to store (with
    who entered them first) and, for each name, what happened."""

    agreed: dict[str, str]
    first_by: dict[str, str]
    outcome: list[dict[str, str]]


def hold(s: Session, p: Participant, visit: str, values: Mapping[str, str],
         actor: Actor) -> Held:
    """Record `values` (double-entry names with no stored value) as first or second
    entries. Refuses, writing nothing, a second entry by the first person and an entry
    on a name whose two entries already differ."""
    rows = _open_rows(s, p.id, visit)
    held = Held({}, {}, [])
    for name, text in sorted(values.items()):
        text = str(text).strip()
        row = rows.get(name)
        where = f"{name} of {p.label} {visit}"
        if row is None:
            row = DoubleEntry(participant_id=p.id, visit=visit, name=name, status=WAITING,
                              first_value=text, first_by=actor.name, first_at=utcnow())
            row.participant = p
            s.add(row)
            held.outcome.append({"name": name, "status": WAITING})
            continue
        if row.status == MISMATCH:
            raise Refused(f"{where}: its two entries differ and wait for a resolver; "
                          "nothing was written", hint=RESOLVE_DOUBLE_ENTRY)
        if row.first_by == actor.name:
            raise Refused(f"{where}: you entered it already; double data entry needs a "
                          "second, different person to enter it again; nothing was written")
        row.second_value, row.second_by, row.second_at = text, actor.name, utcnow()
        if same(row.first_value, text):
            row.status = AGREED
            held.agreed[name] = text
            held.first_by[name] = row.first_by
        else:
            row.status = MISMATCH
        held.outcome.append({"name": name, "status": row.status})
    s.flush()
    return held


def open_row(s: Session, p: Participant, visit: str, name: str) -> DoubleEntry:
    """The first entry or mismatch of this name that a resolver decides on."""
    row = _open_rows(s, p.id, visit).get(name)
    if row is None:
        raise Refused(f"{name} of {p.label} {visit} has no first entry or mismatch to "
                      "resolve", hint=RESOLVE_DOUBLE_ENTRY)
    return row


def settle(row: DoubleEntry, value: str, actor: Actor, reason: str) -> None:
    """A resolver's decision, kept on the row (the value itself is stored by the caller)."""
    if actor.name in (row.first_by, row.second_by):
        raise Refused(f"{row.name} of {row.participant.label} {row.visit}: {actor.name} "
                      "entered it; a mismatch is resolved by someone who entered neither "
                      "value; nothing was written")
    row.status = RESOLVED
    row.resolved_value, row.resolved_by, row.resolved_at = value, actor.name, utcnow()
    row.resolution = reason


def _pending_row(r: DoubleEntry, protocol: Protocol) -> PendingRow:
    mismatch = r.status == MISMATCH  # a waiting first entry stays blind to everybody
    return PendingRow(r.participant.label, r.visit, r.name, r.status, r.first_by,
                      r.first_at.isoformat() + "Z", r.second_by,
                      r.first_value if mismatch else None,
                      r.second_value if mismatch else None,
                      protocol.visit_label(r.visit), protocol.name_label(r.name))


def open_entries(s: Session, protocol: Protocol) -> list[PendingRow]:
    """First entries and mismatches still open, in register order, for the list and the
    lock checklist."""
    rows = s.scalars(select(DoubleEntry).join(DoubleEntry.participant)
                     .where(DoubleEntry.status.in_(OPEN))
                     .order_by(Participant.number, DoubleEntry.visit, DoubleEntry.name))
    return [_pending_row(r, protocol) for r in rows.unique()]


def pending(app: App, actor: Actor, participant: object | None = None) -> list[PendingRow]:
    """Open first entries (without their values) and mismatches (with both values)."""
    require(actor, "data.read")
    with app.read() as s:
        rows = open_entries(s, app.protocol)
    if participant is None:
        return rows
    label = label_of(app, participant)
    return [r for r in rows if r.participant == label]
