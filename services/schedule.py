"""Keeping each participant's visit rows in step with the protocol's visit plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Participant, Visit
from trialcore.protocol import Protocol
from trialcore.schedule import compute_schedule

OPEN_STATUSES = ("scheduled", "booked")


def reschedule(session: Session, protocol: Protocol, p: Participant) -> None:
    """Create missing visit rows and move the targets and windows of open visits."""
    rows = {v.visit: v for v in p.visits}
    actual = {v.visit: v.actual_date for v in p.visits if v.actual_date is not None}
    planned = compute_schedule(
        protocol.visits, registration=p.registered_on, enrolment=p.enrolled_on, actual=actual,
        washout_days=protocol.washout_days, skip_weekends=protocol.skip_weekends,
    )
    for spec in protocol.visits:
        row = rows.get(spec.id)
        if row is None:
            row = Visit(visit=spec.id, status="scheduled")
            p.visits.append(row)
        sv = planned.get(spec.id)
        if row.status in OPEN_STATUSES and sv is not None:
            row.target_date, row.window_start, row.window_end = (
                sv.target, sv.window_start, sv.window_end)


def on_registration(session: Session, protocol: Protocol, p: Participant) -> None:
    reschedule(session, protocol, p)


def on_withdrawal(session: Session, p: Participant, reason: str) -> None:
    """Future visits are cancelled; everything already recorded stays."""
    for v in p.visits:
        if v.status in OPEN_STATUSES:
            v.status = "cancelled"
            v.reason = f"participant withdrawn: {reason}"
