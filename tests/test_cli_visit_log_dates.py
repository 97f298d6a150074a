"""One rule for the dates a visit is logged on (trialcore/visit_log.py, docs/visits.md),
at every boundary, for done and missed, through `visit log` on SQLite and PostgreSQL:
never in the future; done outside the window only with a deviation reason; missed from
the day the window opens."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from tests.db_digest import digest
from tests.test_visits import enrol, running_study
from trialcore.schedule import ScheduledVisit
from trialcore.visit_log import log_date_problem

TODAY = dt.date.today()
DAY = dt.timedelta(days=1)
# dose1 is 7 days after enrolment with a window of [-2, +3] days.
OPEN = TODAY - 8 * DAY  # enrolled then: dose1's window is TODAY-3 .. TODAY+2, open now
CLOSED = TODAY - 20 * DAY  # enrolled then: dose1's window is TODAY-15 .. TODAY-10, closed


def window(enrolled: dt.date) -> tuple[dt.date, dt.date]:
    target = enrolled + 7 * DAY
    return target - 2 * DAY, target + 3 * DAY


START, END = window(OPEN)
CLOSED_START, CLOSED_END = window(CLOSED)

# (enrolled on, status, logged on, with a deviation reason, refusal or None for done)
CASES = [
    (OPEN, "done", START - DAY, False, "protocol deviation; give a deviation reason"),
    (OPEN, "done", START - DAY, True, None),
    (OPEN, "done", START, False, None),
    (OPEN, "done", TODAY, False, None),
    (OPEN, "done", TODAY + DAY, False, "that date has not come yet"),
    (OPEN, "done", END, False, "that date has not come yet"),
    (CLOSED, "done", CLOSED_END, False, None),
    (CLOSED, "done", CLOSED_END + DAY, False, "protocol deviation; give a deviation reason"),
    (CLOSED, "done", CLOSED_END + DAY, True, None),
    (OPEN, "missed", START - DAY, False, "there was nothing to miss yet"),
    (OPEN, "missed", START, False, None),
    (OPEN, "missed", TODAY, False, None),
    (OPEN, "missed", TODAY + DAY, False, "that date has not come yet"),
    (OPEN, "missed", END, False, "that date has not come yet"),
    (CLOSED, "missed", CLOSED_END, False, None),
    (CLOSED, "missed", CLOSED_END + DAY, False, None),
]


def test_the_log_date_rule_at_every_boundary(db_url: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                             tmp_path_factory) -> None:
    app, actors = running_study(db_url, tmp_path_factory)
    kits = {}
    for n, (enrolled, *_rest) in enumerate(CASES, start=1):
        stratum = "NTNA+" if n % 2 else "NTNA-"
        kits[n] = enrol(app, actors, n, registered=enrolled - 7 * DAY, enrolled=enrolled,
                        stratum=stratum)["dose1"]
    app.close()
    for n, (_, status, on, with_deviation, refusal) in enumerate(CASES, start=1):
        args = ["visit", "log", str(n), "dose1", "--date", on.isoformat(), "--status", status]
        args += ["--code", kits[n]] if status == "done" else ["--reason", "did not come"]
        args += ["--deviation-reason", "late bus"] if with_deviation else []
        before = digest(db_url)
        r = cli(capsys, monkeypatch, db_url, "--json", *args, user="cora",
                password=PASSWORDS["cora"])
        case = f"{status} on {on} ({(on - TODAY).days:+d} d) {'with' if with_deviation else ''}"
        if refusal is None:
            assert r.code == 0, (case, r.out)
            assert r.json["status"] == status and r.json["actual"] == on.isoformat(), case
        else:
            assert r.code == 1 and refusal in r.json["error"], (case, r.out)
            assert digest(db_url) == before, case


SV = ScheduledVisit("dose1", target=dt.date(2026, 3, 10), window_start=dt.date(2026, 3, 8),
                    window_end=dt.date(2026, 3, 13))


@pytest.mark.parametrize(("status", "on", "refused"), [
    ("done", dt.date(2026, 3, 7), False),  # a deviation, which needs a reason: not refused
    ("done", dt.date(2026, 3, 20), False),
    ("done", dt.date(2026, 3, 21), True),
    ("missed", dt.date(2026, 3, 7), True),
    ("missed", dt.date(2026, 3, 8), False),
    ("missed", dt.date(2026, 3, 14), False),
    ("missed", dt.date(2026, 3, 20), False),
    ("missed", dt.date(2026, 3, 21), True),
])
def test_the_rule_itself(status: str, on: dt.date, refused: bool) -> None:
    problem = log_date_problem(status, on, SV, today=dt.date(2026, 3, 20))
    assert (problem is not None) is refused
