"""Visits: the schedule as people see it, booking, and logging what happened.

Every rule of the issue is checked here, before anything is written, so the
GUI dialogs and `visit book|log` refuse the same things with the same words.
Rows carry the dose code of a dosing visit (what is printed on the kit) but
never a condition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import AllocationSlot, DoseCode, Participant, Visit
from services.codes import code_result
from services.context import Actor, App, need_reason, require
from services.dates import checked_date, checked_days
from services.errors import Conflict, Refused
from services.lifecycle import require_open
from services.participants import check_version, label_of, last_editor, load
from services.schedule import (
    LOGGED_STATUSES,
    OPEN_STATUSES,
    hangs_off_enrolment,
    reschedule,
)
from trialcore import codes
from trialcore.protocol import Protocol, VisitSpec
from trialcore.schedule import (
    DueStatus,
    ScheduledVisit,
    anchor_done_problem,
    classify_due,
    deviation,
)
from trialcore.visit_log import log_date_problem

DEFAULT_HORIZON_DAYS = 14
LOG_STATUSES = ("done", "missed")


@dataclass(frozen=True)
class VisitRow:
    """One participant's visit as lists, dialogs and exports show it."""

    participant: str
    visit: str
    label: str
    dosing: bool
    target: dt.date | None
    window_start: dt.date | None
    window_end: dt.date | None
    booked: dt.date | None
    actual: dt.date | None
    status: str
    code: str | None
    reason: str | None
    deviation_days: int | None
    deviation_reason: str | None
    due: DueStatus | None
    next_action: str | None
    version: int
    provisional: bool = False  # dates hang off a visit not logged yet (or enrolment)

    @property
    def when(self) -> dt.date | None:
        """The date the visit is expected on: booked if booked, else its target."""
        return self.actual or self.booked or self.target

    @property
    def window(self) -> str:
        if self.window_start is None or self.window_end is None:
            return ""
        return f"{self.window_start}…{self.window_end}"

    @property
    def flag(self) -> str:
        """The one word a status colour stands for."""
        if self.deviation_days:
            return "deviation"
        if self.due == "overdue":
            return "overdue"
        return self.status

    def outside_window(self, on: dt.date) -> str | None:
        """What booking or logging on `on` would say about the window (dialogs warn early)."""
        if self.target is None or self.window_start is None or self.window_end is None:
            return None
        return outside_window(self.visit, ScheduledVisit(self.visit, self.target,
                                                         self.window_start, self.window_end), on)

    def as_dict(self) -> dict[str, Any]:
        """The `visits list --json` shape of CLI.md."""
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "participant": self.participant, "visit": self.visit, "label": self.label,
            "target": iso(self.target), "window_start": iso(self.window_start),
            "window_end": iso(self.window_end), "booked": iso(self.booked),
            "actual": iso(self.actual), "status": self.status, "code": self.code,
            "reason": self.reason, "deviation_days": self.deviation_days,
            "deviation_reason": self.deviation_reason, "due": self.due,
            "next_action": self.next_action, "provisional": self.provisional,
            "version": self.version,
        }


@dataclass(frozen=True)
class Saved:
    """A booked or logged visit, and what the user should know about it."""

    row: VisitRow
    warnings: list[str] = field(default_factory=list)


