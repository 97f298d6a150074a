"""Source-data verification: a monitor marks a done visit's values as checked against source.

A mark is one row per participant and visit. Undoing it needs a reason; a later
change to any value of a verified visit (hand entry, a query's correction) removes
the mark in the same unit of work, with an audit entry of its own that says why,
so a verified visit always shows the values that were verified.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Participant, SdvMark, Visit, utcnow
from services.context import Actor, App, need_reason, require
from services.errors import Refused
from services.lifecycle import require_open
from services.participants import load
from services.visits import visit_spec


@dataclass(frozen=True)
class SdvRow:
    participant: str
    visit: str
    verified: bool
    by: str | None
    at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clear_marks(s: Session, visits: set[tuple[int, str]], why: str) -> list[str]:
    """Remove the SDV marks of these (participant id, visit) pairs, audited as sdv.cleared
    with `why`; returns the visits (P001/baseline) whose mark was removed."""
    if not visits:
        return []
    marks = [m for m in s.scalars(select(SdvMark)) if (m.participant_id, m.visit) in visits]
    if not marks:
        return []
    s.flush()
    saved = s.info["action"], s.info.get("reason")
    s.info["action"], s.info["reason"] = "sdv.cleared", why
    for m in marks:
        s.delete(m)
    s.flush()
    s.info["action"], s.info["reason"] = saved
    return [f"{m.participant.label}/{m.visit}" for m in marks]


def mark(app: App, actor: Actor, participant: object, visit: str, *, undo: bool = False,
         reason: str | None = None) -> SdvRow:
    """Mark a done visit as source-verified, or (undo, with a reason) remove the mark."""
    require(actor, "sdv.mark")
    require_open(app)
    visit = visit_spec(app.protocol, visit).id
    if undo:
        reason = need_reason(reason, "undoing a source-data verification")
    with app.write(actor, "sdv.undo" if undo else "sdv.mark", reason) as s:
        p = load(s, app, participant)
        status = s.scalar(select(Visit.status).where(Visit.participant_id == p.id,
                                                     Visit.visit == visit))
        existing = s.scalar(select(SdvMark).where(SdvMark.participant_id == p.id,
                                                  SdvMark.visit == visit))
        if undo:
            if existing is None:
                raise Refused(f"{p.label} {visit} is not marked as source-verified")
            s.delete(existing)
            return SdvRow(p.label, visit, False, None, None)
        if status != "done":
            raise Refused(f"{p.label} {visit} is {status or 'not in the schedule'}: only a "
                          "done visit's values can be source-verified")
        if existing is not None:
            raise Refused(f"{p.label} {visit} is already source-verified (by {existing.by} on "
                          f"{existing.at:%Y-%m-%d})")
        row = SdvMark(participant_id=p.id, visit=visit, by=actor.name, at=utcnow())
        row.participant = p
        s.add(row)
        s.flush()
        return SdvRow(p.label, visit, True, row.by, row.at.isoformat() + "Z")


def rows(session: Session, participant_id: int | None = None) -> list[SdvRow]:
    """Every done visit (of one participant, given its id), verified or not, in register
    and protocol order. Plain columns, not ORM objects: the whole study is 60,000 done
    visits at 10,000 participants."""
    done = (select(Participant.label, Visit.visit, SdvMark.by, SdvMark.at)
            .join(Visit, Visit.participant_id == Participant.id)
            .outerjoin(SdvMark, (SdvMark.participant_id == Visit.participant_id)
                       & (SdvMark.visit == Visit.visit))
            .where(Visit.status == "done").order_by(Participant.number, Visit.id))
    if participant_id is not None:
        done = done.where(Participant.id == participant_id)
    return [SdvRow(label, visit, at is not None, by, at.isoformat() + "Z" if at else None)
            for label, visit, by, at in session.execute(done)]


def list_marks(app: App, actor: Actor, pending: bool = False,
               participant: object | None = None) -> list[SdvRow]:
    """Done visits and whether each is verified; `pending`: only the unverified ones;
    `participant` (any spelling of an ID): only that participant's, as the Visits tab
    needs when it lists one participant."""
    require(actor, "study.read")
    with app.read() as s:
        out = rows(s, None if participant is None else load(s, app, participant).id)
    return [r for r in out if not r.verified] if pending else out
