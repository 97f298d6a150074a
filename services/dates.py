"""Dates and day counts the services accept: within trialcore.limits, else a refusal.

The command line checks its flags too, but the GUI and scripts call the services
directly, so the services never trust a caller to have checked."""

from __future__ import annotations

import datetime as dt

from services.errors import Refused
from trialcore.limits import date_problem, days_problem


def checked_date(value: dt.date, what: str = "date") -> dt.date:
    """`value`, refused when it lies outside the dates a study records."""
    problem = date_problem(value, what)
    if problem:
        raise Refused(f"{problem}; nothing was written")
    return value


def checked_days(value: int, what: str = "days") -> int:
    """`value`, refused unless it is a number of days to look ahead."""
    problem = days_problem(value, what)
    if problem:
        raise Refused(problem)
    return value