def as_date(value: object, what: str = "date") -> dt.date:
    """A date from a date or YYYY-MM-DD text, else a refusal that says what was typed."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return checked_date(value, what)
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise Refused(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from exc
    return checked_date(parsed, what)


def visit_spec(protocol: Protocol, visit: str) -> VisitSpec:
    spec = protocol.visit(visit)
    if spec is None:
        known = ", ".join(v.id for v in protocol.visits)
        raise Refused(f"unknown visit {visit!r}; the protocol's visits are {known}")
    return spec


# -- reading ----------------------------------------------------------------------------

Who = Select[tuple[int]] | Sequence[int] | None  # participant ids, as a query or a list
VisitLike = Any  # a Visit, or a row of _VISIT_COLUMNS: the same attribute names


def list_visits(app: App, actor: Actor, participant: object | None = None,
                due_days: int | None = None, today: dt.date | None = None) -> list[VisitRow]:
    """The schedule of one or all participants; with `due_days`, only what needs attention.

    Due means: overdue, window open or closing, or expected within `due_days`
    days; visits of withdrawn participants are never due.
    """
    require(actor, "study.read")
    if due_days is not None:
        checked_days(due_days, "--due")
    today = today or dt.date.today()
    horizon = DEFAULT_HORIZON_DAYS if due_days is None else due_days
    with app.read() as s:
        who: Who = None  # everyone
        if participant is not None:
            who = [load(s, app, participant).id]
        elif due_days is not None:
            who = may_be_due(today, horizon)
        rows = read_rows(s, app.protocol, who, today, horizon)
    if due_days is None:
        return rows
    return due_rows(rows, today)


def read_rows(session: Session, protocol: Protocol, who: Who, today: dt.date,
              horizon: int) -> list[VisitRow]:
    """The visits of the participants `who` names (everyone when None), read as plain columns,
    in participant number and protocol order."""
    return _rows(session, protocol, _people(session, who), today, horizon, who)


def due_rows(rows: Iterable[VisitRow], today: dt.date) -> list[VisitRow]:
    """The rows that need attention, soonest first."""
    due = [r for r in rows if r.due is not None]
    return sorted(due, key=lambda r: (r.when or today, r.participant, r.visit))


def may_be_due(today: dt.date, horizon: int) -> Select[tuple[int]]:
    """The ids of participants with an open visit that classify_due may call due: its window
    has opened, or it is expected within `horizon` days. A superset, narrowed by _row."""
    return (select(Visit.participant_id).distinct()
            .where(Visit.status.in_(OPEN_STATUSES),
                   or_(Visit.window_start <= today,
                       func.coalesce(Visit.booked_date, Visit.target_date)
                       <= today + dt.timedelta(days=horizon))))


# What _row and _waiting_for read, as plain columns: at 10,000 participants, loading the
# visits as ORM objects (each with its participant joined) took seconds.
_PERSON_COLUMNS = (Participant.id, Participant.label, Participant.status, Participant.enrolled_on)
_VISIT_COLUMNS = (Visit.participant_id, Visit.visit, Visit.status, Visit.target_date,
                  Visit.window_start, Visit.window_end, Visit.booked_date, Visit.actual_date,
                  Visit.kit_code, Visit.reason, Visit.deviation_days, Visit.deviation_reason,
                  Visit.version)


@dataclass(frozen=True)
class _Person:
    """A participant's columns that visit rows need, and their visits as plain rows; read
    like a Participant by _rows, _row and _waiting_for."""

    id: int
    label: str
    status: str
    enrolled_on: dt.date | None
    visits: list[VisitLike]


def _people(session: Session, who: Who) -> list[_Person]:
    """Participants in number order, with their visits (only those `who` names)."""
    people_q = select(*_PERSON_COLUMNS).order_by(Participant.number)
    visits_q = select(*_VISIT_COLUMNS)
    if who is not None:
        people_q = people_q.where(Participant.id.in_(who))
        visits_q = visits_q.where(Visit.participant_id.in_(who))
    people = [_Person(pid, label, status, enrolled_on, [])
              for pid, label, status, enrolled_on in session.execute(people_q)]
    by_id = {p.id: p for p in people}
    for v in session.execute(visits_q):
        person = by_id.get(v.participant_id)  # None: registered since the first query
        if person is not None:
            person.visits.append(v)
    return people


def _codes(session: Session, who: Who) -> dict[tuple[int, str], str]:
    q = (select(AllocationSlot.participant_id, DoseCode.visit, DoseCode.code)
         .join(DoseCode, DoseCode.slot_id == AllocationSlot.id))
    if who is not None:
        q = q.where(AllocationSlot.participant_id.in_(who))
    return {(pid, visit): code for pid, visit, code in session.execute(q)}


def _rows(session: Session, protocol: Protocol, people: Sequence[Participant | _Person],
          today: dt.date, horizon: int, who: Who) -> list[VisitRow]:
    """Every visit of `people` in protocol order; `who` names them as _people was told."""
    kit = _codes(session, who)
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    labels = {v.id: v.label for v in protocol.visits}
    out = []
    for p in people:
        for v in sorted(p.visits, key=lambda v: order.get(v.visit, len(order))):
            spec = protocol.visit(v.visit)
            if spec is not None:
                out.append(_row(p, v, spec, kit.get((p.id, v.visit)), today, horizon,
                                labels.get(spec.anchor, spec.anchor)))
    return out


def _row(p: Participant | _Person, v: VisitLike, spec: VisitSpec, code: str | None,
         today: dt.date, horizon: int, anchor_label: str) -> VisitRow:
    waiting = _waiting_for(p, v, spec, anchor_label)
    due = None
    if (waiting is None and v.status in OPEN_STATUSES and v.target_date
            and v.window_start and v.window_end):
        expected = ScheduledVisit(v.visit, v.booked_date or v.target_date, v.window_start,
                                  v.window_end)
        due = classify_due(expected, today=today, horizon_days=horizon)
    return VisitRow(
        participant=p.label, visit=v.visit, label=spec.label, dosing=spec.dosing,
        target=v.target_date, window_start=v.window_start, window_end=v.window_end,
        booked=v.booked_date, actual=v.actual_date, status=v.status,
        code=(v.kit_code or code) if spec.dosing else None, reason=v.reason,
        deviation_days=v.deviation_days, deviation_reason=v.deviation_reason, due=due,
        next_action=waiting or _next_action(v, spec.label, today), version=v.version,
        provisional=waiting is not None,
    )


def _waiting_for(p: Participant | _Person, v: VisitLike, spec: VisitSpec,
                 anchor_label: str) -> str | None:
    """What must happen before this open visit can: its dates are provisional till then.
    Visits are named by their protocol labels, as the lists show them."""
    if v.status not in OPEN_STATUSES or p.status == "withdrawn":
        return None
    if p.enrolled_on is None and v.target_date is None:
        return f"enrol {p.label}"
    anchor = next((x for x in p.visits if x.visit == spec.anchor), None)
    if anchor is not None and anchor.status not in LOGGED_STATUSES:
        return f"log {anchor_label} first"
    return None


def _next_action(v: VisitLike, label: str, today: dt.date) -> str | None:
    """What the coordinator does next about a visit that can happen now, in a few words,
    naming the visit by its protocol label."""
    if v.status not in OPEN_STATUSES or v.target_date is None:
        return None
    if v.booked_date is not None:
        if v.booked_date > today:
            return f"{label} booked for {v.booked_date}"
        return f"log {label} (booked for {v.booked_date})"
    if v.window_end is not None and today > v.window_end:
        return f"log {label}: late (deviation) or missed"
    return f"book {label} (window {v.window_start}…{v.window_end})"


# -- writing ----------------------------------------------------------------------------

@contextmanager
def _unit(app: App, actor: Actor, action: str, key: str,
          reason: str | None = None) -> Iterator[Session]:
    """A unit of work whose lost race (a concurrent save) becomes a Conflict naming the winner."""
    try:
        with app.write(actor, action, reason) as s:
            yield s
    except StaleDataError as exc:
        with app.read() as s:
            who = last_editor(s, "visits", key)
        by = f" by {who[0]} at {who[1]:%Y-%m-%d %H:%M} UTC" if who else ""
        raise Conflict(f"{key} was changed{by} while you were saving; nothing was saved. "
                       "Reload it and make your change again.") from exc


def _open_visit(session: Session, app: App, participant: object, spec: VisitSpec,
                expected_version: int | None) -> tuple[Participant, Visit]:
    """The participant and visit row, refused when nothing may be recorded for them."""
    p = load(session, app, participant)
    if p.status == "withdrawn":
        raise Refused(f"{p.label} was withdrawn on {p.withdrawn_on}: their visits can no "
                      "longer be booked or logged")
    v = next((x for x in p.visits if x.visit == spec.id), None)
    if v is None or v.status == "cancelled":
        raise Refused(f"{p.label} has no open {spec.id} visit"
                      + (f" ({v.reason})" if v is not None and v.reason else ""))
    check_version(session, v, expected_version)
    if v.target_date is None or v.window_start is None or v.window_end is None:
        raise Refused(f"{p.label} is not enrolled yet: {spec.id} is scheduled from "
                      "enrolment; enrol them first")
    return p, v


def _not_before_start(app: App, p: Participant, spec: VisitSpec, on: dt.date) -> None:
    if on < p.registered_on:
        raise Refused(f"{spec.id} on {on} would be before {p.label} was registered "
                      f"({p.registered_on})")
    if p.enrolled_on and on < p.enrolled_on and hangs_off_enrolment(app.protocol, spec.id):
        raise Refused(f"{spec.id} on {on} would be before {p.label} was enrolled "
                      f"({p.enrolled_on})")


def _window(v: Visit) -> ScheduledVisit:
    assert v.target_date and v.window_start and v.window_end  # checked by _open_visit
    return ScheduledVisit(v.visit, v.target_date, v.window_start, v.window_end)


def outside_window(visit: str, sv: ScheduledVisit, on: dt.date) -> str | None:
    """How far `on` lies outside the visit's window, in words; None when inside it."""
    days = deviation(sv, on)
    if not days:
        return None
    n = abs(days)
    side = f"{n} day{'s' if n != 1 else ''} {'before' if days < 0 else 'after'}"
    return (f"{visit} on {on} is {side} its window "
            f"({sv.window_start}…{sv.window_end}, target {sv.target})")


