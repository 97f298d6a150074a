"""Enrolment: the stratum, the next free slot of it, the dose codes and the visit dates.

The coordinator sees the slot position and the codes, never a sequence: the slot
rows hold none. A stratum's list is never extended; when its slots are used up,
enrolment into it is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Allocation, AllocationSlot, DoseCode, Observation, Participant
from services.context import Actor, App, need_reason, require
from services.dates import checked_date
from services.errors import GENERATE_ALLOCATION, Refused
from services.lifecycle import require_open
from services.participants import check_version, label_of, load
from services.schedule import reschedule
from trialcore.protocol import Protocol


@dataclass(frozen=True)
class EnrolmentResult:
    """What the coordinator is told: codes per dosing visit, never conditions."""

    label: str
    stratum: str
    stratum_source: str
    stratum_reason: str
    position: int
    enrolled_on: dt.date
    codes: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.label, "stratum": self.stratum, "stratum_source": self.stratum_source,
                "stratum_reason": self.stratum_reason, "slot": self.position,
                "enrolled_on": self.enrolled_on.isoformat(), "codes": self.codes}


@dataclass(frozen=True)
class StratumChoice:
    stratum: str
    source: str  # "rule" (baseline measure) or "manual"
    reason: str


def baseline_stratum(session: Session, protocol: Protocol, p: Participant) -> StratumChoice | None:
    """The protocol's rule applied to the recorded baseline value, if there is one."""
    rule = protocol.stratum_rule
    if rule is None:
        return None
    value = session.scalar(select(Observation.value).where(
        Observation.participant_id == p.id, Observation.visit == rule.visit,
        Observation.measure == rule.measure))
    if value is None:
        return None
    return StratumChoice(rule.assign(value), "rule",
                         f"{rule.measure} at {rule.visit} = {value:g} (threshold "
                         f"{rule.threshold:g})")


def automatic_stratum(session: Session, protocol: Protocol,
                      p: Participant) -> StratumChoice | None:
    """Without a stratum typed now: the baseline rule, else the one entered at registration."""
    found = baseline_stratum(session, protocol, p)
    if found is None and p.stratum is not None:
        found = StratumChoice(p.stratum, p.stratum_source or "manual",
                              p.stratum_reason or "entered at registration")
    return found


def choose_stratum(session: Session, protocol: Protocol, p: Participant, stratum: str | None,
                   reason: str | None) -> StratumChoice:
    """By hand (with a reason, never against the rule) or automatic; refuse if neither."""
    if stratum is not None and stratum not in protocol.strata:
        raise Refused(f"unknown stratum {stratum!r}; strata are {', '.join(protocol.strata)}")
    if stratum is not None:
        why = need_reason(reason, "a stratum entered by hand")
        from_rule = baseline_stratum(session, protocol, p)
        if from_rule is not None and from_rule.stratum != stratum:
            raise Refused(f"{p.label}: the protocol's rule gives {from_rule.stratum} "
                          f"({from_rule.reason}), not {stratum}; if the baseline value is "
                          "wrong, correct it first")
        return StratumChoice(stratum, "manual", why)
    found = automatic_stratum(session, protocol, p)
    if found is not None:
        return found
    rule = protocol.stratum_rule
    missing = (f"no baseline {rule.measure} at {rule.visit} is recorded"
               if rule is not None else "the protocol has no stratum rule")
    raise Refused(f"{p.label} has no stratum: {missing}; give the stratum by hand with a "
                  "reason")


def proposed_stratum(app: App, actor: Actor, participant: object) -> StratumChoice | None:
    """What enrolment would use without a stratum typed by hand (for the dialog to show)."""
    require(actor, "study.read")
    with app.read() as s:
        return automatic_stratum(s, app.protocol, load(s, app, participant))


def enrolled_in(session: Session, stratum: str) -> int:
    """Participants ever enrolled in the stratum, those withdrawn since included: the count
    the target is set against (services.dashboard counts the same way)."""
    return session.scalar(select(func.count()).select_from(Participant).where(
        Participant.stratum == stratum, Participant.enrolled_on.is_not(None))) or 0


