"""The participant register: add, find by any spelling, edit with a reason, withdraw."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Participant
from services.context import Actor, App, need_reason, require
from services.dates import checked_date
from services.errors import Conflict, NotFound, Refused
from services.lifecycle import require_open
from services.schedule import LOGGED_STATUSES, on_registration, on_withdrawal, reschedule
from trialcore.ids import ParticipantIdError, canonical_id, participant_number
from trialcore.schedule import registration_change_problem

EDITABLE = ("notes", "registered_on")


@dataclass(frozen=True)
class ParticipantRow:
    """What lists and tables show; never holds a condition."""

    label: str
    number: int
    status: str
    stratum: str | None
    registered_on: dt.date
    enrolled_on: dt.date | None
    withdrawn_on: dt.date | None
    withdrawal_reason: str | None
    notes: str
    emergency_unblinded: bool
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.label, "status": self.status, "stratum": self.stratum,
            "registered_on": self.registered_on.isoformat(),
            "enrolled_on": self.enrolled_on.isoformat() if self.enrolled_on else None,
            "withdrawn_on": self.withdrawn_on.isoformat() if self.withdrawn_on else None,
            "withdrawal_reason": self.withdrawal_reason, "notes": self.notes,
            "emergency_unblinded": self.emergency_unblinded, "version": self.version,
        }


def _row(p: Participant) -> ParticipantRow:
    return ParticipantRow(p.label, p.number, p.status, p.stratum, p.registered_on,
                          p.enrolled_on, p.withdrawn_on, p.withdrawal_reason, p.notes,
                          p.emergency_unblinded, p.version)


# ParticipantRow's fields are Participant's columns of the same names, in that order.
ROW_COLUMNS = tuple(getattr(Participant, f.name) for f in fields(ParticipantRow))


def number_of(app: App, text: object) -> int:
    try:
        return participant_number(text, app.protocol.id_prefix)
    except ParticipantIdError as exc:
        raise Refused(str(exc)) from exc


def label_of(app: App, text: object) -> str:
    """The canonical label (P007) for any accepted spelling (7, P7, sub-007)."""
    return canonical_id(number_of(app, text), app.protocol.id_prefix, app.protocol.id_digits)


def load(session: Session, app: App, text: object) -> Participant:
    number = number_of(app, text)
    p = session.scalar(select(Participant).where(Participant.number == number))
    if p is None:
        raise NotFound(f"no participant {text!s} (looked for {label_of(app, text)})")
    return p


def list_participants(app: App, actor: Actor) -> list[ParticipantRow]:
    require(actor, "study.read")
    with app.read() as s:
        # Plain rows, not ORM objects: a third of the time at 10,000 participants.
        return [ParticipantRow(*r) for r in s.execute(select(*ROW_COLUMNS)
                                                      .order_by(Participant.number))]


def chooser_rows(app: App, actor: Actor, *, status: str | None = None) -> list[tuple[str, str]]:
    """(label, status) of every participant (or of those with `status`) in number order:
    what a chooser lists, read without the rest of the register."""
    require(actor, "study.read")
    q = select(Participant.label, Participant.status).order_by(Participant.number)
    if status is not None:
        q = q.where(Participant.status == status)
    with app.read() as s:
        return [(label, state) for label, state in s.execute(q)]


def get(app: App, actor: Actor, text: object) -> ParticipantRow:
    require(actor, "study.read")
    with app.read() as s:
        return _row(load(s, app, text))


def add(app: App, actor: Actor, text: object, *, stratum: str | None = None,
        registered_on: dt.date | None = None, notes: str = "",
        stratum_reason: str | None = None) -> ParticipantRow:
    require(actor, "participants.write")
    require_open(app)
    protocol = app.protocol
    number = number_of(app, text)
    label = canonical_id(number, protocol.id_prefix, protocol.id_digits)
    if stratum is not None and stratum not in protocol.strata:
        raise Refused(f"unknown stratum {stratum!r}; strata are {', '.join(protocol.strata)}")
    with app.write(actor, "participant.add") as s:
        if s.scalar(select(Participant.id).where(Participant.number == number)):
            raise Refused(f"participant {label} already exists (you typed {text!s})")
        p = Participant(
            number=number, label=label, status="registered", stratum=stratum,
            stratum_source="manual" if stratum else None,
            stratum_reason=(stratum_reason or "entered at registration") if stratum else None,
            registered_on=checked_date(registered_on or dt.date.today(), "registration date"),
            notes=notes,
        )
        s.add(p)
        s.flush()
        on_registration(s, protocol, p)
        return _row(p)


def last_editor(session: Session, entity: str, key: str) -> tuple[str, dt.datetime] | None:
    row = session.execute(
        select(AuditEntry.actor, AuditEntry.at)
        .where(AuditEntry.entity == entity, AuditEntry.entity_key == key)
        .order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (row.actor, row.at) if row else None


def check_version(session: Session, obj: Any, expected: int | None) -> None:
    """Optimistic concurrency: refuse a save based on a record someone changed since."""
    if expected is None or obj.version == expected:
        return
    who = last_editor(session, obj.__tablename__, obj.audit_key())
    by = f" by {who[0]} at {who[1]:%Y-%m-%d %H:%M} UTC" if who else ""
    raise Conflict(f"{obj.audit_key()} was changed{by} after you opened it; nothing was "
                   "saved. Reload it and make your change again.")


def edit(app: App, actor: Actor, text: object, changes: dict[str, Any], reason: str | None,
         expected_version: int | None = None) -> ParticipantRow:
    require(actor, "participants.write")
    require_open(app)
    reason = need_reason(reason, "changing a participant")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Refused(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    if "registered_on" in changes:
        checked_date(changes["registered_on"], "registration date")
    with app.write(actor, "participant.edit", reason) as s:
        p = load(s, app, text)
        check_version(s, p, expected_version)
        moved = changes.get("registered_on", p.registered_on) != p.registered_on
        if moved:
            _check_registration(p, changes["registered_on"])
        for key, value in changes.items():
            setattr(p, key, value)
        if moved:
            reschedule(s, app.protocol, p, reason=f"registration date corrected: {reason}")
        s.flush()
        return _row(p)


def _check_registration(p: Participant, registered_on: dt.date) -> None:
    """Refuse a registration date that contradicts what was recorded after it."""
    recorded = {v.visit: v.actual_date for v in p.visits
                if v.status in LOGGED_STATUSES and v.actual_date is not None}
    problem = registration_change_problem(registered_on, enrolment=p.enrolled_on,
                                          recorded=recorded)
    if problem:
        raise Refused(f"{p.label} cannot be registered on {registered_on}: {problem}; "
                      "nothing was changed")


def withdraw(app: App, actor: Actor, text: object, reason: str | None,
             on: dt.date | None = None, expected_version: int | None = None) -> ParticipantRow:
    require(actor, "participants.write")
    require_open(app)
    reason = need_reason(reason, "withdrawing a participant")
    with app.write(actor, "participant.withdraw", reason) as s:
        p = load(s, app, text)
        check_version(s, p, expected_version)
        if p.status == "withdrawn":
            raise Refused(f"{p.label} was already withdrawn on {p.withdrawn_on}")
        p.status = "withdrawn"
        p.withdrawn_on = checked_date(on or dt.date.today(), "withdrawal date")
        p.withdrawal_reason = reason
        on_withdrawal(s, p, reason)
        s.flush()
        return _row(p)