def book(app: App, actor: Actor, participant: object, visit: str, date: object,
         expected_version: int | None = None, today: dt.date | None = None) -> Saved:
    """Book a visit; a date outside the window is allowed but comes back with a warning."""
    require(actor, "visits.write")
    require_open(app)
    spec = visit_spec(app.protocol, visit)
    on = as_date(date)
    today = today or dt.date.today()
    key = f"{label_of(app, participant)}/{spec.id}"
    with _unit(app, actor, "visit.book", key) as s:
        p, v = _open_visit(s, app, participant, spec, expected_version)
        if v.status in LOGGED_STATUSES:
            raise Refused(f"{key} is already logged as {v.status}; to change it, log it "
                          "again with a reason")
        _not_before_start(app, p, spec, on)
        warnings = []
        problem = outside_window(spec.id, _window(v), on)
        if problem:
            warnings.append(problem + ": logging it on that date will be a protocol "
                            "deviation needing a reason")
        if on < today:
            warnings.append(f"{on} is in the past")
        v.booked_date, v.status = on, "booked"
        s.flush()
        return Saved(_row_of(s, app.protocol, p, spec.id, today), warnings)


def _row_of(s: Session, protocol: Protocol, p: Participant, visit: str,
            today: dt.date) -> VisitRow:
    return next(r for r in _rows(s, protocol, [p], today, DEFAULT_HORIZON_DAYS, [p.id])
                if r.visit == visit)


