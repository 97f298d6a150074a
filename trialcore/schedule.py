"""Visit schedule arithmetic: targets, windows, washout, due status and deviations.

Pure date arithmetic, so the rules are unit-tested once and the service layer,
the CLI and the GUI cannot disagree about when a visit is due. Visit plan
entries are taken structurally (`VisitSpecLike`), so this module does not depend
on how the protocol file is parsed; `trialcore.protocol.VisitSpec` fits as is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import takewhile
from typing import Literal, Protocol

REGISTRATION = "registration"
ENROLMENT = "enrolment"
DATE_ANCHORS = (REGISTRATION, ENROLMENT)

DueStatus = Literal["overdue", "closing", "open", "upcoming"]


class VisitSpecLike(Protocol):
    """The parts of a visit plan entry the schedule needs (read-only, so frozen classes fit)."""

    @property
    def id(self) -> str: ...

    @property
    def anchor(self) -> str: ...

    @property
    def day(self) -> int: ...

    @property
    def window_before(self) -> int: ...

    @property
    def window_after(self) -> int: ...

    @property
    def dosing(self) -> bool: ...


@dataclass(frozen=True)
class ScheduledVisit:
    """When one visit should happen and the dates on which it still counts as on time."""

    visit: str
    target: date
    window_start: date
    window_end: date

    def contains(self, d: date) -> bool:
        """True when `d` is inside the window (both edges included)."""
        return self.window_start <= d <= self.window_end


def compute_schedule(
    plan: Sequence[VisitSpecLike],
    *,
    registration: date,
    enrolment: date | None,
    actual: Mapping[str, date],
    washout_days: int = 0,
    skip_weekends: bool = False,
) -> dict[str, ScheduledVisit]:
    """Target and window of every visit that can be scheduled yet, keyed by visit id.

    A visit is scheduled from its anchor's actual date once that visit is logged
    (so an early or late visit moves everything that hangs off it), else from
    the anchor's target. Visits that depend, even transitively, on enrolment are
    left out while `enrolment` is None. A dosing visit is pushed to at least
    `washout_days` after the latest earlier dosing visit (its actual date, else
    its target) and its window never opens inside that washout. A visit's own
    actual date never changes its own window, so deviations can be measured
    against the same schedule. Raises ValueError for a structurally broken plan.
    """
    problems = _structure_problems(plan)
    if washout_days < 0:
        problems.append(f"washout_days must be 0 or more, not {washout_days}")
    if problems:
        raise ValueError("invalid visit plan: " + "; ".join(problems))
    anchor_dates = {REGISTRATION: registration, ENROLMENT: enrolment}
    schedule: dict[str, ScheduledVisit] = {}
    last_dose: date | None = None
    for spec in plan:
        if spec.anchor in anchor_dates:
            anchor_date = anchor_dates[spec.anchor]
        elif spec.anchor in schedule:
            anchor_date = actual.get(spec.anchor, schedule[spec.anchor].target)
        else:  # the anchor visit itself is waiting for enrolment
            anchor_date = None
        if anchor_date is None:
            continue
        target = anchor_date + timedelta(days=spec.day)
        washout_end = None
        if spec.dosing and last_dose is not None:
            washout_end = last_dose + timedelta(days=washout_days)
            target = max(target, washout_end)
        if skip_weekends:
            target = _weekday_on_or_after(target)
        window_start = target - timedelta(days=spec.window_before)
        if washout_end is not None:
            window_start = max(window_start, washout_end)
        schedule[spec.id] = ScheduledVisit(
            visit=spec.id,
            target=target,
            window_start=window_start,
            window_end=target + timedelta(days=spec.window_after),
        )
        if spec.dosing:
            dosed = actual.get(spec.id, target)
            last_dose = dosed if last_dose is None else max(last_dose, dosed)
    return schedule


def validate_plan(plan: Sequence[VisitSpecLike], washout_days: int) -> list[str]:
    """Every problem in a visit plan, each naming the visit id; empty when the plan is usable.

    Meant for protocol loading, so a study cannot start on a plan that the
    schedule cannot compute or whose dosing windows contradict the washout.
    """
    problems = _structure_problems(plan)
    if washout_days < 0:
        problems.append(f"washout_days must be 0 or more, not {washout_days}")
    elif not problems:  # the washout check walks anchor chains, which needs a sound plan
        problems.extend(_washout_problems(plan, washout_days))
    return problems


def anchor_done_problem(
    plan: Sequence[VisitSpecLike], visit_id: str, actual: Mapping[str, date], on: date
) -> str | None:
    """Why `visit_id` cannot be logged as done `on` that date because of its anchor visit, if so.

    Only anchor *visits* are checked: whether the participant is registered or
    enrolled by `on` is for the caller, which holds those dates. Raises
    ValueError for a visit id that is not in the plan (a programming error).
    """
    spec = next((s for s in plan if s.id == visit_id), None)
    if spec is None:
        raise ValueError(f"unknown visit '{visit_id}'")
    if spec.anchor in DATE_ANCHORS:
        return None
    anchor_done = actual.get(spec.anchor)
    if anchor_done is None:
        return (
            f"visit '{visit_id}' is scheduled from visit '{spec.anchor}', "
            f"so '{spec.anchor}' must be logged first"
        )
    if on < anchor_done:
        return (
            f"visit '{visit_id}' cannot be on {on.isoformat()}: that is before visit "
            f"'{spec.anchor}' ({anchor_done.isoformat()}), which it is scheduled from"
        )
    return None


def registration_change_problem(
    registration: date, *, enrolment: date | None, recorded: Mapping[str, date]
) -> str | None:
    """Why a participant's registration date cannot become `registration`, if so.

    Nothing recorded may come before registration: not the enrolment, not a visit
    already logged (`recorded`: visit id -> the date it was done or missed). The first
    such visit is named. Visits still open simply move with the new date
    (compute_schedule), so they never contradict it.
    """
    if enrolment is not None and enrolment < registration:
        return (f"enrolment on {enrolment.isoformat()} would come before registration on "
                f"{registration.isoformat()}")
    early = sorted((d, v) for v, d in recorded.items() if d < registration)
    if early:
        when, visit = early[0]
        return (f"visit '{visit}' was logged on {when.isoformat()}, before registration on "
                f"{registration.isoformat()}")
    return None


def classify_due(
    sv: ScheduledVisit, *, today: date, horizon_days: int, closing_days: int = 3
) -> DueStatus | None:
    """How urgent a visit that is NOT done yet is on `today`; None when it needs no attention.

    "overdue": the window has ended; "closing": the window is open and ends
    within `closing_days` (inclusive); "open": the window is open; "upcoming":
    the window has not opened and the target is at most `horizon_days` away.
    """
    if today > sv.window_end:
        return "overdue"
    if today >= sv.window_start:
        return "closing" if (sv.window_end - today).days <= closing_days else "open"
    if (sv.target - today).days <= horizon_days:
        return "upcoming"
    return None


def deviation(sv: ScheduledVisit, actual: date) -> int:
    """Days `actual` lies outside the window: 0 inside, negative when early, positive when late."""
    if actual < sv.window_start:
        return (actual - sv.window_start).days
    if actual > sv.window_end:
        return (actual - sv.window_end).days
    return 0


def _weekday_on_or_after(d: date) -> date:
    """`d`, or the Monday after it when it falls on a Saturday or Sunday."""
    if d.weekday() >= 5:
        return d + timedelta(days=7 - d.weekday())
    return d


def _structure_problems(plan: Sequence[VisitSpecLike]) -> list[str]:
    """Problems that make the schedule impossible to compute (ids, anchors, windows)."""
    counts = Counter(spec.id for spec in plan)
    problems = [
        f"visit id '{visit_id}' is used {n} times; visit ids must be unique"
        for visit_id, n in counts.items()
        if n > 1
    ]
    earlier: set[str] = set()
    for spec in plan:
        if spec.id in DATE_ANCHORS:
            problems.append(f"visit id '{spec.id}' is reserved for the {spec.id} date anchor")
        if spec.anchor == spec.id:
            problems.append(f"visit '{spec.id}' is anchored on itself")
        elif spec.anchor not in DATE_ANCHORS and spec.anchor not in counts:
            problems.append(
                f"visit '{spec.id}' has unknown anchor '{spec.anchor}' (expected "
                f"'{REGISTRATION}', '{ENROLMENT}' or the id of an earlier visit)"
            )
        elif spec.anchor in counts and spec.anchor not in earlier:
            problems.append(
                f"visit '{spec.id}' is anchored on visit '{spec.anchor}', which comes later "
                "in the plan; an anchor visit must come before the visits scheduled from it"
            )
        for name in ("window_before", "window_after"):
            if getattr(spec, name) < 0:
                problems.append(
                    f"visit '{spec.id}' has a negative {name} ({getattr(spec, name)}); "
                    "windows are days before/after the target and must be 0 or more"
                )
        earlier.add(spec.id)
    problems.extend(_cycle_problems(plan))
    return problems


def _cycle_problems(plan: Sequence[VisitSpecLike]) -> list[str]:
    """One message per anchor cycle of two or more visits (self-anchors are reported apart)."""
    anchor_of: dict[str, str] = {}
    for spec in plan:
        anchor_of.setdefault(spec.id, spec.anchor)
    seen_cycles: set[frozenset[str]] = set()
    problems = []
    for start in anchor_of:
        path = [start]
        node = anchor_of[start]
        while node in anchor_of and node not in path:
            path.append(node)
            node = anchor_of[node]
        cycle = path[path.index(node) :] if node in path else []
        if len(cycle) > 1 and frozenset(cycle) not in seen_cycles:
            seen_cycles.add(frozenset(cycle))
            problems.append("anchor cycle: " + " -> ".join([*cycle, cycle[0]]))
    return problems


def _washout_problems(plan: Sequence[VisitSpecLike], washout_days: int) -> list[str]:
    """Consecutive dosing visits whose windows can never be `washout_days` apart."""
    by_id = {spec.id: spec for spec in plan}
    problems = []
    previous: VisitSpecLike | None = None
    for spec in plan:
        if not spec.dosing:
            continue
        if previous is not None:
            gap = _max_gap(by_id, previous, spec)
            if gap is not None and gap < washout_days:
                problems.append(
                    f"dosing visit '{spec.id}' can be at most {gap} days after dosing visit "
                    f"'{previous.id}' within their windows, so the {washout_days}-day washout "
                    "can never be met"
                )
        previous = spec
    return problems


def _anchor_chain(by_id: Mapping[str, VisitSpecLike], spec: VisitSpecLike) -> list[VisitSpecLike]:
    """`spec` and the visits it is scheduled from, nearest first."""
    chain = [spec]
    while chain[-1].anchor in by_id:
        chain.append(by_id[chain[-1].anchor])
    return chain


def _max_gap(
    by_id: Mapping[str, VisitSpecLike], earlier: VisitSpecLike, later: VisitSpecLike
) -> int | None:
    """Most days `later` can follow `earlier` when every visit is done within its window.

    Both are measured from their nearest common anchor; None when they hang off
    different dates (registration vs enrolment), whose distance is unknown.
    """
    earlier_chain = _anchor_chain(by_id, earlier)
    later_chain = _anchor_chain(by_id, later)
    earlier_ids = {s.id for s in earlier_chain}
    common = next((s.id for s in later_chain if s.id in earlier_ids), None)
    if common is None and earlier_chain[-1].anchor != later_chain[-1].anchor:
        return None
    latest = sum(s.day + s.window_after for s in takewhile(lambda s: s.id != common, later_chain))
    earliest = sum(
        s.day - s.window_before for s in takewhile(lambda s: s.id != common, earlier_chain)
    )
    return latest - earliest
