"""Which dates a visit may be logged on, as done or as missed: one rule for both.

Both: never a date that has not come yet (a visit is logged after the fact).
Done: any date up to today; outside the window it is a protocol deviation, which the
caller records only with a deviation reason (trialcore.schedule.deviation).
Missed: from the day its window opens up to today; before the window opened there was
nothing to miss yet. A missed visit always needs a reason (the caller asks for it);
after the window closed it is simply missed, not a deviation.
docs/visits.md states the same rule for users.
"""

from __future__ import annotations

from datetime import date

from trialcore.schedule import ScheduledVisit


def log_date_problem(status: str, on: date, sv: ScheduledVisit, today: date) -> str | None:
    """Why visit `sv` cannot be logged as `status` ("done" or "missed") on `on`, or None."""
    if on > today:
        return (f"{sv.visit} cannot be {status} on {on.isoformat()}: that date has not come "
                f"yet (today is {today.isoformat()})")
    if status == "missed" and on < sv.window_start:
        return (f"{sv.visit} cannot be missed on {on.isoformat()}: its window opens on "
                f"{sv.window_start.isoformat()}, so there was nothing to miss yet")
    return None