def log(app: App, actor: Actor, participant: object, visit: str, *, date: object,
        status: str = "done", code: str | None = None, reason: str | None = None,
        deviation_reason: str | None = None, expected_version: int | None = None,
        today: dt.date | None = None) -> Saved:
    """Record that a visit was done (with the kit code at a dosing visit) or missed.

    Then the visits scheduled from it move. Changing a visit already logged
    needs a reason, which the audit trail keeps with the before and after.
    """
    require(actor, "visits.write")
    require_open(app)
    protocol = app.protocol
    spec = visit_spec(protocol, visit)
    if status not in LOG_STATUSES:
        raise Refused(f"status {status!r}: a visit is logged as done or missed")
    on = as_date(date)
    today = today or dt.date.today()
    reason = reason.strip() if reason and reason.strip() else None
    deviation_reason = deviation_reason.strip() if deviation_reason and \
        deviation_reason.strip() else None
    key = f"{label_of(app, participant)}/{spec.id}"
    with _unit(app, actor, "visit.log", key, reason) as s:
        p, v = _open_visit(s, app, participant, spec, expected_version)
        if v.status in LOGGED_STATUSES:
            need_reason(reason, f"changing {key}, already logged as {v.status} "
                                f"on {v.actual_date},")
        _not_before_start(app, p, spec, on)
        _check_anchors(protocol, p, spec, on)
        problem = log_date_problem(status, on, _window(v), today)
        if problem:
            raise Refused(f"{p.label}: {problem}")
        warnings: list[str] = []
        if status == "missed":
            after = _missed(key, on, code, need_reason(reason, f"missed {key}"))
        else:
            after = _done(s, p, spec, v, on, code, deviation_reason, warnings)
        before = (v.status, v.actual_date, v.kit_code, v.reason, v.deviation_days,
                  v.deviation_reason)
        if after == before:
            raise Refused(f"{key} is already logged like this; nothing to change")
        (v.status, v.actual_date, v.kit_code, v.reason, v.deviation_days,
         v.deviation_reason) = after
        s.info["reason"] = reason or deviation_reason
        reschedule(s, protocol, p, reason=f"{key} logged {status} on {on}"
                   + (f" ({reason})" if reason else ""))
        s.flush()
        return Saved(_row_of(s, protocol, p, spec.id, today), warnings)