def is_full(enrolled: int, target: int | None) -> bool:
    """Whether a stratum with this many enrolled has reached its target (none: never)."""
    return target is not None and enrolled >= target


def is_over(enrolled: int, target: int | None) -> bool:
    """Whether a stratum with this many enrolled has gone past its target."""
    return target is not None and enrolled > target


def target_warning(app: App, actor: Actor, participant: object,
                   stratum: str | None = None) -> str | None:
    """Why enrolling this participant (in `stratum`, or as proposed) would pass the
    stratum's target, for the coordinator to confirm; None when there is room. Enrolment
    is not refused past the target (the allocation list may have spare slots)."""
    require(actor, "study.read")
    with app.read() as s:
        if stratum is None:
            choice = automatic_stratum(s, app.protocol, load(s, app, participant))
            stratum = choice.stratum if choice is not None else None
        if stratum is None:
            return None
        target = app.protocol.stratum_targets.get(stratum)
        enrolled = enrolled_in(s, stratum)
    if not is_full(enrolled, target):
        return None
    return (f"Stratum {stratum} has reached its target: {enrolled} of {target} enrolled. "
            f"Enrolling {label_of(app, participant)} makes {enrolled + 1}.")


def _check_can_enrol(p: Participant, on: dt.date) -> None:
    if p.status == "enrolled":
        raise Refused(f"{p.label} is already enrolled (since {p.enrolled_on}, stratum "
                      f"{p.stratum}); a participant is enrolled once")
    if p.status == "withdrawn":
        raise Refused(f"{p.label} was withdrawn on {p.withdrawn_on} and cannot be enrolled")
    if on < p.registered_on:
        raise Refused(f"enrolment date {on} is before {p.label}'s registration on "
                      f"{p.registered_on}")


def _free_slot(session: Session, stratum: str) -> AllocationSlot:
    """The lowest free position; the caller holds the allocation lock."""
    slot = session.scalar(select(AllocationSlot).where(
        AllocationSlot.stratum == stratum, AllocationSlot.participant_id.is_(None))
        .order_by(AllocationSlot.position).limit(1))
    if slot is None:
        total = session.scalar(select(func.count()).select_from(AllocationSlot)
                               .where(AllocationSlot.stratum == stratum))
        raise Refused(f"stratum {stratum} has no free slot: all {total} are used; the list "
                      "is never extended")
    return slot


def enrol(app: App, actor: Actor, participant: object, *, stratum: str | None = None,
          reason: str | None = None, on: dt.date | None = None,
          expected_version: int | None = None) -> EnrolmentResult:
    """Give the participant the next slot of the stratum, its codes and visit dates."""
    require(actor, "enrol")
    require_open(app)
    protocol = app.protocol
    on = checked_date(on or dt.date.today(), "enrolment date")
    with app.write(actor, "participant.enrol", reason) as s:
        # Serializes enrolments (PostgreSQL row lock; SQLite writers are exclusive
        # anyway), so two coordinators never take the same slot.
        if s.scalar(select(Allocation).with_for_update()) is None:
            raise Refused("no allocation list yet: the randomizer generates it first",
                          hint=GENERATE_ALLOCATION)
        p = load(s, app, participant)
        check_version(s, p, expected_version)
        _check_can_enrol(p, on)
        choice = choose_stratum(s, protocol, p, stratum, reason)
        slot = _free_slot(s, choice.stratum)
        slot.participant_id = p.id
        p.status, p.enrolled_on = "enrolled", on
        p.stratum, p.stratum_source, p.stratum_reason = choice.stratum, choice.source, \
            choice.reason
        s.info["reason"] = choice.reason
        reschedule(s, protocol, p)
        s.flush()
        codes = dict(s.execute(select(DoseCode.visit, DoseCode.code)
                               .where(DoseCode.slot_id == slot.id)).all())
        order = [v.id for v in protocol.dosing_visits]
        return EnrolmentResult(p.label, choice.stratum, choice.source, choice.reason,
                               slot.position, on, {v: codes[v] for v in order if v in codes})
