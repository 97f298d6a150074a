"""The study at a glance: enrolment against target, visit progress, deviations, withdrawals,
emergency unblindings, and for a study not yet enrolling, its next step.

The numbers follow the same rules as the visit lists (services.visits), so the
dashboard always agrees with what a coordinator can drill into; but they are
counted by the database, and only the rows listed (deviations, missed visits,
withdrawals, open visits that may be overdue) are read: the dashboard is the
first screen shown, and every visit of 10,000 participants read as rows took
seconds.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Participant, Visit
from services.context import Actor, App, require
from services.enrolment import is_over
from services.schedule import LOGGED_STATUSES
from services.study import stage
from services.visits import DEFAULT_HORIZON_DAYS, may_be_due, read_rows
from trialcore.protocol import Protocol


def summary(app: App, actor: Actor, today: dt.date | None = None) -> dict[str, Any]:
    """Counts and the lists behind them; nothing here depends on a condition."""
    require(actor, "study.read")
    today = today or dt.date.today()
    protocol = app.protocol
    with app.read() as s:
        people = _participants(s, protocol)
        visits = _visit_counts(s, protocol, today)
        listed = _visit_lists(s, protocol)
        withdrawals = [{"participant": label, "stratum": stratum,
                        "on": on.isoformat() if on else None, "reason": reason}
                       for label, stratum, on, reason in s.execute(
                           select(Participant.label, Participant.stratum,
                                  Participant.withdrawn_on, Participant.withdrawal_reason)
                           .where(Participant.status == "withdrawn")
                           .order_by(Participant.number))]
        emergency = list(s.scalars(select(Participant.label)
                                   .where(Participant.emergency_unblinded.is_(True))
                                   .order_by(Participant.number)))
    return {**people, "visits": visits, **listed, "withdrawals": withdrawals,
            "emergency_unblinded": emergency,
            "next_step": next_step(stage(app), people["participants"])}


# What a new study does next, named for each front end to word (the window names its tabs
# and buttons): None once participants are being enrolled.
NEXT_STEPS = ("register", "generate_allocation", "enrol")


def next_step(current_stage: str, participants: dict[str, int]) -> str | None:
    """The next step of a study that has not started enrolling yet."""
    if current_stage == "setup":
        return "register" if not participants["total"] else "generate_allocation"
    if current_stage == "running" and participants["total"] == participants["registered"]:
        return "enrol" if participants["total"] else "register"
    return None


def _participants(s: Session, protocol: Protocol) -> dict[str, Any]:
    """Totals per status, and enrolled (and withdrawn since) per stratum: one GROUP BY."""
    status: Counter[str] = Counter()
    enrolled: Counter[str | None] = Counter()
    withdrawn: Counter[str | None] = Counter()
    q = (select(Participant.status, Participant.stratum, Participant.enrolled_on.is_not(None),
                func.count())
         .group_by(Participant.status, Participant.stratum, Participant.enrolled_on.is_not(None)))
    for state, stratum, was_enrolled, n in s.execute(q):
        status[state] += n
        if was_enrolled:
            enrolled[stratum] += n
            if state == "withdrawn":
                withdrawn[stratum] += n
    return {
        "participants": {"total": sum(status.values()),
                         **{k: status[k] for k in ("registered", "enrolled", "withdrawn")}},
        "strata": [{"stratum": st, "target": protocol.stratum_targets.get(st),
                    "enrolled": enrolled[st], "withdrawn": withdrawn[st],
                    "over_target": is_over(enrolled[st], protocol.stratum_targets.get(st))}
                   for st in protocol.strata],
    }


def _live(protocol: Protocol) -> ColumnElement[bool]:
    """Visits the lists show (the protocol's) that still count (not cancelled)."""
    return and_(Visit.visit.in_([v.id for v in protocol.visits]), Visit.status != "cancelled")


def _visit_counts(s: Session, protocol: Protocol, today: dt.date) -> dict[str, int]:
    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    logged = Visit.status.in_(LOGGED_STATUSES)
    planned, done, missed, late, deviations = s.execute(
        select(func.count(), count(Visit.status == "done"), count(Visit.status == "missed"),
               count(~logged & Visit.window_end.is_not(None) & (Visit.window_end < today)),
               count(Visit.deviation_days.is_not(None) & (Visit.deviation_days != 0)))
        .where(_live(protocol))).one()
    # Overdue follows the visit lists' rules (an open visit waiting for its anchor is not
    # due yet): only participants with an open visit that may be due are read.
    rows = read_rows(s, protocol, may_be_due(today, DEFAULT_HORIZON_DAYS), today,
                     DEFAULT_HORIZON_DAYS)
    return {"planned": planned, "expected": done + missed + late, "done": done,
            "missed": missed, "overdue": sum(r.due == "overdue" for r in rows
                                             if r.status != "cancelled"),
            "deviations": deviations}


def _visit_lists(s: Session, protocol: Protocol) -> dict[str, list[dict[str, Any]]]:
    """Deviations and missed visits, by participant number and then protocol order."""
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    q = (select(Participant.number, Participant.label, Visit.visit, Visit.status,
                Visit.actual_date, Visit.reason, Visit.deviation_days, Visit.deviation_reason)
         .join(Participant, Participant.id == Visit.participant_id)
         .where(_live(protocol), (Visit.status == "missed")
                | (Visit.deviation_days.is_not(None) & (Visit.deviation_days != 0))))
    rows = sorted(s.execute(q), key=lambda r: (r.number, order[r.visit]))
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    label = {v.id: v.label for v in protocol.visits}  # what the coordinator calls a visit
    return {
        "deviations": [{"participant": r.label, "visit": r.visit, "visit_label": label[r.visit],
                        "actual": iso(r.actual_date), "days": r.deviation_days,
                        "reason": r.deviation_reason} for r in rows if r.deviation_days],
        "missed": [{"participant": r.label, "visit": r.visit, "visit_label": label[r.visit],
                    "date": iso(r.actual_date), "reason": r.reason}
                   for r in rows if r.status == "missed"],
    }


def enrolment_over_time(app: App, actor: Actor) -> dict[str, Any]:
    """Participants enrolled by each enrolment date (cumulative, all strata) and the
    protocol's total target, for the enrolment plot."""
    require(actor, "study.read")
    with app.read() as s:
        per_day = s.execute(select(Participant.enrolled_on, func.count())
                            .where(Participant.enrolled_on.is_not(None))
                            .group_by(Participant.enrolled_on)
                            .order_by(Participant.enrolled_on)).all()
    total, points = 0, []
    for day, n in per_day:
        total += n
        points.append({"date": day.isoformat(), "enrolled": total})
    targets = app.protocol.stratum_targets
    return {"points": points,
            "target": sum(targets.values()) if targets else None}


def flow(app: App, actor: Actor) -> dict[str, Any]:
    """The CONSORT-style flow: registered, then per stratum enrolled, each dosing visit
    done, withdrawn, and analysed (every dosing visit done: the complete crossover the
    paired analysis uses). Counts only: nothing here depends on a condition."""
    require(actor, "study.read")
    protocol = app.protocol
    dosing = [v.id for v in protocol.dosing_visits]
    with app.read() as s:
        registered = s.scalar(select(func.count()).select_from(Participant)) or 0
        people = s.execute(select(Participant.id, Participant.stratum, Participant.status)
                           .where(Participant.enrolled_on.is_not(None))).all()
        done = s.execute(select(Visit.participant_id, Visit.visit)
                         .where(Visit.status == "done", Visit.visit.in_(dosing))).all()
    visits_done: dict[int, set[str]] = {}
    for pid, visit in done:
        visits_done.setdefault(pid, set()).add(visit)
    strata = []
    for stratum in protocol.strata:
        members = [p for p in people if p.stratum == stratum]
        strata.append({
            "stratum": stratum, "enrolled": len(members),
            "visits": [{"visit": v, "label": spec.label, "done": sum(
                v in visits_done.get(p.id, set()) for p in members)}
                for v, spec in zip(dosing, protocol.dosing_visits, strict=True)],
            "withdrawn": sum(p.status == "withdrawn" for p in members),
            "analysed": sum(set(dosing) <= visits_done.get(p.id, set()) for p in members),
        })
    return {"registered": registered, "strata": strata}
