"""`participants edit`: a stale edit is refused instead of overwriting someone else's, and
a corrected registration date moves the open visits or is refused, naming the visit it
would contradict. On SQLite and PostgreSQL, through the command line."""

from __future__ import annotations

import datetime as dt

import pytest

from services import participants, visits
from tests.cli_helpers import Outcome, cli
from tests.conftest import PASSWORDS
from tests.db_digest import digest
from tests.test_visits import ENROL, REG, TODAY, enrol, running_study


@pytest.fixture
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """P007 enrolled with baseline done the day after registration; P008 registered only."""
    app, a = running_study(db_url, tmp_path_factory)
    enrol(app, a, 7)
    visits.log(app, a["cora"], 7, "baseline", date=REG + dt.timedelta(days=1), today=TODAY)
    participants.add(app, a["cora"], 8, registered_on=REG)
    app.close()
    return db_url


def as_(user: str, capsys, monkeypatch, db: str, *args: str) -> Outcome:  # type: ignore[no-untyped-def]
    return cli(capsys, monkeypatch, db, "--json", *args, user=user, password=PASSWORDS[user])


def version_of(capsys, monkeypatch, db: str, label: str) -> int:  # type: ignore[no-untyped-def]
    r = as_("cora", capsys, monkeypatch, db, "participants", "list")
    return next(p["version"] for p in r.json["participants"] if p["id"] == label)


def test_the_second_of_two_edits_from_the_same_version_is_refused(  # type: ignore[no-untyped-def]
        study_db: str, capsys, monkeypatch) -> None:
    seen = version_of(capsys, monkeypatch, study_db, "P008")
    r = as_("cora", capsys, monkeypatch, study_db, "participants", "edit", "8", "--notes",
            "mornings", "--reason", "asked", "--expected-version", str(seen))
    assert r.code == 0 and r.json["version"] == seen + 1
    before = digest(study_db)
    r = as_("ivan", capsys, monkeypatch, study_db, "participants", "edit", "8", "--notes",
            "evenings", "--reason", "asked too", "--expected-version", str(seen))
    assert r.code == 1
    assert "P008 was changed by cora" in r.json["error"] and "nothing was saved" in \
        r.json["error"]
    assert digest(study_db) == before
    r = as_("cora", capsys, monkeypatch, study_db, "participants", "list")
    assert next(p for p in r.json["participants"] if p["id"] == "P008")["notes"] == "mornings"


def test_a_new_registration_date_moves_the_open_visits(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                       monkeypatch) -> None:
    new = REG + dt.timedelta(days=10)
    r = as_("cora", capsys, monkeypatch, study_db, "participants", "edit", "8",
            "--registered-on", new.isoformat(), "--reason", "typo in the date")
    assert r.code == 0, r.out
    r = as_("cora", capsys, monkeypatch, study_db, "visits", "list", "--participant", "8")
    baseline = r.json["visits"][0]
    assert baseline["visit"] == "baseline" and baseline["target"] == new.isoformat()
    assert baseline["window_end"] == (new + dt.timedelta(days=14)).isoformat()


@pytest.mark.parametrize(("days", "said"), [
    (2, "visit 'baseline' was logged on 2026-03-03, before registration on 2026-03-04"),
    (30, "enrolment on 2026-03-09 would come before registration on 2026-04-01"),
])
def test_a_registration_date_after_what_was_recorded_is_refused(  # type: ignore[no-untyped-def]
        study_db: str, capsys, monkeypatch, days: int, said: str) -> None:
    before = digest(study_db)
    new = REG + dt.timedelta(days=days)
    r = as_("cora", capsys, monkeypatch, study_db, "participants", "edit", "7",
            "--registered-on", new.isoformat(), "--reason", "x")
    assert r.code == 1 and said in r.json["error"], r.out
    assert digest(study_db) == before


def test_an_earlier_registration_date_keeps_the_done_visit(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                           monkeypatch) -> None:
    r = as_("cora", capsys, monkeypatch, study_db, "participants", "edit", "7",
            "--registered-on", (REG - dt.timedelta(days=1)).isoformat(), "--reason", "x")
    assert r.code == 0, r.out
    r = as_("cora", capsys, monkeypatch, study_db, "visits", "list", "--participant", "7")
    baseline, dose1 = r.json["visits"][:2]
    assert baseline["status"] == "done" and baseline["actual"] == "2026-03-03"
    assert dose1["target"] == (ENROL + dt.timedelta(days=7)).isoformat()  # from enrolment
