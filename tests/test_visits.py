"""Schedule, booking and logging through the service layer, on SQLite and PostgreSQL.

The helpers at the top are shared by the other visit test modules: generating
the allocation list costs two scrypt derivations, so on SQLite a study with
its list is built once per test session and copied for each test.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Participant, Visit
from services import allocation, enrolment, participants, visits
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.conftest import ROLES, make_study

REG = dt.date(2026, 3, 2)  # a Monday
ENROL = dt.date(2026, 3, 9)
TODAY = dt.date(2026, 3, 20)
_TEMPLATES: dict[str, Path] = {}


def _build(app: App) -> None:
    actors = make_study(app, ("cora", "ivan", "stella", "rita"))
    allocation.generate(app, actors["rita"], "test sealing passphrase",
                        "test emergency passphrase", confirm_unbalanced=True)


def running_study(db_url: str, tmp: pytest.TempPathFactory) -> tuple[App, dict[str, Actor]]:
    """The reference study with its allocation list (stage running) and its users."""
    actors = {name: Actor(name, ROLES[name]) for name in ("admin", "cora", "ivan", "stella")}
    if not db_url.startswith("sqlite:///"):
        app = App(db_url)
        _build(app)
        return app, actors
    if "sqlite" not in _TEMPLATES:
        template = tmp.mktemp("running") / "study.sqlite"
        built = App(f"sqlite:///{template}")
        _build(built)
        built.close()
        _TEMPLATES["sqlite"] = template
    shutil.copy(_TEMPLATES["sqlite"], db_url.removeprefix("sqlite:///"))
    return App(db_url), actors


def enrol(app: App, actors: dict[str, Actor], number: int, *, registered: dt.date = REG,
          enrolled: dt.date = ENROL, stratum: str = "NTNA+") -> dict[str, str]:
    """Register and enrol one participant; returns their kit codes per dosing visit."""
    participants.add(app, actors["cora"], number, stratum=stratum, registered_on=registered)
    return enrolment.enrol(app, actors["cora"], number, on=enrolled).codes


def row(app: App, actor: Actor, participant: object, visit: str,
        today: dt.date = TODAY) -> visits.VisitRow:
    return next(r for r in visits.list_visits(app, actor, participant, today=today)
                if r.visit == visit)


def snapshot(app: App) -> tuple[int, list[tuple[Any, ...]]]:
    """The audit length and every visit row: equal before and after means nothing written."""
    with app.read() as s:
        n = s.scalar(select(func.count()).select_from(AuditEntry))
        rows = s.execute(select(Visit).order_by(Visit.id)).scalars().all()
        return n or 0, [tuple(getattr(v, c.key) for c in Visit.__table__.columns) for v in rows]


@pytest.fixture
def running(db_url: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[App, dict[str, Actor]]]:
    app, actors = running_study(db_url, tmp_path_factory)
    yield app, actors
    app.close()


Running = tuple[App, dict[str, Actor]]


def test_registration_schedules_baseline_and_enrolment_the_dosing_visits(
        running: Running) -> None:
    app, a = running
    participants.add(app, a["cora"], 1, stratum="NTNA+", registered_on=REG)
    base, dose1 = (row(app, a["cora"], 1, v) for v in ("baseline", "dose1"))
    assert (base.target, base.window_start, base.window_end) == (REG, REG, dt.date(2026, 3, 16))
    assert dose1.target is None and dose1.code is None and dose1.next_action == "enrol P001"
    codes = enrolment.enrol(app, a["cora"], 1, on=ENROL).codes
    got = {r.visit: r for r in visits.list_visits(app, a["cora"], "P1", today=TODAY)}
    assert (got["dose1"].target, got["dose1"].window_start, got["dose1"].window_end) == (
        dt.date(2026, 3, 16), dt.date(2026, 3, 14), dt.date(2026, 3, 19))
    assert (got["dose2"].target, got["dose2"].window_end) == (dt.date(2026, 3, 23),
                                                              dt.date(2026, 3, 30))
    assert got["dose3"].target == dt.date(2026, 3, 30)
    assert {v: got[v].code for v in codes} == codes
    assert got["dose2"].next_action == "log Dosing 1 first" and got["dose2"].due is None
    assert got["dose1"].due == "overdue"  # its window ended on the 19th


def test_an_early_or_late_visit_moves_the_visits_after_it(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    visits.log(app, a["cora"], 1, "baseline", date=dt.date(2026, 3, 4))
    saved = visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 14),
                       code=codes["dose1"].lower().replace("-", ""))
    assert saved.row.code == codes["dose1"] and saved.row.deviation_days == 0
    dose2 = row(app, a["cora"], 1, "dose2")
    assert (dose2.target, dose2.window_start, dose2.window_end) == (
        dt.date(2026, 3, 21), dt.date(2026, 3, 21), dt.date(2026, 3, 28))
    assert row(app, a["cora"], 1, "dose3").target == dt.date(2026, 3, 28)
    visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 19), code=codes["dose1"],
               reason="date was typed wrong")
    assert row(app, a["cora"], 1, "dose2").target == dt.date(2026, 3, 26)
    assert row(app, a["cora"], 1, "dose3").target == dt.date(2026, 4, 2)
    with app.read() as s:
        change = s.scalars(select(AuditEntry).where(AuditEntry.entity_key == "P001/dose1")
                           .order_by(AuditEntry.seq.desc())).first()
    assert change is not None and change.reason == "date was typed wrong"
    assert json.loads(change.before)["actual_date"] == "2026-03-14"
    assert json.loads(change.after)["actual_date"] == "2026-03-19"


def test_outside_the_window_is_a_deviation_that_needs_a_reason(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    visits.log(app, a["cora"], 1, "baseline", date=dt.date(2026, 3, 4))
    with pytest.raises(Refused, match=r"3 days after its window \(2026-03-14…2026-03-19"):
        visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 22), code=codes["dose1"])
    saved = visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 22),
                       code=codes["dose1"], deviation_reason="scanner down")
    assert (saved.row.deviation_days, saved.row.deviation_reason) == (3, "scanner down")
    assert saved.row.flag == "deviation"
    assert row(app, a["cora"], 1, "dose2").target == dt.date(2026, 3, 29)


def test_moving_an_anchor_re_measures_a_visit_already_done(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    visits.log(app, a["cora"], 1, "baseline", date=dt.date(2026, 3, 4))
    visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 16), code=codes["dose1"])
    visits.log(app, a["cora"], 1, "dose2", date=dt.date(2026, 3, 23), code=codes["dose2"],
               today=dt.date(2026, 3, 24))
    visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 19), code=codes["dose1"],
               reason="date was typed wrong")
    dose2 = row(app, a["cora"], 1, "dose2")
    assert dose2.window_start == dt.date(2026, 3, 26) and dose2.deviation_days == -3
    assert dose2.deviation_reason is not None and "date was typed wrong" in \
        dose2.deviation_reason


def test_a_missed_visit_needs_a_reason_and_the_next_one_goes_ahead(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 19), status="missed",
               reason="participant ill")
    dose1, dose2 = row(app, a["cora"], 1, "dose1"), row(app, a["cora"], 1, "dose2")
    assert (dose1.status, dose1.reason, dose1.code) == ("missed", "participant ill",
                                                        codes["dose1"])
    assert dose2.target == dt.date(2026, 3, 23) and dose2.next_action.startswith("book Dosing 2")
    saved = visits.log(app, a["cora"], 1, "dose2", date=dt.date(2026, 3, 24),
                       code=codes["dose2"], today=dt.date(2026, 3, 24))
    assert saved.row.status == "done"


def test_withdrawal_cancels_future_visits_and_keeps_recorded_ones(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    visits.log(app, a["cora"], 1, "baseline", date=dt.date(2026, 3, 4))
    visits.log(app, a["cora"], 1, "dose1", date=dt.date(2026, 3, 16), code=codes["dose1"])
    participants.withdraw(app, a["cora"], 1, "moved abroad", dt.date(2026, 3, 18))
    got = {r.visit: r for r in visits.list_visits(app, a["cora"], 1, today=TODAY)}
    assert [got[v].status for v in ("baseline", "dose1", "dose2", "dose3")] == [
        "done", "done", "cancelled", "cancelled"]
    assert got["dose1"].actual == dt.date(2026, 3, 16) and got["dose1"].code == codes["dose1"]
    assert got["dose2"].reason == "participant withdrawn: moved abroad"
    assert visits.list_visits(app, a["cora"], due_days=30, today=TODAY) == []


def test_booking_warns_outside_the_window_and_shows_in_the_lists(running: Running) -> None:
    app, a = running
    enrol(app, a, 1)
    saved = visits.book(app, a["cora"], 1, "dose1", "2026-03-15", today=dt.date(2026, 3, 10))
    assert saved.warnings == [] and saved.row.status == "booked"
    assert saved.row.next_action == "Dosing 1 booked for 2026-03-15"
    due = visits.list_visits(app, a["cora"], due_days=3, today=dt.date(2026, 3, 12))
    assert [(r.visit, r.due, r.booked) for r in due if r.visit == "dose1"] == [
        ("dose1", "upcoming", dt.date(2026, 3, 15))]
    saved = visits.book(app, a["cora"], 1, "dose1", dt.date(2026, 3, 25),
                        today=dt.date(2026, 3, 10))
    assert len(saved.warnings) == 1
    assert "6 days after its window (2026-03-14…2026-03-19" in saved.warnings[0]
    assert row(app, a["cora"], 1, "dose1").booked == dt.date(2026, 3, 25)


def test_the_due_list_across_participants(running: Running) -> None:
    app, a = running
    enrol(app, a, 1)  # dose1 window 03-14..03-19
    enrol(app, a, 2, registered=dt.date(2026, 3, 10), enrolled=dt.date(2026, 3, 17))
    participants.add(app, a["cora"], 3, registered_on=dt.date(2026, 2, 2))  # baseline overdue
    participants.add(app, a["cora"], 4, registered_on=dt.date(2026, 2, 2))
    participants.withdraw(app, a["cora"], 4, "changed their mind", dt.date(2026, 2, 3))
    for n in (1, 2):
        visits.log(app, a["cora"], n, "baseline", date=dt.date(2026, 3, 10))
    due = visits.list_visits(app, a["cora"], due_days=7, today=dt.date(2026, 3, 18))
    assert [(r.participant, r.visit, r.due) for r in due] == [
        ("P003", "baseline", "overdue"), ("P001", "dose1", "closing"),
        ("P002", "dose1", "upcoming")]
    assert due[0].next_action == "log Baseline fMRI: late (deviation) or missed"
    assert visits.list_visits(app, a["cora"], due_days=0, today=dt.date(2026, 3, 18))[-1] \
        .participant == "P001"


def test_rows_carry_kit_codes_but_never_a_condition(running: Running) -> None:
    app, a = running
    enrol(app, a, 1)
    text = json.dumps([r.as_dict() for r in visits.list_visits(app, a["ivan"], today=TODAY)])
    for c in app.protocol.conditions:
        assert c.code not in text and c.label not in text
        assert f"{c.dose_mg:g} mg" not in text


def test_only_coordinators_book_and_log(running: Running) -> None:
    app, a = running
    enrol(app, a, 1)
    with pytest.raises(PermissionDenied, match="coordinator"):
        visits.book(app, a["stella"], 1, "dose1", "2026-03-15")
    with pytest.raises(PermissionDenied):
        visits.log(app, a["ivan"], 1, "baseline", date="2026-03-04")


BadCall = Callable[[App, dict[str, Actor], dict[str, str]], object]
BAD_INPUT: list[tuple[str, BadCall, str]] = [
    ("a date that is not a date",
     lambda app, a, c: visits.log(app, a["cora"], 1, "baseline", date="2026-02-30"),
     "'2026-02-30' is not a date"),
    ("a booking date that is not a date",
     lambda app, a, c: visits.book(app, a["cora"], 1, "dose1", "next Tuesday"),
     "'next Tuesday' is not a date"),
    ("a visit id the protocol does not have",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose4", date="2026-03-16"),
     "unknown visit 'dose4'; the protocol's visits are baseline, dose1, dose2, dose3"),
    ("logging a visit before its anchor visit is done",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose2", date="2026-03-23",
                                  code=c["dose2"]),
     "'dose1' must be logged first"),
    ("a date before the anchor visit's date",
     lambda app, a, c: visits.log(app, a["cora"], 2, "dose2", date="2026-03-15",
                                  code=c["p2dose2"]),
     r"before visit 'dose1' \(2026-03-16\)"),
    ("a dosing visit without a code",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-16"),
     "P001/dose1 is a dosing visit: give the kit code"),
    ("the wrong kit",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-16",
                                  code=c["dose2"]),
     "wrong kit: .* is not the kit for P001/dose1"),
    ("a mistyped code",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-16",
                                  code=c["mistyped"]),
     "is mistyped"),
    ("a malformed code",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-16",
                                  code="ABC"),
     "a dose code has 8 characters"),
    ("a code at a visit without a kit",
     lambda app, a, c: visits.log(app, a["cora"], 1, "baseline", date="2026-03-04",
                                  code=c["dose1"]),
     "baseline is not a dosing visit"),
    ("missed without a reason",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-19",
                                  status="missed", reason="  "),
     "missed P001/dose1 needs a reason"),
    ("a status other than done or missed",
     lambda app, a, c: visits.log(app, a["cora"], 1, "dose1", date="2026-03-16",
                                  status="cancelled"),
     "logged as done or missed"),
    ("a visit of a withdrawn participant",
     lambda app, a, c: visits.log(app, a["cora"], 3, "baseline", date="2026-03-04"),
     "P003 was withdrawn on 2026-03-05"),
    ("changing a logged visit without a reason",
     lambda app, a, c: visits.log(app, a["cora"], 2, "dose1", date="2026-03-17",
                                  code=c["p2dose1"]),
     "changing P002/dose1, already logged as done on 2026-03-16, needs a reason"),
    ("booking a visit already logged",
     lambda app, a, c: visits.book(app, a["cora"], 2, "dose1", "2026-03-17"),
     "already logged as done"),
    ("a visit done in the future",
     lambda app, a, c: visits.log(app, a["cora"], 1, "baseline", date="2026-03-25",
                                  today=TODAY),
     "that date has not come yet"),
    ("a visit before registration",
     lambda app, a, c: visits.log(app, a["cora"], 1, "baseline", date="2026-03-01"),
     "before P001 was registered"),
    ("a dosing visit before enrolment",
     lambda app, a, c: visits.book(app, a["cora"], 1, "dose1", "2026-03-08"),
     "before P001 was enrolled"),
    ("a dosing visit of someone not enrolled",
     lambda app, a, c: visits.book(app, a["cora"], 4, "dose1", "2026-03-16"),
     "P004 is not enrolled yet"),
    ("outside the window without a deviation reason",
     lambda app, a, c: visits.log(app, a["cora"], 1, "baseline", date="2026-03-17"),
     "1 day after its window"),
    ("moving an anchor after a visit done from it",
     lambda app, a, c: visits.log(app, a["cora"], 5, "dose1", date="2026-03-24",
                                  code=c["p5dose1"], reason="wrong date",
                                  deviation_reason="late", today=dt.date(2026, 3, 30)),
     "dose2, which is scheduled from it, was done earlier"),
    ("a participant who does not exist",
     lambda app, a, c: visits.log(app, a["cora"], 99, "baseline", date="2026-03-04"),
     "no participant 99"),
]


def _mistype(code: str) -> str:
    """The code with two neighbouring symbols swapped: the check character catches it."""
    i = next(i for i in range(3) if code[i] != code[i + 1])
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def test_bad_input_is_refused_and_nothing_is_written(running: Running) -> None:
    app, a = running
    codes = enrol(app, a, 1)
    p2, p5 = enrol(app, a, 2), enrol(app, a, 5)
    for number, kits, done in ((2, p2, ("baseline", "dose1")),
                               (5, p5, ("baseline", "dose1", "dose2"))):
        for visit in done:
            day = {"baseline": 4, "dose1": 16, "dose2": 23}[visit]
            visits.log(app, a["cora"], number, visit, date=dt.date(2026, 3, day),
                       code=kits.get(visit), today=dt.date(2026, 3, 30))
    participants.add(app, a["cora"], 3, registered_on=REG)
    participants.withdraw(app, a["cora"], 3, "moved", dt.date(2026, 3, 5))
    participants.add(app, a["cora"], 4, registered_on=REG)
    c = {**codes, "p2dose1": p2["dose1"], "p2dose2": p2["dose2"],
         "p5dose1": p5["dose1"],
         "mistyped": _mistype(codes["dose1"])}
    for case, call, message in BAD_INPUT:
        before = snapshot(app)
        with pytest.raises(Refused, match=message):
            call(app, a, c)
        assert snapshot(app) == before, f"{case}: something was written"


def _study_in_every_state(app: App, a: dict[str, Actor]) -> None:
    cora = a["cora"]
    c = {n: enrol(app, a, n) for n in (1, 2, 3)}
    enrol(app, a, 6, registered=dt.date(2026, 3, 10), enrolled=dt.date(2026, 3, 17))
    participants.add(app, cora, 4, registered_on=dt.date(2026, 2, 2))  # baseline overdue
    participants.add(app, cora, 5, registered_on=dt.date(2026, 2, 2))
    participants.withdraw(app, cora, 5, "changed their mind", dt.date(2026, 2, 3))
    for n in (1, 2, 3):
        visits.log(app, cora, n, "baseline", date=dt.date(2026, 3, 4))
    visits.log(app, cora, 1, "dose1", date=dt.date(2026, 3, 21), code=c[1]["dose1"],
               deviation_reason="scanner down", today=dt.date(2026, 3, 21))
    visits.log(app, cora, 2, "dose1", date=dt.date(2026, 3, 16), status="missed",
               reason="ill")
    visits.book(app, cora, 3, "dose1", dt.date(2026, 3, 18), today=dt.date(2026, 3, 10))
    participants.withdraw(app, cora, 2, "moved abroad", dt.date(2026, 3, 17))


def test_rows_read_as_plain_columns_are_the_rows_of_the_participants(running: Running) -> None:
    """list_visits reads plain columns; book and log build the same rows from the ORM
    objects they change. Both give the same rows."""
    app, a = running
    _study_in_every_state(app, a)
    for today in (dt.date(2026, 3, 1), dt.date(2026, 3, 18), dt.date(2026, 4, 20)):
        listed = visits.list_visits(app, a["ivan"], today=today)
        with app.read() as s:
            people = s.scalars(select(Participant).order_by(Participant.number)).all()
            from_orm = [r for p in people for r in visits._rows(
                s, app.protocol, [p], today, visits.DEFAULT_HORIZON_DAYS, [p.id])]
        assert listed == from_orm and len(listed) == 6 * 4
        assert {r.status for r in listed} == {"scheduled", "booked", "done", "missed",
                                              "cancelled"}


def test_the_due_list_is_the_due_rows_of_the_whole_schedule(running: Running) -> None:
    """The due list reads only participants who may have something due; it lists what
    the whole schedule, read with the same horizon, says is due."""
    app, a = running
    _study_in_every_state(app, a)
    for today in (dt.date(2026, 2, 1), dt.date(2026, 3, 12), dt.date(2026, 3, 18),
                  dt.date(2026, 5, 1)):
        for days in (0, 3, 7, 30):
            with app.read() as s:
                everyone = visits.read_rows(s, app.protocol, None, today, days)
            expected = visits.due_rows(everyone, today)
            assert visits.list_visits(app, a["cora"], due_days=days, today=today) == expected
    assert {r.due for r in visits.list_visits(app, a["cora"], due_days=30,
                                              today=dt.date(2026, 3, 18))} == {
        "overdue", "closing", "open", "upcoming"}
