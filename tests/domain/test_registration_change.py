"""A registration date may not come after anything already recorded for the participant."""

from __future__ import annotations

from datetime import date

from trialcore.schedule import registration_change_problem

D = date(2026, 3, 10)


def test_on_the_day_of_the_first_record_is_allowed() -> None:
    assert registration_change_problem(D, enrolment=D, recorded={"baseline": D}) is None


def test_the_day_after_names_the_earliest_visit() -> None:
    problem = registration_change_problem(
        date(2026, 3, 12), enrolment=None,
        recorded={"dose1": date(2026, 3, 11), "baseline": D})
    assert problem == ("visit 'baseline' was logged on 2026-03-10, before registration on "
                       "2026-03-12")


def test_after_the_enrolment_is_refused() -> None:
    problem = registration_change_problem(date(2026, 3, 11), enrolment=D, recorded={})
    assert problem is not None and "enrolment on 2026-03-10" in problem