Logged = tuple[str, dt.date, str | None, str | None, int | None, str | None]


def _missed(key: str, on: dt.date, code: str | None, reason: str) -> Logged:
    if code:
        raise Refused(f"{key} is logged as missed: no kit was given, so give no code")
    return ("missed", on, None, reason, None, None)


def _done(s: Session, p: Participant, spec: VisitSpec, v: Visit, on: dt.date,
          code: str | None, deviation_reason: str | None, warnings: list[str]) -> Logged:
    key = f"{p.label}/{spec.id}"
    kit = _checked_code(s, p, spec, key, code)
    sv = _window(v)
    days = deviation(sv, on)
    if days and deviation_reason is None:
        raise Refused(f"{outside_window(spec.id, sv, on)}: that is a protocol deviation; "
                      "give a deviation reason")
    if not days and deviation_reason is not None:
        warnings.append(f"{on} is inside the window: the deviation reason was not recorded")
        deviation_reason = None
    return ("done", on, kit, None, days, deviation_reason)


def _checked_code(s: Session, p: Participant, spec: VisitSpec, key: str,
                  code: str | None) -> str | None:
    """The kit code in display form, once the services' code check says it is this kit."""
    if not spec.dosing:
        if code:
            raise Refused(f"{spec.id} is not a dosing visit: no kit is given, so give no code")
        return None
    if not code or not code.strip():
        raise Refused(f"{key} is a dosing visit: give the kit code from the label")
    result = code_result(s, p.id, spec.id, code)
    if result == "mistyped":
        raise Refused(f"kit code {code.strip()} is mistyped: the check character does not "
                      "match; re-read the kit label and type it again")
    if result == "wrong kit":
        raise Refused(f"wrong kit: {codes.format_code(code)} is not the kit for {key}; "
                      "do not give it, fetch the right kit")
    return codes.format_code(code)


def _check_anchors(protocol: Protocol, p: Participant, spec: VisitSpec, on: dt.date) -> None:
    """Not before the anchor visit, and not after a visit already done from this one."""
    rows = {v.visit: v for v in p.visits}
    resolved = {v.visit: (v.actual_date if v.status == "done" else v.target_date)
                for v in p.visits if v.status in LOGGED_STATUSES}
    problem = anchor_done_problem(protocol.visits, spec.id,
                                  {k: d for k, d in resolved.items() if d}, on)
    if problem:
        raise Refused(f"{p.label}: {problem}")
    for later in protocol.visits:
        row = rows.get(later.id)
        if (later.anchor == spec.id and row is not None and row.status == "done"
                and row.actual_date is not None and row.actual_date < on):
            raise Refused(f"{p.label}: {spec.id} cannot be on {on}: {later.id}, which is "
                          f"scheduled from it, was done earlier ({row.actual_date})")
