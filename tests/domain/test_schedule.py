"""Schedule rules, checked on the reference study's visit plan and on generated plans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialcore.schedule import (
    ScheduledVisit,
    VisitSpecLike,
    anchor_done_problem,
    classify_due,
    compute_schedule,
    deviation,
    validate_plan,
)


@dataclass(frozen=True)
class Spec:
    """Stand-in for protocol.VisitSpec, so these tests exercise the structural contract."""

    id: str
    anchor: str
    day: int
    window_before: int
    window_after: int
    dosing: bool
    label: str = ""


REFERENCE = (
    Spec("baseline", "registration", 0, 0, 14, dosing=False),
    Spec("dose1", "enrolment", 7, 2, 3, dosing=True),
    Spec("dose2", "dose1", 7, 0, 7, dosing=True),
    Spec("dose3", "dose2", 7, 0, 7, dosing=True),
)
WASHOUT = 7
REGISTRATION = date(2024, 3, 4)  # a Monday
ENROLMENT = date(2024, 3, 11)  # a Monday


def d(month: int, day: int) -> date:
    return date(2024, month, day)


def reference(
    actual: dict[str, date] | None = None,
    *,
    enrolment: date | None = ENROLMENT,
    registration: date = REGISTRATION,
    skip_weekends: bool = False,
) -> dict[str, ScheduledVisit]:
    return compute_schedule(
        REFERENCE,
        registration=registration,
        enrolment=enrolment,
        actual=actual or {},
        washout_days=WASHOUT,
        skip_weekends=skip_weekends,
    )


def with_visit(plan: tuple[Spec, ...], visit_id: str, **changes: object) -> tuple[Spec, ...]:
    return tuple(replace(s, **changes) if s.id == visit_id else s for s in plan)


# --- anchors and windows -------------------------------------------------------------------


def test_reference_plan_fits_the_structural_contract() -> None:
    plan: tuple[VisitSpecLike, ...] = REFERENCE
    assert validate_plan(plan, WASHOUT) == []


def test_visit_anchored_on_registration() -> None:
    assert reference()["baseline"] == ScheduledVisit("baseline", d(3, 4), d(3, 4), d(3, 18))


def test_visit_anchored_on_enrolment() -> None:
    assert reference()["dose1"] == ScheduledVisit("dose1", d(3, 18), d(3, 16), d(3, 21))


def test_visit_anchored_on_a_visit_uses_its_target_until_it_is_done() -> None:
    schedule = reference()
    assert schedule["dose2"] == ScheduledVisit("dose2", d(3, 25), d(3, 25), d(4, 1))
    assert schedule["dose3"] == ScheduledVisit("dose3", d(4, 1), d(4, 1), d(4, 8))


def test_negative_day_schedules_before_the_anchor() -> None:
    plan = (Spec("screening", "enrolment", -3, 1, 1, dosing=False),)
    schedule = compute_schedule(plan, registration=REGISTRATION, enrolment=ENROLMENT, actual={})
    assert schedule["screening"] == ScheduledVisit("screening", d(3, 8), d(3, 7), d(3, 9))


def test_early_logged_visit_moves_its_dependents_earlier() -> None:
    schedule = reference({"dose1": d(3, 16)})
    assert schedule["dose2"].target == d(3, 23)
    assert schedule["dose3"].target == d(3, 30)


def test_late_logged_visit_moves_its_dependents_later() -> None:
    schedule = reference({"dose1": d(3, 21), "dose2": d(3, 30)})
    assert schedule["dose2"].target == d(3, 28)
    assert schedule["dose3"] == ScheduledVisit("dose3", d(4, 6), d(4, 6), d(4, 13))


def test_own_actual_date_does_not_move_own_window() -> None:
    assert reference({"dose1": d(3, 25)})["dose1"] == reference()["dose1"]


def test_actual_dates_of_unknown_visits_are_ignored() -> None:
    assert reference({"retired_visit": d(3, 5)}) == reference()


def test_enrolment_anchored_visits_are_absent_until_enrolment() -> None:
    schedule = reference(enrolment=None)
    assert set(schedule) == {"baseline"}  # dose2 and dose3 only transitively on enrolment


def test_enrolment_anchored_visits_stay_absent_even_with_logged_anchor() -> None:
    assert set(reference({"dose1": d(3, 18)}, enrolment=None)) == {"baseline"}


def test_compute_schedule_refuses_a_broken_plan() -> None:
    broken = with_visit(REFERENCE, "dose2", anchor="dose9")
    with pytest.raises(ValueError, match="dose9"):
        compute_schedule(broken, registration=REGISTRATION, enrolment=ENROLMENT, actual={})


def test_compute_schedule_refuses_negative_washout() -> None:
    with pytest.raises(ValueError, match="washout_days"):
        compute_schedule(
            REFERENCE, registration=REGISTRATION, enrolment=ENROLMENT, actual={}, washout_days=-1
        )


# --- washout -------------------------------------------------------------------------------

# dose2 hangs off enrolment, not dose1, so only the washout keeps the two doses apart.
SIDE_BY_SIDE = (
    Spec("dose1", "enrolment", 7, 2, 3, dosing=True),
    Spec("dose2", "enrolment", 10, 2, 7, dosing=True),
)


def side_by_side(actual: dict[str, date], washout_days: int = WASHOUT) -> dict[str, ScheduledVisit]:
    return compute_schedule(
        SIDE_BY_SIDE,
        registration=REGISTRATION,
        enrolment=ENROLMENT,
        actual=actual,
        washout_days=washout_days,
    )


def test_washout_pushes_dosing_target_and_window_past_previous_dose_target() -> None:
    # Unpushed dose2 would be 21 Mar (window 19 Mar - 28 Mar); dose1's target is 18 Mar.
    assert side_by_side({})["dose2"] == ScheduledVisit("dose2", d(3, 25), d(3, 25), d(4, 1))


def test_washout_counts_from_previous_dose_actual_date() -> None:
    assert side_by_side({"dose1": d(3, 20)})["dose2"].target == d(3, 27)


def test_no_push_when_washout_is_already_respected() -> None:
    assert side_by_side({"dose1": d(3, 12)})["dose2"] == ScheduledVisit(
        "dose2", d(3, 21), d(3, 19), d(3, 28)
    )


def test_without_washout_targets_are_not_pushed() -> None:
    assert side_by_side({}, washout_days=0)["dose2"].target == d(3, 21)


def test_window_lower_edge_never_falls_inside_the_washout() -> None:
    plan = with_visit(REFERENCE, "dose2", window_before=3)
    schedule = compute_schedule(
        plan, registration=REGISTRATION, enrolment=ENROLMENT, actual={}, washout_days=WASHOUT
    )
    assert schedule["dose2"] == ScheduledVisit("dose2", d(3, 25), d(3, 25), d(4, 1))


def test_non_dosing_visits_ignore_the_washout() -> None:
    plan = (*SIDE_BY_SIDE[:1], Spec("scan", "enrolment", 8, 1, 1, dosing=False))
    schedule = compute_schedule(
        plan, registration=REGISTRATION, enrolment=ENROLMENT, actual={}, washout_days=WASHOUT
    )
    assert schedule["scan"] == ScheduledVisit("scan", d(3, 19), d(3, 18), d(3, 20))


# --- weekends ------------------------------------------------------------------------------


@pytest.mark.parametrize("enrolment", [d(3, 2), d(3, 3)], ids=["saturday", "sunday"])
def test_skip_weekends_moves_target_to_monday_keeping_window_width(enrolment: date) -> None:
    # dose1 falls on the weekend after enrolment + 7 and moves to Monday 11 Mar.
    schedule = reference(enrolment=enrolment, skip_weekends=True)
    assert schedule["dose1"] == ScheduledVisit("dose1", d(3, 11), d(3, 9), d(3, 14))
    assert schedule["dose2"].target == d(3, 18)  # dependents follow the moved target


def test_weekend_targets_stay_when_not_skipping() -> None:
    schedule = reference(enrolment=d(3, 2))
    assert schedule["dose1"] == ScheduledVisit("dose1", d(3, 9), d(3, 7), d(3, 12))


@pytest.mark.parametrize("offset", range(7))
def test_skip_weekends_never_leaves_a_target_on_a_weekend(offset: int) -> None:
    day = REGISTRATION + timedelta(days=offset)
    schedule = reference(registration=day, enrolment=day, skip_weekends=True)
    assert all(sv.target.weekday() < 5 for sv in schedule.values())


def test_skip_weekends_leaves_weekday_targets_alone() -> None:
    assert reference(skip_weekends=True) == reference()


# --- validate_plan -------------------------------------------------------------------------


def only_problem(plan: tuple[Spec, ...], washout_days: int = WASHOUT) -> str:
    problems = validate_plan(plan, washout_days)
    assert len(problems) == 1, problems
    return problems[0]


def test_validate_duplicate_id() -> None:
    problem = only_problem((*REFERENCE, Spec("dose3", "dose2", 14, 0, 7, dosing=False)))
    assert "'dose3'" in problem
    assert "unique" in problem


def test_validate_unknown_anchor() -> None:
    problem = only_problem(with_visit(REFERENCE, "dose2", anchor="dose9"))
    assert "'dose2'" in problem
    assert "unknown anchor 'dose9'" in problem


def test_validate_anchor_later_in_plan() -> None:
    plan = (REFERENCE[0], REFERENCE[2], REFERENCE[1], REFERENCE[3])
    problem = only_problem(plan)
    assert "'dose2'" in problem
    assert "comes later" in problem


def test_validate_self_anchor() -> None:
    problem = only_problem(with_visit(REFERENCE, "baseline", anchor="baseline"))
    assert problem == "visit 'baseline' is anchored on itself"


def test_validate_cycle() -> None:
    plan = with_visit(REFERENCE, "dose1", anchor="dose3")
    assert validate_plan(plan, WASHOUT) == [
        "visit 'dose1' is anchored on visit 'dose3', which comes later in the plan; "
        "an anchor visit must come before the visits scheduled from it",
        "anchor cycle: dose1 -> dose3 -> dose2 -> dose1",
    ]


@pytest.mark.parametrize("field", ["window_before", "window_after"])
def test_validate_negative_window(field: str) -> None:
    problem = only_problem(with_visit(REFERENCE, "dose2", **{field: -2}))
    assert "'dose2'" in problem
    assert f"negative {field} (-2)" in problem


def test_validate_reserved_id() -> None:
    plan = (Spec("enrolment", "registration", 0, 0, 0, dosing=False), *REFERENCE[1:])
    assert "reserved" in validate_plan(plan, WASHOUT)[0]


def test_validate_negative_washout() -> None:
    assert only_problem(REFERENCE, washout_days=-1) == "washout_days must be 0 or more, not -1"


def test_validate_washout_never_met_after_anchor_dose() -> None:
    # dose2 may be 3-5 days after dose1, whatever dose1's actual date.
    plan = with_visit(REFERENCE, "dose2", day=3, window_after=2)
    problem = only_problem(plan)
    assert "'dose2'" in problem
    assert "'dose1'" in problem
    assert "at most 5 days" in problem


def test_validate_washout_never_met_through_common_anchor() -> None:
    # Latest dose2 is enrolment + 8 + 1, earliest dose1 enrolment + 7 - 2: at most 4 days apart.
    plan = (
        Spec("dose1", "enrolment", 7, 2, 3, dosing=True),
        Spec("dose2", "enrolment", 8, 0, 1, dosing=True),
    )
    assert "at most 4 days" in only_problem(plan)


def test_validate_washout_counts_intermediate_windows() -> None:
    # dose2 hangs off a scan that itself may be up to 3 days late: 2 + 3 + 2 + 0 = 7 days.
    plan = (
        Spec("dose1", "enrolment", 7, 2, 3, dosing=True),
        Spec("scan", "dose1", 2, 0, 3, dosing=False),
        Spec("dose2", "scan", 2, 0, 0, dosing=True),
    )
    assert validate_plan(plan, WASHOUT) == []
    assert "at most 7 days" in only_problem(plan, washout_days=8)


def test_validate_skips_washout_between_different_date_anchors() -> None:
    plan = (
        Spec("dose1", "registration", 0, 0, 0, dosing=True),
        Spec("dose2", "enrolment", 0, 0, 0, dosing=True),
    )
    assert validate_plan(plan, WASHOUT) == []


# --- anchor_done_problem -------------------------------------------------------------------


def test_anchor_done_no_problem_for_date_anchored_visits() -> None:
    assert anchor_done_problem(REFERENCE, "dose1", {}, d(3, 18)) is None


def test_anchor_done_anchor_not_logged() -> None:
    problem = anchor_done_problem(REFERENCE, "dose2", {}, d(3, 25))
    assert problem is not None
    assert "'dose2'" in problem
    assert "'dose1' must be logged first" in problem


def test_anchor_done_before_anchor_date() -> None:
    problem = anchor_done_problem(REFERENCE, "dose2", {"dose1": d(3, 18)}, d(3, 17))
    assert problem is not None
    assert "'dose2'" in problem
    assert "2024-03-17" in problem
    assert "2024-03-18" in problem


def test_anchor_done_on_or_after_anchor_date_is_fine() -> None:
    assert anchor_done_problem(REFERENCE, "dose2", {"dose1": d(3, 18)}, d(3, 18)) is None
    assert anchor_done_problem(REFERENCE, "dose2", {"dose1": d(3, 18)}, d(3, 25)) is None


def test_anchor_done_unknown_visit_is_an_error() -> None:
    with pytest.raises(ValueError, match="dose9"):
        anchor_done_problem(REFERENCE, "dose9", {}, d(3, 25))


# --- classify_due and deviation ------------------------------------------------------------

VISIT = ScheduledVisit("dose2", target=d(3, 25), window_start=d(3, 23), window_end=d(4, 1))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (d(4, 2), "overdue"),
        (d(4, 1), "closing"),
        (d(3, 29), "closing"),
        (d(3, 28), "open"),
        (d(3, 23), "open"),
        (d(3, 22), "upcoming"),
        (d(3, 11), "upcoming"),
        (d(3, 10), None),
    ],
)
def test_classify_due(today: date, expected: str | None) -> None:
    assert classify_due(VISIT, today=today, horizon_days=14) == expected


def test_classify_due_closing_days_is_configurable() -> None:
    assert classify_due(VISIT, today=d(3, 28), horizon_days=14, closing_days=4) == "closing"
    assert classify_due(VISIT, today=d(3, 29), horizon_days=14, closing_days=0) == "open"


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(d(3, 20), -3), (d(3, 22), -1), (d(3, 23), 0), (d(3, 25), 0), (d(4, 1), 0), (d(4, 3), 2)],
)
def test_deviation_sign_and_size(actual: date, expected: int) -> None:
    assert deviation(VISIT, actual) == expected
    assert VISIT.contains(actual) == (expected == 0)


# --- properties ----------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> tuple[Spec, ...]:
    """Structurally valid plans: each visit anchored on a date or on an earlier visit."""
    specs: list[Spec] = []
    for i in range(draw(st.integers(1, 6))):
        anchors = ["registration", "enrolment", *(s.id for s in specs)]
        specs.append(
            Spec(
                id=f"v{i}",
                anchor=draw(st.sampled_from(anchors)),
                day=draw(st.integers(-5, 30)),
                window_before=draw(st.integers(0, 10)),
                window_after=draw(st.integers(0, 10)),
                dosing=draw(st.booleans()),
            )
        )
    return tuple(specs)


@given(
    plan=plans(),
    enrolment_offset=st.integers(0, 30),
    offsets=st.lists(st.integers(-12, 12), max_size=6),
    washout_days=st.integers(0, 14),
    skip_weekends=st.booleans(),
)
def test_schedule_invariants_while_visits_are_logged(
    plan: tuple[Spec, ...],
    enrolment_offset: int,
    offsets: list[int],
    washout_days: int,
    skip_weekends: bool,
) -> None:
    """Log visits one by one at random distances from their targets; the rules hold throughout."""
    enrolment = REGISTRATION + timedelta(days=enrolment_offset)

    def schedule_for(actual: dict[str, date]) -> dict[str, ScheduledVisit]:
        return compute_schedule(
            plan,
            registration=REGISTRATION,
            enrolment=enrolment,
            actual=actual,
            washout_days=washout_days,
            skip_weekends=skip_weekends,
        )

    actual: dict[str, date] = {}
    for spec, offset in zip(plan, offsets, strict=False):
        actual[spec.id] = schedule_for(actual)[spec.id].target + timedelta(days=offset)
    schedule = schedule_for(actual)

    last_dose: date | None = None
    for spec in plan:
        sv = schedule[spec.id]
        assert sv.window_start <= sv.target <= sv.window_end
        assert sv.contains(sv.target)
        assert (sv.window_end - sv.target).days == spec.window_after
        if spec.anchor in actual:
            assert sv.target >= actual[spec.anchor] + timedelta(days=spec.day)
        if skip_weekends:
            assert sv.target.weekday() < 5
        if spec.dosing:
            if last_dose is not None:
                assert (sv.target - last_dose).days >= washout_days
                assert (sv.window_start - last_dose).days >= washout_days
            last_dose = max(filter(None, (last_dose, actual.get(spec.id, sv.target))))


@given(offset=st.integers(-10, 10))
def test_reference_dependents_move_exactly_with_logged_dose(offset: int) -> None:
    """Without weekend skipping the reference doses keep their 7-day spacing from the actual."""
    logged = reference()["dose1"].target + timedelta(days=offset)
    schedule = reference({"dose1": logged})
    assert schedule["dose2"].target == logged + timedelta(days=7)
    assert schedule["dose3"].target == logged + timedelta(days=14)
    assert deviation(schedule["dose1"], logged) == (
        min(0, offset + 2) if offset < 0 else max(0, offset - 3)
    )
