"""Argument types shared by commands: bounded before any service or database sees them."""

from __future__ import annotations

import argparse

from trialcore.limits import days_problem


def days(text: str) -> int:
    """A number of days to look ahead (argparse type): a usage error outside 0..MAX_DAYS."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number of days") \
            from exc
    problem = days_problem(value, "")
    if problem:
        raise argparse.ArgumentTypeError(problem.strip())
    return value
