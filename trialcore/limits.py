"""What a study can live with: the ranges of dates, day counts, participant numbers and
protocol values, and the lengths of the texts the database stores.

One place for both sides: the protocol parser and the services refuse values outside
these limits (naming the key or flag), and db/models.py sizes its columns from the
same constants, so SQLite (which would store anything) and PostgreSQL (which would
refuse it months later, e.g. at unblinding) accept exactly the same study.
"""

from __future__ import annotations

import datetime as dt

# Dates a study records: far enough back for old records, far enough ahead for any plan,
# and never so far that adding a visit window overflows the calendar (year 9999).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
MAX_DAYS = 36_600  # a look-ahead (calendar --days, visits list --due) of a century at most

# Participant numbers: 9 digits at most (participants.id_digits is at most 9), which
# also fits the 32-bit integer column on both databases.
MAX_ID_DIGITS = 9
MAX_PARTICIPANT_NUMBER = 10**MAX_ID_DIGITS - 1

# Text columns (db/models.py uses these lengths).
TITLE_LENGTH = 300
PROTOCOL_TITLE_LENGTH = 200  # leaves room for what the app appends (" [SYNTHETIC DEMO DATA]")
NAME_LENGTH = 64  # visit ids, measure names, strata, user names
CONDITION_CODE_LENGTH = 32
LABEL_LENGTH = 32  # a participant's label: id prefix and number
ID_PREFIX_LENGTH = LABEL_LENGTH - MAX_ID_DIGITS - 1  # room for the digits, with one spare
CONDITION_LABEL_LENGTH = 100
VISIT_LABEL_LENGTH = 100
MEASURE_LABEL_LENGTH = 200
UNIT_LENGTH = 32

# Protocol numbers: beyond these the schedule, the allocation list or the ratio would
# overflow dates or take minutes and gigabytes to build.
MAX_VISIT_DAY = 3_660  # ten years from the visit's anchor
MAX_WINDOW_DAYS = 365  # days before or after the target
MAX_WASHOUT_DAYS = 365
MAX_SLOTS_PER_STRATUM = 10_000
MAX_BLOCK_MULTIPLE = 100
MAX_RATIO = 100
MAX_STRATUM_TARGET = 100_000
MAX_VISITS = 100
MAX_CONDITIONS = 26
MAX_DOSE_MG = 1_000_000.0


def date_problem(value: dt.date, what: str) -> str | None:
    """Why `value` cannot be recorded for `what`, or None when it is within the limits."""
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return (f"{what} {value.isoformat()} is outside the dates a study records "
            f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})")


def days_problem(value: int, what: str) -> str | None:
    """Why `value` is no number of days to look ahead, or None when it is one."""
    if 0 <= value <= MAX_DAYS:
        return None
    return f"{what} {value}: the number of days must be between 0 and {MAX_DAYS}"
