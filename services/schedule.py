"""Keeping each participant's visit rows in step with the protocol's visit plan.

The arithmetic lives in trialcore.schedule; this module only applies it to the
stored rows, so registration, enrolment, logging and withdrawal all move the
schedule the same way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import Participant, Visit
from trialcore.protocol import Protocol
from trialcore.schedule import ENROLMENT, ScheduledVisit, compute_schedule, deviation

OPEN_STATUSES = ("scheduled", "booked")
LOGGED_STATUSES = ("done", "missed")


def done_dates(p: Participant) -> dict[str, dt.date]:
    """Actual dates of visits that happened: only these anchor the visits after them."""
    return {v.visit: v.actual_date for v in p.visits
            if v.status == "done" and v.actual_date is not None}


def plan_for(protocol: Protocol, p: Participant) -> dict[str, ScheduledVisit]:
    """Each schedulable visit's target and window for this participant, as of now."""
    return compute_schedule(
        protocol.visits, registration=p.registered_on, enrolment=p.enrolled_on,
        actual=done_dates(p), washout_days=protocol.washout_days,
        skip_weekends=protocol.skip_weekends,
    )


def hangs_off_enrolment(protocol: Protocol, visit_id: str) -> bool:
    """True when the visit is scheduled, directly or through other visits, from enrolment."""
    by_id = {v.id: v for v in protocol.visits}
    anchor = by_id[visit_id].anchor
    while anchor in by_id:
        anchor = by_id[anchor].anchor
    return anchor == ENROLMENT


def reschedule(session: Session, protocol: Protocol, p: Participant,
               reason: str | None = None) -> None:
    """Create missing visit rows and move targets and windows after a change.

    Open visits simply move. A visit already done keeps its date, but its window
    follows its anchor (a corrected anchor date changes what counts as on time),
    so its deviation is re-measured; a deviation that appears this way carries
    the `reason` of the change that caused it, so it never stands unexplained.
    """
    rows = {v.visit: v for v in p.visits}
    planned = plan_for(protocol, p)
    for spec in protocol.visits:
        row = rows.get(spec.id)
        if row is None:
            row = Visit(visit=spec.id, status="scheduled")
            p.visits.append(row)
        sv = planned.get(spec.id)
        if sv is None or row.status == "cancelled":
            continue
        row.target_date, row.window_start, row.window_end = (
            sv.target, sv.window_start, sv.window_end)
        if row.status == "done" and row.actual_date is not None:
            row.deviation_days = deviation(sv, row.actual_date)
            if row.deviation_days and not row.deviation_reason:
                row.deviation_reason = (f"window moved by a change to an earlier visit: "
                                        f"{reason or 'no reason given'}")


def on_registration(session: Session, protocol: Protocol, p: Participant) -> None:
    reschedule(session, protocol, p)


def on_withdrawal(session: Session, p: Participant, reason: str) -> None:
    """Future visits are cancelled; everything already recorded stays."""
    for v in p.visits:
        if v.status in OPEN_STATUSES:
            v.status = "cancelled"
            v.reason = f"participant withdrawn: {reason}"
