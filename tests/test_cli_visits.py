"""`enrol`, `visits list`, `visit book|log` and `calendar` on the command line: JSON shapes,
exit codes, and nothing written on a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import participants
from services.context import App
from tests.cli_helpers import Outcome, cli
from tests.conftest import PASSWORDS
from tests.test_visits import running_study, snapshot


def today() -> dt.date:
    return dt.date.today()  # at use: a run may cross midnight


def registered() -> dt.date:
    return today() - dt.timedelta(days=10)


def enrolled() -> dt.date:
    return today() - dt.timedelta(days=3)

VISIT_KEYS = {"participant", "visit", "target", "window_start", "window_end", "booked",
              "actual", "status", "code"}


@pytest.fixture
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app, actors = running_study(db_url, tmp_path_factory)
    participants.add(app, actors["cora"], 7, stratum="NTNA+", registered_on=registered())
    app.close()
    yield db_url


def as_cora(capsys, monkeypatch, db: str, *args: str) -> Outcome:  # type: ignore[no-untyped-def]
    return cli(capsys, monkeypatch, db, *args, user="cora", password=PASSWORDS["cora"])


def test_enrol_schedules_and_visits_list_shows_codes(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                     monkeypatch) -> None:
    r = as_cora(capsys, monkeypatch, study_db, "--json", "visits", "list", "--participant", "7")
    assert r.code == 0, r.err
    rows = r.json["visits"]
    assert [v["visit"] for v in rows] == ["baseline", "dose1", "dose2", "dose3"]
    assert all(set(v) >= VISIT_KEYS for v in rows)
    assert rows[1]["target"] is None and rows[1]["code"] is None
    r = as_cora(capsys, monkeypatch, study_db, "--json", "enrol", "P7", "--date",
                enrolled().isoformat())
    assert r.code == 0, r.err
    codes = r.json["codes"]
    r = as_cora(capsys, monkeypatch, study_db, "--json", "visits", "list", "--participant", "7")
    dose1 = r.json["visits"][1]
    assert dose1["target"] == (enrolled() + dt.timedelta(days=7)).isoformat()
    assert dose1["code"] == codes["dose1"] and dose1["status"] == "scheduled"
    r = as_cora(capsys, monkeypatch, study_db, "visits", "list", "--due", "14")
    assert r.code == 0 and "P007   baseline" in r.out and "book Dosing 1" in r.out


def test_book_then_log_with_warnings_and_refusals(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                  monkeypatch) -> None:
    assert as_cora(capsys, monkeypatch, study_db, "enrol", "7", "--date",
                   enrolled().isoformat()).code == 0
    late = (enrolled() + dt.timedelta(days=20)).isoformat()
    r = as_cora(capsys, monkeypatch, study_db, "--json", "visit", "book", "7", "dose1", late)
    assert r.code == 0 and r.json["booked"] == late and r.json["status"] == "booked"
    assert "after its window" in r.json["warnings"][0]
    r = as_cora(capsys, monkeypatch, study_db, "visit", "book", "7", "dose1", late)
    assert r.code == 0 and "warning:" in r.err and "after its window" in r.err
    app = App(study_db)
    before = snapshot(app)
    refusals = [
        (("visit", "log", "7", "baseline", "--date", "yesterday"), "is not a date"),
        (("visit", "log", "7", "dose9", "--date", registered().isoformat()),
         "unknown visit 'dose9'"),
        (("visit", "log", "7", "dose2", "--date", today().isoformat(), "--code", "2222-2222"),
         "'dose1' must be logged first"),
        (("visit", "log", "7", "baseline", "--date", today().isoformat(), "--status", "missed"),
         "needs a reason"),
        (("visit", "book", "7", "dose1", today().isoformat(), "--expected-version", "1"),
         "was changed by cora"),
    ]
    for args, message in refusals:
        r = as_cora(capsys, monkeypatch, study_db, "--json", *args)
        assert r.code == 1 and message in r.json["error"], (args, r.out)
    assert snapshot(app) == before
    r = as_cora(capsys, monkeypatch, study_db, "visit", "log", "7", "baseline", "--status",
                "skipped", "--date", today().isoformat())
    assert r.code == 2
    r = as_cora(capsys, monkeypatch, study_db, "--json", "visit", "log", "7", "baseline",
                "--date", registered().isoformat())
    assert r.code == 0 and r.json["status"] == "done"
    assert r.json["actual"] == registered().isoformat()
    assert r.json["deviation_days"] == 0
    app.close()


def test_calendar_writes_upcoming_visits(study_db: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                         tmp_path: Path) -> None:
    assert as_cora(capsys, monkeypatch, study_db, "enrol", "7", "--date",
                   enrolled().isoformat()).code == 0
    target = tmp_path / "visits.ics"
    r = as_cora(capsys, monkeypatch, study_db, "--json", "calendar", str(target), "--days",
                "30")
    assert r.code == 0 and r.json == {"file": str(target), "events": 4}
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    r = as_cora(capsys, monkeypatch, study_db, "--json", "calendar", str(tmp_path / "x.csv"))
    assert r.code == 1 and "ends in .ics" in r.json["error"]
